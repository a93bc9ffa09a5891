"""Classifier training, plain or with FGSM adversarial training (Defense-GAN chapter baseline).

Adversarial training follows CleverHans' ``model_train(..., predictions_adv=...)`` used by the
official Defense-GAN code: the loss is the mean of the clean cross-entropy and the cross-entropy
on FGSM examples made on the fly against the current model (eps 0.3 or 0.15 in Tables 5.1/5.2).
Training defaults are CleverHans': Adam 1e-3, batch 128, 10 epochs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..attacks.base import check_batch
from ..attacks.fgsm import fgsm
from ..progress import progress


def train_classifier(model: nn.Module, x: Tensor, y: Tensor, *, epochs: int = 10, batch: int = 128,
                     lr: float = 1e-3, seed: int = 0, adv_eps: float = 0.0, desc: str = "") -> list[float]:
    """Train ``model`` in place on images ``x`` in [0, 1]; ``adv_eps`` > 0 mixes in FGSM examples.

    Returns the mean training loss of each epoch. Deterministic given ``seed``.
    """
    check_batch(x)
    if len(y) != len(x) or epochs < 0 or batch < 1 or adv_eps < 0:
        raise ValueError("need len(y) == len(x), epochs >= 0, batch >= 1, adv_eps >= 0")
    torch.manual_seed(seed)  # dropout masks
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr)
    losses = []
    for _ in progress(range(epochs), desc=desc or "train", disable=epochs < 2):
        perm, total = torch.randperm(len(x), generator=g), 0.0
        for i in range(0, len(x), batch):
            xb, yb = x[perm[i:i + batch]], y[perm[i:i + batch]]
            if adv_eps > 0:
                xa = fgsm(model, xb, yb, adv_eps).x_adv
                model.train()
                loss = 0.5 * (F.cross_entropy(model(xb), yb) + F.cross_entropy(model(xa), yb))
            else:
                model.train()
                loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        losses.append(total / len(x))
    model.eval()
    return losses
