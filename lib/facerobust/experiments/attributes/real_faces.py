"""Experiment 6 (chapter 03): FGS and FFA against real pretrained attribute models on real faces.

Targets: the registry's ``AttributeModel`` s (Male from three models, Young from three,
Smiling from one; ``score(x)`` (N,), positive = present), each fed the hand-labelled real faces
as dlib chips at its own ``input_size`` and ``chip_padding``. A model is wrapped as a
one-attribute bank with logits ``(0, score)``, so FGS uses the logistic loss of its score and
FFA the raw score gradient. Ground truth: Male = gender "male", Young = age_group "young",
Smiling = smiling 1. Cross-model and cross-attribute transfer re-cut a source chip to the
target's geometry (centre crop for a smaller padding, then resize) and round it to integers.
Each model's faces are attacked on the device of its network (:func:`to_device`); the results
(:class:`FaceResults`) are gathered on the CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional

from ... import device as devices
from ...attacks import attribute_directions as dirs
from ...metrics import pass_score
from ...metrics.pass_score import TAU
from ...models.base import embed


class ScoredModel(Protocol):
    name: str
    attribute: str
    input_size: int
    chip_padding: float

    def score(self, x: Tensor) -> Tensor: ...


@dataclass(frozen=True)
class FaceAttack:
    """One method on one model, per face (N,): ``flip``, ``pass_score`` (NaN where no flip),
    ``weight`` (grey levels), ``x_adv`` (N, 3, H, W) the perturbed chips in [0, 1]."""

    flip: Tensor
    pass_score: Tensor
    weight: Tensor
    x_adv: Tensor

    def adversarial(self, tau: float = TAU) -> Tensor:
        """(N,) bool: decision flipped and PASS >= ``tau``."""
        return self.flip & (self.pass_score >= tau)


@dataclass(frozen=True)
class FaceResults:
    """One model on its chips: ``x`` (N, 3, H, W), ``y`` hand labels, ``score`` f(x), ``correct``;
    ``attacks`` by method ('fgs', 'ffa')."""

    x: Tensor
    y: Tensor
    score: Tensor
    correct: Tensor
    attacks: Mapping[str, FaceAttack]

    def run(self, method: str) -> FaceAttack:
        """The ``method`` attack on this model's faces."""
        if method not in self.attacks:
            raise ValueError(f"no {method!r} attack on these faces; known: {', '.join(self.attacks)}")
        return self.attacks[method]


class ScoreBank(nn.Module):
    """A single-attribute bank with logits ``(0, score(x))`` around a scored model."""

    def __init__(self, model: ScoredModel) -> None:
        super().__init__()
        self.model, self.n_attributes, self.n_out, self.in_channels = model, 1, 2, 3

    def forward(self, x: Tensor) -> Tensor:
        x4 = x[:, 0] if x.ndim == 5 else x
        s = self.model.score(x4)
        return torch.stack([torch.zeros_like(s), s], -1).unsqueeze(1)


def truth(labels: pd.DataFrame, attribute: str) -> Tensor:
    """Hand labels as {-1, +1} for Male, Young or Smiling."""
    rules: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
        "Male": lambda d: d.gender == "male",
        "Young": lambda d: d.age_group == "young",
        "Smiling": lambda d: d.smiling == 1,
    }
    if attribute not in rules:
        raise ValueError(f"no hand label for attribute {attribute!r}; known: {', '.join(rules)}")
    return torch.from_numpy(rules[attribute](labels).to_numpy().astype(np.int64) * 2 - 1)


def rechip(x: Tensor, pad_from: float, pad_to: float, size: int) -> Tensor:
    """Re-cut chips made with padding ``pad_from`` to padding ``pad_to`` <= ``pad_from`` and
    ``size`` pixels (centre crop + antialiased resize), rounded to integer grey levels."""
    if pad_to > pad_from + 1e-9:
        raise ValueError(f"cannot widen a chip from padding {pad_from} to {pad_to}")
    h = x.shape[-1]
    keep = round(h * (1 + 2 * pad_to) / (1 + 2 * pad_from))
    o = (h - keep) // 2
    y = x[..., o : o + keep, o : o + keep]
    if keep != size:
        y = functional.interpolate(y, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return (y * 255).round().clamp(0, 255) / 255


def _device(model: ScoredModel) -> torch.device:
    net = getattr(model, "model", None)
    return devices.of(net) if isinstance(net, nn.Module) else torch.device("cpu")


def to_device(
    models: Mapping[str, ScoredModel], device: str | torch.device | None
) -> Mapping[str, ScoredModel]:
    """Move every model's network to ``device`` (the chapter's ``device`` parameter); returns ``models``."""
    dev = devices.resolve(device)
    for m in models.values():
        net = getattr(m, "model", None)
        if isinstance(net, nn.Module):
            net.to(dev)
    return models


@torch.no_grad()
def _scores(model: ScoredModel, x: Tensor, batch: int = 16) -> Tensor:
    """Scores (N,) on the CPU of ``x`` scored on the model's device."""
    dev = _device(model)
    return embed(lambda b: model.score(b.to(dev)).cpu(), x, batch)


@dataclass(frozen=True)
class LineSearch:
    """The line search of FGS and FFA on the faces (chapter 2's): first weight ``w0``, cap ``w_max``
    (grey levels), bisection tolerance ``tol``."""

    w0: float
    w_max: float
    tol: float


def _attack(m: ScoredModel, x: Tensor, method: str, search: LineSearch) -> FaceAttack:
    """FGS or FFA with the line search on one model (``x`` on its device), PASS on the flips."""
    res = dirs.flip_attack(ScoreBank(m), x, method=method, w0=search.w0, w_max=search.w_max, tol=search.tol)
    flip, x_adv = res.success[:, 0].cpu(), res.x_adv[:, 0].cpu()  # one attribute
    score = torch.full_like(flip, float("nan"), dtype=torch.float64)
    if flip.any():
        score[flip] = pass_score.pass_score(x_adv[flip], x.cpu()[flip])
    return FaceAttack(flip, score, res.info["weight"][:, 0].cpu(), x_adv)


def attack_models(
    models: Mapping[str, ScoredModel], faces: Callable[[int, float], Any], search: LineSearch
) -> tuple[pd.DataFrame, dict[str, FaceResults]]:
    """FGS and FFA on every model; ``faces(size, padding)`` -> FaceSet (CPU chips, moved to the
    model's device). Returns a per-model summary table and, per model, its :class:`FaceResults`
    (used for the gallery and transfer)."""
    rows, out = [], {}
    for name, m in models.items():
        fs = faces(m.input_size, m.chip_padding)
        x, y = fs.x, truth(fs.labels, m.attribute)
        f0 = _scores(m, x)
        ok = torch.where(f0 > 0, 1, -1) == y
        attacks = {method: _attack(m, x.to(_device(m)), method, search) for method in ("fgs", "ffa")}
        row: dict[str, Any] = {"model": name, "faces": len(x), "correct": int(ok.sum())}
        for method, r in attacks.items():
            adv, flip, up = r.adversarial(), r.flip, method.upper()
            median = float(r.pass_score[flip].median()) if flip.any() else float("nan")
            row |= {f"{up}+": int((adv & ok).sum()), f"{up}-": int((adv & ~ok).sum()),
                    f"{up} median PASS": median}
        rows.append(row)
        out[name] = FaceResults(x, y, f0, ok, attacks)
    return pd.DataFrame(rows).set_index("model"), out


@torch.no_grad()
def transfer(
    models: Mapping[str, ScoredModel], results: Mapping[str, FaceResults], method: str = "ffa"
) -> pd.DataFrame:
    """``[target, source]`` = % of the source model's PASS-valid adversarials that change the
    target model's decision (vs the same re-cut clean face); NaN where the geometry cannot be
    converted (target padding larger than the source's) or the source has no adversarial."""
    names = list(models)
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for src in names:
        r, ms = results[src], models[src]
        run = r.run(method)
        adv = run.adversarial()
        if not adv.any():
            continue
        for tgt in names:
            mt = models[tgt]
            if mt.chip_padding > ms.chip_padding + 1e-9:
                continue
            xa = rechip(run.x_adv[adv], ms.chip_padding, mt.chip_padding, mt.input_size)
            xc = rechip(r.x[adv], ms.chip_padding, mt.chip_padding, mt.input_size)
            m.loc[tgt, src] = float(((_scores(mt, xa) > 0) != (_scores(mt, xc) > 0)).float().mean() * 100)
    return m


def gallery_rows(
    models: Mapping[str, ScoredModel],
    results: Mapping[str, FaceResults],
    k: int = 4,
    method: str = "ffa",
    size: int = 112,
) -> tuple[Tensor, Tensor, list[tuple[str, str]]]:
    """Up to ``k`` PASS-valid adversarial faces (natural ones first, one per model), resized to
    ``size`` for display, with captions: model, label, score before / after, PASS."""
    picks: list[tuple[str, int]] = []
    for want_ok in (False, True):
        for name, r in results.items():
            idx = (r.run(method).adversarial() & (r.correct == want_ok)).nonzero().squeeze(1)
            if len(idx) and len(picks) < k and name not in {p[0] for p in picks}:
                picks.append((name, int(idx[0])))
    if not picks:
        empty = next(iter(results.values())).x[:0] if results else torch.zeros(0, device=torch.device("cpu"))
        return empty, empty, []

    def show(t: Tensor) -> Tensor:
        return functional.interpolate(t[None], size=(size, size), mode="bilinear", antialias=True)[0]

    xs, xa, caps = [], [], []
    for name, i in picks:
        r = results[name]
        run = r.run(method)
        after = float(_scores(models[name], run.x_adv[i : i + 1])[0])
        xs.append(show(r.x[i]))
        xa.append(show(run.x_adv[i]))
        caps.append(
            (
                f"{name}, label {int(r.y[i]):+d}, f = {float(r.score[i]):.2f}",
                f"f = {after:.2f}, PASS {float(run.pass_score[i]):.3f}",
            )
        )
    return torch.stack(xs), torch.stack(xa), caps
