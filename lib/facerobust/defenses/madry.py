"""PGD adversarial training (Madry et al. 2018): train on the worst case the attack finds.

Each batch is replaced by its PGD adversarials against the current model (L-inf ball of radius
``eps``, a random start, ``steps`` steps of size ``step_size``) and the model takes one optimiser
step on their cross-entropy,

    min_theta  E_(x, y) [ max_{||delta||_inf <= eps} CE(f_theta(x + delta), y) ],

the inner maximum approximated by PGD (:func:`facerobust.attacks.pgd.pgd`). The library's PGD
stops a sample at its first misclassified iterate ("early-stopped" PGD, as in friendly adversarial
training, Zhang et al. 2020); a sample it cannot turn contributes its final iterate. The
single-step baseline (FGSM examples mixed with clean ones, as the Defense-GAN code does) is
:mod:`.adversarial_training`. Used by the report card (``notebooks/10_report_card.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional

from ..attacks.base import X_LAST
from ..attacks.pgd import pgd
from ..models.epochs import run_epochs
from ..validation import check_batch, check_int, check_labels, check_scalar


def train_pgd(model: nn.Module, x: Tensor, y: Tensor, *, eps: float, steps: int, step_size: float,
              epochs: int, batch: int = 128, lr: float = 1e-3, seed: int = 0, desc: str = "") -> list[float]:
    """Train ``model`` in place on PGD adversarials of images ``x`` in [0, 1] (Adam ``lr``).

    Args:
        model: classifier (N, C, H, W) -> logits (N, K), trained in place (train mode for the
            optimiser step, eval mode while PGD searches, as CleverHans does), left in eval mode.
        x, y: training images (N, C, H, W) in [0, 1] and int64 labels (N,).
        eps: L-inf radius in [0, 1]; ``steps`` >= 1 PGD steps of ``step_size`` > 0; ``epochs`` >= 0;
            ``batch`` >= 1; ``seed`` fixes the batch order, dropout and PGD's random starts.
    Returns:
        The mean adversarial cross-entropy of each epoch.

    Example::

        losses = train_pgd(model, x, y, eps=0.3, steps=7, step_size=0.1, epochs=3)
    """
    check_batch(x)
    check_labels(y, len(x))
    check_scalar(eps, "eps", lo=0.0, hi=1.0)
    check_int(steps, "steps", lo=1)
    check_scalar(step_size, "step_size", lo=0.0, lo_open=True)
    check_int(epochs, "epochs", lo=0)
    check_int(batch, "batch", lo=1)
    check_scalar(lr, "lr", lo=0.0, lo_open=True)
    torch.manual_seed(seed)  # dropout masks
    order = torch.Generator().manual_seed(seed)
    starts = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr)

    def batch_loss(idx: Tensor) -> Tensor:
        xb, yb = x[idx], y[idx]
        model.eval()
        xa = pgd(model, xb, yb, eps=eps, steps=steps, step_size=step_size, generator=starts).info[X_LAST]
        model.train()
        return functional.cross_entropy(model(xa), yb)

    return run_epochs(model, opt, len(x), batch_loss, batch=batch, epochs=epochs, generator=order,
                      desc=desc or "PGD training")


__all__ = ["train_pgd"]
