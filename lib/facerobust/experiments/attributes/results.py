"""Typed results of the attribute attacks (chapters 02-03).

One :class:`AttackRun` per (loss, stage, method): which (image, attribute) pairs flipped, the
line-search weight, PASS and whether ECC aligned, and (where kept) the adversarial images. One
:class:`NetScores` per (loss, stage): the network's score ``f(x)`` and whether it is correct.
:class:`AttributeResults` holds them with the attacked images, labels and sample indices, and
looks them up by name (:meth:`~AttributeResults.run`, :meth:`~AttributeResults.scores`); an
unknown name raises ``ValueError`` listing the known ones. All tensors are on the CPU (the
tables read them there). For the cache, :meth:`~AttributeResults.to_state` gives nested
dicts and lists of tensors and strings that ``torch.load(weights_only=True)`` reads back, and
:meth:`~AttributeResults.from_state` rebuilds (and checks) the results: no pickled objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from torch import Tensor

from ...metrics.pass_score import TAU

METHODS, STAGES = ("fgs", "ffa"), ("epoch2", "converged")


@dataclass(frozen=True)
class NetScores:
    """One bank (loss, stage) on the attacked images: ``score`` f(x) and ``correct``, both (N, A)."""

    score: Tensor
    correct: Tensor


@dataclass(frozen=True)
class AttackRun:
    """One method on one bank, per (image, attribute) pair, all (N, A): ``flip`` (decision
    changed), ``weight`` (grey levels, NaN where no flip), ``pass_score`` (PASS, NaN where no flip),
    ``ecc`` (ECC aligned; False = plain-SSIM fallback); ``x_adv`` (N, A, C, H, W) uint8 grey levels
    of the perturbed images, or None where they were not kept."""

    flip: Tensor
    weight: Tensor
    pass_score: Tensor
    ecc: Tensor
    x_adv: Tensor | None = None

    def adversarial(self, tau: float = TAU) -> Tensor:
        """(N, A) bool: decision flipped and PASS >= ``tau``."""
        return self.flip & (self.pass_score >= tau)

    def images(self) -> Tensor:
        """The perturbed images as float in [0, 1], (N, A, C, H, W)."""
        if self.x_adv is None:
            raise ValueError("this attack run did not keep its adversarial images "
                             "(see adversarial.keep_images)")
        return self.x_adv.float() / 255


def _known(keys: Any) -> str:
    return "; ".join("/".join(k) for k in keys)


@dataclass(frozen=True)
class AttributeResults:
    """Every attack of one attack sample: ``x`` (N, C, H, W) uint8 images, ``y`` (N, A) labels in
    {-1, +1}, ``index`` (N,) their indices in the training set; ``nets`` by (loss, stage) and
    ``runs`` by (loss, stage, method)."""

    x: Tensor
    y: Tensor
    index: Tensor
    nets: Mapping[tuple[str, str], NetScores]
    runs: Mapping[tuple[str, str, str], AttackRun]

    def scores(self, loss: str, stage: str) -> NetScores:
        """The scores and correctness of the ``loss`` bank at ``stage``."""
        if (loss, stage) not in self.nets:
            raise ValueError(f"no network scores for loss={loss!r}, stage={stage!r}; "
                             f"known: {_known(self.nets)}")
        return self.nets[(loss, stage)]

    def run(self, loss: str, stage: str, method: str) -> AttackRun:
        """The ``method`` attack on the ``loss`` bank at ``stage``."""
        if (loss, stage, method) not in self.runs:
            raise ValueError(f"no attack run for loss={loss!r}, stage={stage!r}, method={method!r}; "
                             f"known: {_known(self.runs)}")
        return self.runs[(loss, stage, method)]

    def images(self) -> Tensor:
        """The attacked images as float in [0, 1], (N, C, H, W)."""
        return self.x.float() / 255

    @property
    def n_pairs(self) -> int:
        """(image, attribute) pairs attacked per run."""
        return self.y.numel()

    def to_state(self) -> dict[str, Any]:
        """Nested dicts and lists of tensors and strings (loads with ``weights_only=True``)."""
        return {
            "x": self.x, "y": self.y, "index": self.index,
            "nets": [{"loss": lo, "stage": st, "score": s.score, "correct": s.correct}
                     for (lo, st), s in self.nets.items()],
            "runs": [{"loss": lo, "stage": st, "method": m} | {f.name: getattr(r, f.name) for f in fields(r)}
                     for (lo, st, m), r in self.runs.items()],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> AttributeResults:
        """Rebuild from :meth:`to_state`'s form; ``ValueError`` naming what is missing or wrong."""
        try:
            nets = {(d["loss"], d["stage"]): NetScores(d["score"], d["correct"]) for d in state["nets"]}
            runs = {(d["loss"], d["stage"], d["method"]):
                    AttackRun(**{f.name: d[f.name] for f in fields(AttackRun)}) for d in state["runs"]}
            out = cls(state["x"], state["y"], state["index"], nets, runs)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an attribute-results state: {type(exc).__name__} {exc}") from exc
        out.check()
        return out

    def check(self) -> None:
        """``ValueError`` unless every tensor has the shape of the attack sample."""
        if not isinstance(self.x, Tensor) or not isinstance(self.y, Tensor) or self.y.ndim != 2:
            raise ValueError("x must be a tensor and y an (N, A) tensor")
        n, a = self.y.shape
        if len(self.x) != n or tuple(self.index.shape) != (n,):
            raise ValueError(f"x {tuple(self.x.shape)} and index {tuple(self.index.shape)} "
                             f"must have {n} rows")
        parts: list[tuple[str, Any]] = [(f"{k}.{f}", getattr(v, f)) for k, v in self.nets.items()
                                        for f in ("score", "correct")]
        parts += [(f"{k}.{f}", getattr(v, f)) for k, v in self.runs.items()
                  for f in ("flip", "weight", "pass_score", "ecc")]
        for name, t in parts:
            if not isinstance(t, Tensor) or tuple(t.shape) != (n, a):
                raise ValueError(f"{name} must be an ({n}, {a}) tensor")
