"""The sanity checks of an evaluation as claims rows (Carlini et al. 2019; AutoAttack's pre-checks).

Each check is a claim about the *evaluation* of one model ("the gradient attacks are not masked",
"the attack has converged") judged by a rule of the shared claims module, with the rule's text and
every threshold shown. A check that does not hold says, in the row's note, what it suggests.

Carlini et al. 2019 (measured on the standard budget's per-point worst case):

* ``iterative``: no point is turned by FGSM that the iterative attacks did not turn;
* ``unbounded``: APGD-CE at an unbounded budget leaves at most chance accuracy (Wilson interval);
* ``gradient-free``: Square, run after the white-box attacks, lowers robust accuracy by at most
  AutoAttack's 0.002 (else gradient masking is suspected);
* ``converged``: APGD-CE with twice the steps leaves robust accuracy inside its Wilson interval;
* ``transfer``: no point is turned by a transfer attack from a substitute that the white-box
  attacks did not turn.

AutoAttack's pre-attack checks (:mod:`.prechecks`): ``deterministic``, ``logits``, ``gradients``,
``static``.
"""

from __future__ import annotations

from collections.abc import Callable

from ...attacks.worst_case import WorstCase
from ...metrics.intervals import wilson
from .. import claims
from .evaluate import DOUBLED, GRADIENT_FREE, SINGLE_STEP, TRANSFER
from .prechecks import PreChecks
from .results import TargetResult

CARLINI = "Carlini et al. 2019"
AUTOATTACK = "AutoAttack (Croce & Hein 2020), checks.py"
SQUARE_ALPHA = 0.002
"""AutoAttack's tolerance: Square may lower robust accuracy by at most this after the other attacks."""
RANDOM_ALPHA = 1e-4
"""AutoAttack's tolerance between repeated passes' normalised outputs."""

READINGS = {
    "deterministic": "the output is random: attack the expectation (EOT) and judge several draws",
    "logits": "the model returns probabilities: the cross-entropy saturates and gradients vanish",
    "gradients": "gradient attacks cannot move these points (masked gradients): trust only "
                 "gradient-free and transfer results for them",
    "static": "the forward pass runs its own optimisation: attack it with BPDA/EOT or unrolled, "
              "as this card does",
    "iterative": "a single step found what iterative attacks missed: their gradients mislead them "
                 "(gradient masking suspected)",
    "unbounded": "even an unbounded attack fails: the gradient attack is blocked (masking) or too weak",
    "gradient-free": "a gradient-free attack finds what the gradient attacks miss: gradient masking "
                     "suspected",
    "converged": "more steps still turn points: the robust accuracy shown is an overestimate",
    "transfer": "an attack crafted on another model does better than the white-box one: the "
                "white-box gradients mislead (masking suspected)",
}


def _stage_count(wc: WorstCase, stage: str) -> int | None:
    """Points the stage ``stage`` turned (None if it did not run)."""
    if stage not in wc.stages:
        return None
    return int((wc.broken_by == wc.stages.index(stage)).sum())


def deterministic(c: PreChecks) -> claims.Judgement:
    ok = c.max_diff <= RANDOM_ALPHA and not c.correct_varies
    ours = f"largest difference {c.max_diff:.2g}" + ("; correct count varies" if c.correct_varies else "")
    rule = (f"{AUTOATTACK}: 5 passes on {c.n} points differ by <= {RANDOM_ALPHA:g} (L2 of normalised "
            "outputs) and give the same correct count")
    return claims.qualitative(ok, ours, rule)


def logits(c: PreChecks) -> claims.Judgement:
    ours = "probabilities" if c.probabilities else "not a probability vector"
    return claims.qualitative(not c.probabilities, ours,
                              f"{AUTOATTACK}: outputs are not all in [0, 1] with rows summing to 1")


def gradients(c: PreChecks) -> claims.Judgement:
    return claims.qualitative(c.zero_gradients == 0, f"{c.zero_gradients} of {c.n} points",
                              f"{AUTOATTACK}: no point has an exactly zero cross-entropy gradient "
                              "(of the model the attacks differentiate)")


def static(c: PreChecks) -> claims.Judgement:
    return claims.qualitative(c.autograd_calls == 0, f"{c.autograd_calls} autograd calls",
                              f"{AUTOATTACK}: one forward pass calls no autograd (grad / backward)")


def iterative(wc: WorstCase) -> claims.Judgement:
    rule = f"{CARLINI}: per point, iterative attacks at least as strong as FGSM (points only FGSM turns = 0)"
    k = _stage_count(wc, SINGLE_STEP)
    if k is None:
        return claims.not_run(rule, "FGSM is an L-inf attack; the standard budget is L2")
    return claims.qualitative(k == 0, f"{k} of {wc.n} points", rule)


def unbounded(large: WorstCase, n_classes: int, label: str) -> claims.Judgement:
    return claims.rate_at_most(large.k, large.n, 1 / n_classes,
                               what=f"robust accuracy under APGD-CE at {label} (chance 1/{n_classes})")


def gradient_free(wc: WorstCase) -> claims.Judgement:
    rule = (f"{AUTOATTACK} and {CARLINI}: Square, after the white-box attacks, lowers robust accuracy by "
            f"<= {SQUARE_ALPHA:g}")
    k = _stage_count(wc, GRADIENT_FREE)
    if k is None:
        return claims.not_run(rule, "no gradient-free attack on this row (each query costs a projection)")
    return claims.qualitative(k / wc.n <= SQUARE_ALPHA, f"{k} of {wc.n} points ({k / wc.n:.3f})", rule)


def converged(r: TargetResult) -> claims.Judgement:
    wc = r.standard
    rule = (f"{CARLINI}: APGD-CE with twice the steps leaves robust accuracy inside its Wilson 95% interval "
            "(at or above its lower end)")
    extra = _stage_count(wc, DOUBLED)
    if extra is None:
        return claims.not_run(rule, "not run")
    k = r.robust_after_standard()
    lo, hi = wilson(k, wc.n)
    after = (k - extra) / wc.n
    ours = f"{k / wc.n:.3f} [{lo:.3f}, {hi:.3f}] -> {after:.3f}"
    return claims.qualitative(after >= lo, ours, rule)


def transfer(wc: WorstCase) -> claims.Judgement:
    rule = (f"{CARLINI}: per point, a transfer attack from a substitute turns nothing the white-box attacks "
            "did not")
    k = _stage_count(wc, TRANSFER)
    if k is None:
        return claims.not_run(rule, "no substitute model for this data")
    return claims.qualitative(k == 0, f"{k} of {wc.n} points", rule)


CHECKS: dict[str, tuple[str, Callable[[TargetResult], claims.Judgement]]] = {
    "deterministic": ("the output is deterministic", lambda r: deterministic(r.checks)),
    "logits": ("the output is logits, not probabilities", lambda r: logits(r.checks)),
    "gradients": ("no point has a zero gradient", lambda r: gradients(r.checks)),
    "static": ("the forward pass runs no optimisation", lambda r: static(r.checks)),
    "iterative": ("iterative attacks beat single-step FGSM", lambda r: iterative(r.standard)),
    "unbounded": ("an unbounded attack reaches chance",
                  lambda r: unbounded(r.large, r.target.n_classes, r.plan.large.label)),
    "gradient-free": ("a gradient-free attack is not stronger", lambda r: gradient_free(r.standard)),
    "converged": ("doubling the steps changes nothing", converged),
    "transfer": ("a transfer attack is weaker than white-box", lambda r: transfer(r.standard)),
}
"""Check name -> (what holds when the check passes, rule)."""


def sanity_claims(r: TargetResult) -> list[claims.Claim]:
    """One claims row per check of :data:`CHECKS` for the target of ``r``."""
    t, rows = r.target, []
    for name, (what, rule) in CHECKS.items():
        j = rule(r)
        source = AUTOATTACK if name in ("deterministic", "logits", "gradients", "static") else CARLINI
        note = READINGS[name] if j.verdict == claims.FAILS else ""
        paper = claims.Paper("required", source)
        rows.append(claims.claim(f"S-{t.key}-{name}", f"{t.name}: {what}", paper, j, note))
    return rows


__all__ = ["CHECKS", "READINGS", "converged", "deterministic", "gradient_free", "gradients", "iterative",
           "logits", "sanity_claims", "static", "transfer", "unbounded"]
