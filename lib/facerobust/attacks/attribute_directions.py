"""Attack directions for binary attribute classifiers: FGS and FFA (Rozsa et al. 2016, Eqs. 5-6).

Both work on a *bank* of attribute networks (``facerobust.models.attribute_nets``): ``bank(x)``
gives raw outputs (N, A, n_out) for a batch with one image per (sample, attribute) pair,
``x`` of shape (N, A, C, H, W). Because the networks are independent, one backward pass of the
summed loss gives every pair's own gradient.

* FGS, Eq. (5): ``sign(grad_x J(x, y))`` with ``J`` the training loss -- ``(f - y)^2`` for a
  single output, cross-entropy for two logits. It needs a label; we use the current decision
  ``c(x)`` (identical to the paper for correctly classified images, and the direction that
  *corrects* a misclassified one, which is what a natural adversarial needs).
* FFA, Eq. (6) with the sign fix: the paper back-propagates the *inverted score* ``-f(x)``,
  i.e. ``-f(x) * grad f``; up to a positive factor that the line search absorbs this is
  ``-sign(f(x)) * grad_x f(x)``, which points to the decision boundary from either side.
  It needs no label and uses the raw gradient, scaled so ``max |d| = 1`` (one grey level per
  unit weight). Used by chapters 02-03.

The score ``f``, the decision ``c`` and the training loss ``J`` of a bank are the networks' own
(:mod:`facerobust.models.attribute_nets`); the attacks differentiate them.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from ..models.attribute_nets import decision, pair_loss, score_of
from ..validation import check_batch, check_choice
from .base import AttackResult, untouched
from .line_search import line_search


class Bank(Protocol):
    n_out: int

    def __call__(self, x: Tensor) -> Tensor: ...


def _input_grad(bank: Bank, x: Tensor, objective) -> tuple[Tensor, Tensor]:
    if x.ndim != 5:
        raise ValueError(f"expected one image per (sample, attribute): (N, A, C, H, W), got {tuple(x.shape)}")
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = bank(xg)
        if not bool(torch.isfinite(out).all()):
            raise ValueError("bank: output contains NaN or infinite values")
        (grad,) = torch.autograd.grad(objective(out).sum(), xg)
    return grad, out.detach()


def fgs_direction(bank: Bank, x: Tensor, labels: Tensor | None = None) -> Tensor:
    """FGS (Eq. 5): ``sign(grad_x J(x, label))`` per pair, (N, A, C, H, W) in {-1, 0, 1}.
    ``labels`` (N, A) in {-1, +1}; default: the bank's current decision."""
    if labels is None:
        with torch.no_grad():
            labels = decision(bank(x))
    grad, _ = _input_grad(bank, x, lambda out: pair_loss(out, labels))
    return grad.sign()


def ffa_direction(bank: Bank, x: Tensor) -> Tensor:
    """FFA (Eq. 6, sign-fixed): ``-sign(f) * grad_x f`` per pair, scaled to ``max |d| = 1``."""
    grad, out = _input_grad(bank, x, score_of)
    s = torch.where(score_of(out) > 0, -1.0, 1.0)
    d = grad * s[..., None, None, None]
    peak = d.flatten(2).abs().amax(2).clamp_min(1e-12)
    return d / peak[..., None, None, None]


@untouched
def flip_attack(
    bank: Bank,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    method: str,
    w0: float = 1.0,
    w_max: float = 256.0,
    tol: float = 0.25,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """FGS (Eq. 5) or FFA (Eq. 6) direction (chapter 2, ``eq-rozsa-directions``) + the doubling /
    bisection line search, on every attribute at once.

    Each image of ``x`` is attacked separately for each of the bank's ``A`` networks: the pair
    (i, a) gets the direction ``d`` of network ``a`` and the smallest grey-level weight ``w`` with
    ``sign f_a(clip(round(255 x_i + w d))) != sign f_a(x_i)`` (:func:`.line_search.line_search`).

    Args:
        bank: attribute bank, (N, A, C, H, W) -> raw outputs (N, A, n_out); ``n_attributes`` = A.
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N, A) labels in {-1, +1} for FGS's loss
        (default: the bank's current decision); FFA needs none. ``targeted`` must be False.
        ``method``: ``"fgs"`` or ``"ffa"``; ``w0``, ``w_max``, ``tol``: as in ``line_search``.
        ``generator``: unused (deterministic).
    Returns:
        :class:`AttackResult` per (sample, attribute) pair: ``x_adv`` (N, A, C, H, W),
        ``success`` (N, A), ``info``: ``weight`` (N, A) (NaN where no flip), ``queries`` (N, A).

    Example::

        res = flip_attack(bank, x, method="ffa", w_max=256.0)
        flipped_per_attribute = res.success.float().mean(0)
    """
    check_choice(method, "method", ("fgs", "ffa"))
    if targeted:
        raise ValueError("flip_attack flips a binary decision: targeted=True is not supported")
    check_batch(x)
    a = int(getattr(bank, "n_attributes", 1))
    if y is not None and (not isinstance(y, Tensor) or tuple(y.shape) != (len(x), a)
                          or not bool(((y == 1) | (y == -1)).all())):
        raise ValueError(f"y must be a ({len(x)}, {a}) tensor of labels in {{-1, +1}}")
    x5 = x.unsqueeze(1).expand(-1, a, -1, -1, -1).contiguous()
    d = fgs_direction(bank, x5, y) if method == "fgs" else ffa_direction(bank, x5)
    return line_search(lambda z: score_of(bank(z)), x5, d, w0=w0, w_max=w_max, tol=tol)
