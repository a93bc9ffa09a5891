"""Boundary crossing, locality and substitutability (dissertation Secs. 4.5.5, Tables 4.2-4.3).

- :func:`flips`: how often the black box assigns the composite C_{1-j}(x) (and the transformation
  G_{1-j}(z_j)) of a test image of class j to the opposite class, and the mask area ||m||_1 / n.
- :func:`substitutability`: retrain the black-box architecture with the training images of one
  class (or of both) replaced by generated ones of that class, made from the other class's
  images; report test accuracy beside the ceiling (the black box itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ...models.explaingan_losses import mask_area
from . import zoo
from .blackbox import retrained_blackbox
from .data import PairData
from .training import split_by_prediction

COLUMNS = ("Transformed 0", "Transformed 1", "Both transformed", "Composite 0", "Composite 1",
           "Both composite")


@dataclass(frozen=True)
class Flips:
    """Per test image of black-box class j: did the composite / transformation flip C, mask area."""

    composite: np.ndarray
    transformed: np.ndarray
    area: np.ndarray

    @property
    def n(self) -> int:
        return len(self.composite)

    @property
    def k_composite(self) -> int:
        return int(self.composite.sum())

    @property
    def k_transformed(self) -> int:
        return int(self.transformed.sum())


def _pred(bb: nn.Module, x: Tensor) -> Tensor:
    with torch.no_grad():
        return bb(x).argmax(1)


def flips(trained: zoo.Trained, bb: nn.Module, x: Tensor) -> Flips:
    """Flip indicators and mask areas on images ``x`` (split by the black box's predictions)."""
    comp, trans, area = [], [], []
    for j, xs in enumerate(split_by_prediction(bb, x)):
        if len(xs) == 0:
            continue
        e = trained.explain(xs, j)
        comp.append((_pred(bb, e.composite) == 1 - j).cpu().numpy())
        trans.append((_pred(bb, e.transformed) == 1 - j).cpu().numpy())
        area.append(mask_area(e.mask).cpu().numpy())
    return Flips(np.concatenate(comp), np.concatenate(trans), np.concatenate(area))


@dataclass(frozen=True)
class Score:
    """Test accuracy of one retrained classifier: ``correct`` of ``n``."""

    correct: int
    n: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n


def _generated(trained: zoo.Trained, x: Tensor, y: Tensor, kind: str) -> list[Tensor]:
    """gen[c]: images of class c made from the training images of class 1 - c."""
    out = []
    for c in (0, 1):
        e = trained.explain(x[y == 1 - c], 1 - c)
        out.append(e.transformed if kind == "transformed" else e.composite)
    return out


def substituted_sets(trained: zoo.Trained, pair: PairData, column: str) -> tuple[Tensor, Tensor]:
    """The classifier-train split with the images of one class (or both) replaced, per ``column``."""
    if column not in COLUMNS:
        raise ValueError(f"column must be one of {COLUMNS}, got {column!r}")
    x, y = pair.clf_train.x, pair.clf_train.y
    gen = _generated(trained, x, y, "transformed" if column.startswith(("Transformed", "Both t")) else
                     "composite")
    replaced = (0, 1) if column.startswith("Both") else (int(column[-1]),)
    parts = [gen[c] if c in replaced else x[y == c] for c in (0, 1)]
    labels = [torch.full((len(p),), c, dtype=torch.long, device=p.device) for c, p in enumerate(parts)]
    return torch.cat(parts), torch.cat(labels)


def substitutability(trained: zoo.Trained, pair: PairData, columns: tuple[str, ...], epochs: int,
                     seed: int = 0) -> dict[str, Score]:
    """Test accuracy of the black-box architecture retrained on each substituted set."""
    out = {}
    for col in columns:
        xs, ys = substituted_sets(trained, pair, col)
        m = retrained_blackbox(xs, ys, epochs, seed)
        pred = _pred(m, pair.test.x)
        out[col] = Score(int((pred == pair.test.y).sum()), len(pair.test))
    return out


def ceiling(bb: nn.Module, pair: PairData) -> Score:
    """The black box's own test accuracy (the ceiling of Tables 4.2-4.3)."""
    pred = _pred(bb, pair.test.x)
    return Score(int((pred == pair.test.y).sum()), len(pair.test))
