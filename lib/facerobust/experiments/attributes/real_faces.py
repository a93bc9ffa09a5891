"""Experiment 6 (chapter 03): FGS and FFA against real pretrained attribute models on real faces.

Targets: the registry's ``AttributeModel`` s (Male from three models, Young from three,
Smiling from one; ``score(x)`` (N,), positive = present), each fed the hand-labelled real faces
as dlib chips at its own ``input_size`` and ``chip_padding``. A model is wrapped as a
one-attribute bank with logits ``(0, score)``, so FGS uses the logistic loss of its score and
FFA the raw score gradient. Ground truth: Male = gender "male", Young = age_group "young",
Smiling = smiling 1. Cross-model and cross-attribute transfer re-cut a source chip to the
target's geometry (centre crop for a smaller padding, then resize) and round it to integers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...attacks import attribute_directions as dirs
from ...metrics import pass_score as ps


class ScoredModel(Protocol):
    name: str
    attribute: str
    input_size: int
    chip_padding: float

    def score(self, x: Tensor) -> Tensor: ...


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
        y = F.interpolate(y, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return (y * 255).round().clamp(0, 255) / 255


@torch.no_grad()
def _scores(model: ScoredModel, x: Tensor, batch: int = 16) -> Tensor:
    return torch.cat([model.score(x[i : i + batch]) for i in range(0, len(x), batch)])


def attack_models(
    models: Mapping[str, ScoredModel], faces: Callable[[int, float], Any], P: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, dict[str, Tensor]]]:
    """FGS and FFA on every model; ``faces(size, padding)`` -> FaceSet. Returns a per-model
    summary table and, per model, the tensors (x, y, score, correct, and per method flip,
    pass, adv, x_adv) used for the gallery and transfer."""
    rows, out = [], {}
    for name, m in models.items():
        fs = faces(m.input_size, m.chip_padding)
        x, y = fs.x, truth(fs.labels, m.attribute)
        f0 = _scores(m, x)
        ok = torch.where(f0 > 0, 1, -1) == y
        rec: dict[str, Tensor] = {"x": x, "y": y, "score": f0, "correct": ok}
        row: dict[str, Any] = {"model": name, "faces": len(x), "correct": int(ok.sum())}
        for method in ("fgs", "ffa"):
            res = dirs.flip_attack(ScoreBank(m), x, method=method, w0=P["w0"], w_max=P["w_max"], tol=P["tol"])
            flip, x_adv = res.success[:, 0], res.x_adv[:, 0]  # one attribute
            score = torch.full((len(x),), float("nan"), dtype=torch.float64)
            if flip.any():
                score[flip] = ps.pass_score(x_adv[flip], x[flip])
            adv = flip & (score >= ps.TAU)
            rec |= {
                f"{method}/flip": flip,
                f"{method}/pass": score,
                f"{method}/adv": adv,
                f"{method}/x_adv": x_adv,
                f"{method}/weight": res.info["weight"][:, 0],
            }
            row |= {
                f"{method.upper()}+": int((adv & ok).sum()),
                f"{method.upper()}-": int((adv & ~ok).sum()),
                f"{method.upper()} median PASS": float(score[flip].median()) if flip.any() else float("nan"),
            }
        rows.append(row)
        out[name] = rec
    return pd.DataFrame(rows).set_index("model"), out


@torch.no_grad()
def transfer(
    models: Mapping[str, ScoredModel], results: Mapping[str, Mapping[str, Tensor]], method: str = "ffa"
) -> pd.DataFrame:
    """``[target, source]`` = % of the source model's PASS-valid adversarials that change the
    target model's decision (vs the same re-cut clean face); NaN where the geometry cannot be
    converted (target padding larger than the source's) or the source has no adversarial."""
    names = list(models)
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for src in names:
        r, ms = results[src], models[src]
        adv = r[f"{method}/adv"]
        if not adv.any():
            continue
        for tgt in names:
            mt = models[tgt]
            if mt.chip_padding > ms.chip_padding + 1e-9:
                continue
            xa = rechip(r[f"{method}/x_adv"][adv], ms.chip_padding, mt.chip_padding, mt.input_size)
            xc = rechip(r["x"][adv], ms.chip_padding, mt.chip_padding, mt.input_size)
            m.loc[tgt, src] = float(((_scores(mt, xa) > 0) != (_scores(mt, xc) > 0)).float().mean() * 100)
    return m


def gallery_rows(
    models: Mapping[str, ScoredModel],
    results: Mapping[str, Mapping[str, Tensor]],
    k: int = 4,
    method: str = "ffa",
    size: int = 112,
) -> tuple[Tensor, Tensor, list[tuple[str, str]]]:
    """Up to ``k`` PASS-valid adversarial faces (natural ones first, one per model), resized to
    ``size`` for display, with captions: model, label, score before / after, PASS."""
    picks: list[tuple[str, int]] = []
    for want_ok in (False, True):
        for name, r in results.items():
            idx = (r[f"{method}/adv"] & (r["correct"] == want_ok)).nonzero().squeeze(1)
            if len(idx) and len(picks) < k and name not in {p[0] for p in picks}:
                picks.append((name, int(idx[0])))
    if not picks:
        return torch.zeros(0), torch.zeros(0), []

    def show(t: Tensor) -> Tensor:
        return F.interpolate(t[None], size=(size, size), mode="bilinear", antialias=True)[0]

    xs, xa, caps = [], [], []
    for name, i in picks:
        r = results[name]
        after = float(_scores(models[name], r[f"{method}/x_adv"][i : i + 1])[0])
        xs.append(show(r["x"][i]))
        xa.append(show(r[f"{method}/x_adv"][i]))
        caps.append(
            (
                f"{name}, label {int(r['y'][i]):+d}, f = {float(r['score'][i]):.2f}",
                f"f = {after:.2f}, PASS {float(r[f'{method}/pass'][i]):.3f}",
            )
        )
    return torch.stack(xs), torch.stack(xa), caps
