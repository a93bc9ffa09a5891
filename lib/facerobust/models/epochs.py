"""The minibatch loop every trainer of the defenses shares: shuffle, step, record the mean loss.

``run_epochs`` draws a permutation of the ``n`` training indices from ``generator`` at the start of
each epoch, hands each batch of indices to ``batch_loss`` (which builds the batch, sets the model's
mode and returns the loss), steps the optimiser and returns the mean loss of each epoch, weighted by
batch size. The model is left in eval mode. Used by FGSM and PGD adversarial training and MagNet's
auto-encoder.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..progress import progress


def run_epochs(model: nn.Module, opt: torch.optim.Optimizer, n: int,
               batch_loss: Callable[[Tensor], Tensor], *, batch: int, epochs: int,
               generator: torch.Generator, desc: str | None = None) -> list[float]:
    """``epochs`` passes over ``n`` examples in batches of ``batch`` indices; a progress bar named
    ``desc`` where one is given and there are two epochs or more."""
    losses = []
    for _ in progress(range(epochs), desc=desc or "", disable=desc is None or epochs < 2):
        perm, total = torch.randperm(n, generator=generator, device=generator.device), 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = batch_loss(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / n)
    model.eval()
    return losses


__all__ = ["run_epochs"]
