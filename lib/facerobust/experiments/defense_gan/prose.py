"""Sentences the Defense-GAN chapter glues into its prose, chosen from the numbers.

A glued phrase that sits in a fixed sentence reads wrong for some value ("the projection recovers
none of (it lowers accuracy below the attack's level) the accuracy that ..."; "fell by -0.3"; "1
hold"). So each builder here returns a whole sentence (or an independent clause) whose words follow
from the values, every value included: NaN (not run in this profile), nothing to recover, a negative
change, zero counts. Thresholds are applied to the values as printed (rounded), so the words always
agree with the number beside them. ``tests/test_defense_gan_prose.py`` renders every case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..claims import FAILS, HOLDS, INCONCLUSIVE, UNTESTABLE


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _nan(*values: float) -> bool:
    return any(math.isnan(float(v)) for v in values)


@dataclass(frozen=True)
class Recovery:
    """What a defense gives back of the accuracy an attack takes: accuracy without the attack,
    under the attack with no defense, and under the attack with the defense."""

    no_attack: float
    no_defense: float
    defended: float

    @property
    def lost(self) -> float:
        return self.no_attack - self.no_defense

    @property
    def fraction(self) -> float:
        """(defended - no defense) / lost; NaN when nothing was lost or a value is missing."""
        if _nan(self.no_attack, self.no_defense, self.defended) or round(self.lost, 3) <= 0:
            return math.nan
        return (self.defended - self.no_defense) / self.lost

    @property
    def percent(self) -> int | None:
        """The recovered share as printed (whole percent), None when there is none to print."""
        f = self.fraction
        return None if math.isnan(f) else round(100 * f)

    def amount(self) -> str | None:
        """'nearly all' (>= 90%), 'most' (>= 50%), 'less than half' (> 0%), 'none' (<= 0%), or None
        when nothing was lost or a value is missing."""
        p = self.percent
        if p is None:
            return None
        return "nearly all" if p >= 90 else "most" if p >= 50 else "less than half" if p > 0 else "none"

    def sentence(self, defense: str, attack: str, model: str) -> str:
        """One sentence for the prose, e.g. ``defense`` = "the projection", ``attack`` = "a black-box
        FGSM attack", ``model`` = "an MNIST classifier"."""
        a, b, c = self.no_attack, self.no_defense, self.defended
        if _nan(a, b, c):
            return f"{_cap(attack)} was not run against {model} in this profile."
        if self.percent is None:
            return (f"{_cap(attack)} takes no accuracy from {model} here ({a:.3f} without it, {b:.3f} "
                    f"with it), so {defense} has nothing to recover.")
        if self.percent < 0:
            return (f"{_cap(defense)} recovers none of the accuracy that {attack} takes from {model}: with "
                    f"it in front, accuracy is {c:.3f}, below the {b:.3f} the attack leaves "
                    f"({a:.3f} without the attack).")
        return (f"{_cap(defense)} recovers {self.amount()} ({self.percent}%) of the accuracy that "
                f"{attack} takes from {model}: {a:.3f} without the attack, {b:.3f} under it, {c:.3f} with "
                "the defense.")


def detection(auc: float, items: str = "digits") -> str:
    """A sentence on the reconstruction-error detector's AUC (0.5 is chance)."""
    if _nan(auc):
        return "The detector was not evaluated in this profile."
    a = round(auc, 3)
    if a >= 0.9:
        words = f"separates attacked from clean {items} well"
    elif a >= 0.7:
        words = f"separates attacked from clean {items} in part"
    elif a > 0.55:
        words = f"barely separates attacked from clean {items}"
    elif a >= 0.45:
        words = f"does not separate attacked from clean {items}"
    else:
        words = f"ranks them the wrong way round: attacked {items} get the smaller error"
    return f"The reconstruction error {words} (AUC {a:.3f}; 0.5 is chance)."


def gan_trend(dataset: str, end: float, drop: float, threshold: float = 0.1) -> str:
    """A sentence on the critic's Wasserstein estimate at the end of WGAN-GP training: where it ends
    and how it moved over the last quarter (``drop`` > 0 means it fell; NaN: too short a run)."""
    if _nan(end):
        return f"On {dataset} the critic's estimate was not recorded."
    start = f"On {dataset} the estimate ends at {end:.2f}"
    if _nan(drop):
        return f"{start}; the run is too short to tell whether it was still falling."
    d = round(drop, 2)
    if d > threshold:
        return (f"{start} and fell by {d:.2f} over the last quarter of the run: the generator was still "
                "improving when training stopped.")
    if d < -threshold:
        return (f"{start} and rose by {-d:.2f} over the last quarter of the run: by this measure the "
                "generator stopped improving before training did.")
    moved = "did not move" if d == 0 else f"{'fell' if d > 0 else 'rose'} by only {abs(d):.2f}"
    return (f"{start} and {moved} over the last quarter of the run (no more than {threshold:g} either way): "
            "it has levelled off.")


def closer_by_hand(k: int, n: int) -> str:
    """The closer-point test on the by-hand digits, as a clause: for how many of the ``n`` attacked
    digits the projection lands nearer the attacked digit than the clean reconstruction does."""
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    lands = ("the projection of the attacked digit lands nearer the attacked digit than the clean "
             "digit's reconstruction does")
    if k == 0:
        return (f"for none of the {n} digits does the projection of the attacked digit land nearer the "
                "attacked digit than the clean digit's reconstruction: here the reconstructions do not "
                "follow the perturbation")
    who = "the digit" if n == 1 else f"all {n} digits" if k == n else f"{k} of the {n} digits"
    those = "its" if n == 1 else "their" if k == n else "those digits'"
    return f"for {who} {lands}, so {those} reconstruction carries part of the perturbation with it"


def sweep(L: int, clean_A: float, orig_clean: float, orig_adv: float, rec_adv: float,
          close: float = 0.05) -> str:
    """Experiment 3's reading at the largest L: does the projection keep clean digits (Orig within
    ``close`` of A without the projection), and what is left under black-box FGSM."""
    if _nan(clean_A, orig_clean, orig_adv, rec_adv):
        return "The sweep was not run in this profile."
    head = f"At L = {L} the projection keeps classifier A (Orig) at {orig_clean:.3f} on clean test images"
    if round(orig_clean, 3) >= round(clean_A - close, 3):
        head += f", close to its {clean_A:.3f} without the projection: the generator draws these digits"
    else:
        head += (f", below its {clean_A:.3f} without the projection: the generator does not draw all of "
                 "these digits")
    if round(max(orig_adv, rec_adv), 3) < round(orig_clean - close, 3):
        tail = f"on their black-box FGSM versions Orig reaches only {orig_adv:.3f} and Rec {rec_adv:.3f}"
        return f"{head}; but {tail}."
    return f"{head}; on their black-box FGSM versions Orig reaches {orig_adv:.3f} and Rec {rec_adv:.3f}."


_VERBS = {HOLDS: ("holds", "hold"), FAILS: ("does not hold", "do not hold"),
          INCONCLUSIVE: ("is inconclusive at this scale", "are inconclusive at this scale"),
          UNTESTABLE: ("is not testable here", "are not testable here")}


def verdict_counts(counts: Mapping[str, int]) -> str:
    """'Of 32 rows, 1 holds, 3 do not hold and 28 are inconclusive at this scale; none holds' style
    sentence from :func:`facerobust.experiments.claims.counts` (zero counts left out, except that a
    table where nothing holds says so)."""
    unknown = set(counts) - set(_VERBS)
    if unknown or any(v < 0 for v in counts.values()):
        raise ValueError(f"counts must map verdicts {tuple(_VERBS)} to counts >= 0, got {dict(counts)}")
    total = sum(counts.values())
    if total == 0:
        return "The table has no rows."
    parts = [f"{n} {_VERBS[v][0 if n == 1 else 1]}" for v in _VERBS if (n := counts.get(v, 0)) > 0]
    if len(parts) == 1:
        only = next(v for v in _VERBS if counts.get(v, 0) > 0)
        every = "The only row" if total == 1 else f"All {total} rows"
        return f"{every} {_VERBS[only][0 if total == 1 else 1]}."
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    tail = "; none holds" if counts.get(HOLDS, 0) == 0 else ""
    return f"Of {total} rows, {listed}{tail}."
