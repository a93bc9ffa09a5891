"""Per-sample losses the iterative attacks ascend: cross-entropy, the C&W margin, DLR and targeted DLR.

Every function maps logits ``z`` (N, K) and labels to a (N,) tensor that the attacker
*maximises*; with ``z_pi1 >= z_pi2 >= ...`` the sorted logits of a sample,

* ``ce(z, y)      = -log softmax(z)_y``                                   (any K >= 2)
* ``margin(z, y)  = max_{j != y} z_j - z_y``       (Carlini & Wagner; > 0 iff misclassified)
* ``dlr(z, y)     = (max_{j != y} z_j - z_y) / (z_pi1 - z_pi3)``              (K >= 3)
* ``dlr_targeted(z, y, t) = (z_t - z_y) / (z_pi1 - (z_pi3 + z_pi4) / 2)``         (K >= 4)

DLR (Croce & Hein 2020, Eqs. 5-6) is invariant to shifting and scaling the logits, so a model
that saturates its softmax cannot hide its gradient from it. :func:`objective` turns a loss
name into the function an attack ascends (targeted: toward the target ``t``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional

LOSSES = ("ce", "margin", "dlr")
"""Loss names the attacks accept."""
MIN_CLASSES = {"ce": 2, "margin": 2, "dlr": 3, "dlr-targeted": 4}
"""The fewest classes each loss is defined for (DLR divides by z_pi1 - z_pi3)."""

Objective = Callable[[Tensor, Tensor], Tensor]
"""``(logits (N, K), labels (N,)) -> (N,)`` values to maximise."""


def _best_other(z: Tensor, y: Tensor) -> Tensor:
    """``max_{j != y} z_j`` (N,)."""
    return z.scatter(1, y[:, None], -torch.inf).amax(1)


def ce(z: Tensor, y: Tensor) -> Tensor:
    """Cross-entropy ``-log softmax(z)_y`` per sample (N,)."""
    return functional.cross_entropy(z, y, reduction="none")


def margin(z: Tensor, y: Tensor) -> Tensor:
    """C&W margin ``max_{j != y} z_j - z_y`` per sample (N,): positive iff ``y`` is not top-1."""
    return _best_other(z, y) - z.gather(1, y[:, None]).squeeze(1)


def dlr(z: Tensor, y: Tensor) -> Tensor:
    """Difference of logits ratio ``(max_{j != y} z_j - z_y) / (z_pi1 - z_pi3 + 1e-12)`` (N,); K >= 3."""
    top = z.topk(3, dim=1).values
    return margin(z, y) / (top[:, 0] - top[:, 2] + 1e-12)


def dlr_targeted(z: Tensor, y: Tensor, t: Tensor) -> Tensor:
    """Targeted DLR ``(z_t - z_y) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)`` (N,); K >= 4.

    ``y`` is the class to leave (the true label in APGD-T), ``t`` the class to reach."""
    top = z.topk(4, dim=1).values
    gap = z.gather(1, t[:, None]).squeeze(1) - z.gather(1, y[:, None]).squeeze(1)
    return gap / (top[:, 0] - 0.5 * (top[:, 2] + top[:, 3]) + 1e-12)


def check_classes(loss: str, n_classes: int) -> None:
    """Raise ``ValueError`` when ``loss`` is undefined for a model with ``n_classes`` outputs."""
    need = MIN_CLASSES[loss]
    if n_classes < need:
        kind = "targeted DLR (APGD-T)" if loss == "dlr-targeted" else f"loss {loss!r}"
        raise ValueError(f"{kind} needs a model with at least {need} classes, this one has {n_classes}; "
                         "use loss='ce' (or 'margin') on binary models")


def objective(loss: str, targeted: bool) -> Objective:
    """The function an attack ascends: ``loss(z, y)`` (untargeted) or its targeted form.

    Targeted (``y`` = the target ``t``): ``-ce(z, t)``, ``-margin(z, t) = z_t - max_{j != t} z_j``,
    and for DLR ``dlr_targeted(z, argmax_{j != t} z_j, t)`` (leave the best other class).
    """
    if not targeted:
        return {"ce": ce, "margin": margin, "dlr": dlr}[loss]
    if loss == "dlr":
        return lambda z, t: dlr_targeted(z, z.scatter(1, t[:, None], -torch.inf).argmax(1), t)
    fn = ce if loss == "ce" else margin
    return lambda z, t: -fn(z, t)


__all__ = ["LOSSES", "MIN_CLASSES", "Objective", "ce", "check_classes", "dlr", "dlr_targeted", "margin",
           "objective"]
