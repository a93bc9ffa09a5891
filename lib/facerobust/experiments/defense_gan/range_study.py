"""The range study and the budget study of the Defense-GAN chapter (issue 20).

Defense-GAN can only remove a perturbation that the generator cannot draw. The cheap, decisive
measurement is the "closer adversarial point" rate (:func:`facerobust.defenses.defense_gan.closer_point`):
the share of attacked digits whose projection lands nearer the attack than the clean digit's own
reconstruction. :func:`screen` measures it, with the accuracy of the classifier on the reconstructions,
for labelled projection variants (a prior term, a z ball) beside the faithful projection;
:func:`budget` measures Defense-GAN-Rec and the rate against the generator's training budget, on
snapshots of one WGAN-GP run, for three attacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from torch import Tensor, nn

from ...attacks.base import AttackResult, in_chunks
from ...attacks.fgsm import fgsm
from ...defenses.defense_gan import CloserPoint, DefenseGAN, closer_point
from ...models.base import accuracy


def sent(res: AttackResult) -> Tensor:
    """The images an attack sends on to a defense: its final iterate for every sample (``x_last``
    where the attack records it), not only those that fooled the model it was computed on."""
    x_last = res.info.get("x_last") if isinstance(res.info, Mapping) else None
    return x_last if isinstance(x_last, Tensor) else res.x_adv


@dataclass(frozen=True)
class Variant:
    """A projection setting: the faithful one (no prior, no ball) or a labelled range-restricting variant."""

    prior: float = 0.0
    radius: float | None = None

    def defense(self, G: nn.Module, L: int, R: int, seed: int) -> DefenseGAN:
        return DefenseGAN(G, L=L, R=R, seed=seed, prior=self.prior, radius=self.radius)


def variants(priors: Sequence[float], radii: Sequence[float]) -> list[Variant]:
    """The faithful projection first, then one variant per prior weight and per ball radius."""
    return [Variant(), *(Variant(prior=p) for p in priors if p > 0), *(Variant(radius=r) for r in radii)]


@dataclass(frozen=True)
class RangeRow:
    """One (setting, attack, eps) cell of the range or budget study."""

    setting: str
    attack: str
    eps: float
    n: int
    closer: int
    follow: float
    orig: float
    rec: float

    @property
    def closer_rate(self) -> float:
        return self.closer / self.n if self.n else math.nan


def _row(
    setting: str,
    attack: str,
    eps: float,
    cp: CloserPoint,
    y: Tensor,
    clf: nn.Module,
    rec_clf: nn.Module | None,
) -> RangeRow:
    rec = accuracy(rec_clf, cp.rec_adv, y) if rec_clf is not None else math.nan
    return RangeRow(
        setting, attack, eps, cp.n, cp.k, float(cp.follow.mean()), accuracy(clf, cp.rec_adv, y), rec
    )


def frame(rows: Sequence[RangeRow]) -> pd.DataFrame:
    """The rows as a table, with the closer-point rate as a column."""
    df = pd.DataFrame([asdict(r) for r in rows])
    df["closer rate"] = [r.closer_rate for r in rows]
    return df


def screen(
    G: nn.Module,
    clf: nn.Module,
    x: Tensor,
    y: Tensor,
    eps_grid: Sequence[float],
    settings: Sequence[Variant],
    L: int,
    R: int,
    seed: int,
    rec_clf: nn.Module | None = None,
) -> list[RangeRow]:
    """FGSM on the classifier alone at each eps, then each projection setting: closer-point rate,
    how much of the perturbation the reconstruction copies, and accuracy on the reconstructions
    (``orig``: the classifier; ``rec``: the Rec classifier when given)."""
    if not eps_grid or not settings:
        raise ValueError("screen needs at least one eps and one projection setting")
    rows = []
    advs = {eps: sent(fgsm(clf, x, y, eps=eps)) for eps in eps_grid}
    for v in settings:
        d = v.defense(G, L, R, seed)
        clean = d.project(x)
        for eps, xa in advs.items():
            rows.append(
                _row(
                    d.variant, "FGSM on classifier", eps, closer_point(d, x, xa, clean=clean), y, clf, rec_clf
                )
            )
    return rows


def whitebox_adv(
    G: nn.Module,
    rec_clf: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    L: int,
    R: int,
    seed: int,
    chunk: int = 10,
    variant: Variant | None = None,
) -> Tensor:
    """FGSM through the L-step unrolled projection (the attacker draws its own starts, ``seed``),
    ``chunk`` images at a time: the graph of L*R steps per image is what bounds memory."""
    view = nn.Sequential((variant or Variant()).defense(G, L, R, seed), rec_clf)
    return sent(in_chunks(fgsm, view, x, y, chunk, eps=eps))


@dataclass(frozen=True)
class BudgetInputs:
    """What the budget study attacks: the classifier, the attacker's substitute and the test images."""

    clf: nn.Module
    substitute: nn.Module
    x: Tensor
    y: Tensor
    n_whitebox: int


def budget(
    snapshots: Mapping[int, nn.Module],
    rec_for: Callable[[int, nn.Module], nn.Module],
    inp: BudgetInputs,
    eps_grid: Sequence[float],
    L: int,
    R: int,
    L_wb: int,
    R_wb: int,
    seed: int,
) -> list[RangeRow]:
    """Per generator snapshot (training iterations -> G) and eps: Defense-GAN-Rec and the
    closer-point rate under white-box FGSM through the projection (L_wb, R_wb unrolled, first
    ``n_whitebox`` images), FGSM on the classifier alone and black-box FGSM on the substitute
    (defended at L, R). ``rec_for(iters, G)`` gives the Rec classifier trained for that generator."""
    rows = []
    x, y, n_wb = inp.x, inp.y, inp.n_whitebox
    for it, G in sorted(snapshots.items()):
        rec = rec_for(it, G)
        d = DefenseGAN(G, L=L, R=R, seed=seed)
        clean = d.project(x)
        for eps in eps_grid:
            advs = {
                "FGSM on classifier": (x, y, sent(fgsm(inp.clf, x, y, eps=eps))),
                "black-box FGSM": (x, y, sent(fgsm(inp.substitute, x, y, eps=eps))),
                "white-box FGSM": (
                    x[:n_wb],
                    y[:n_wb],
                    whitebox_adv(G, rec, x[:n_wb], y[:n_wb], eps, L_wb, R_wb, seed + 1000),
                ),
            }
            for attack, (xs, ys, xa) in advs.items():
                cl = clean if len(xs) == len(x) else None
                rows.append(_row(str(it), attack, eps, closer_point(d, xs, xa, clean=cl), ys, inp.clf, rec))
    return rows


_STUDY_KEYS = ("run", "gan_train_images", "gan_iters_used", "latent", "n", "L", "R", "clean", "attacks",
               "date")


def study_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The result file of ``tools/defense_gan_latent_study.py`` (a list of runs: one generator each,
    latent size and GAN training images varied) as one row per (run, eps): clean Rec, Rec and Orig
    under FGSM on the classifier, and the closer-point rate with its Wilson 95% interval."""
    if not rows:
        raise ValueError("the latent study holds no runs")
    out = []
    for r in rows:
        missing = [k for k in _STUDY_KEYS if k not in r]
        if missing:
            raise ValueError(f"latent-study run {r.get('run', '?')!r} lacks {missing}")
        for a in r["attacks"]:
            c = a["closer"]
            out.append({"run": r["run"], "GAN images": r["gan_train_images"],
                        "GAN iterations": r["gan_iters_used"], "latent": r["latent"], "eps": a["eps"],
                        "clean rec": r["clean"]["rec"]["rate"], "rec": a["rec"]["rate"],
                        "orig": a["orig"]["rate"], "closer rate": c["rate"], "closer lo": c["lo"],
                        "closer hi": c["hi"], "n": c["n"]})
    return pd.DataFrame(out)


def kept(table: pd.DataFrame, max_closer: float, min_clean_rec: float) -> pd.DataFrame:
    """The rows of :func:`study_table` worth keeping: the closer-point rate's whole 95% interval below
    ``max_closer`` while clean Rec stays at least ``min_clean_rec`` (the generator still reconstructs)."""
    if not (0 < max_closer <= 1 and 0 <= min_clean_rec <= 1):
        raise ValueError(f"need 0 < max_closer <= 1 and 0 <= min_clean_rec <= 1, got {max_closer}, "
                         f"{min_clean_rec}")
    return table[(table["closer hi"] < max_closer) & (table["clean rec"] >= min_clean_rec)]
