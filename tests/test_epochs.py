"""models.epochs.run_epochs: the shared minibatch loop of the defenses' trainers."""

from __future__ import annotations

import torch
from facerobust.models.epochs import run_epochs
from torch import nn


def _fit(seed: int, n: int = 10, batch: int = 4, epochs: int = 3) -> tuple[list[float], list[int], nn.Module]:
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    x, y = torch.randn(n, 2), torch.randn(n, 1)
    seen: list[int] = []
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        seen.extend(idx.tolist())
        model.train()
        return ((model(x[idx]) - y[idx]) ** 2).mean()

    losses = run_epochs(model, opt, n, batch_loss, batch=batch, epochs=epochs,
                        generator=torch.Generator().manual_seed(seed))
    return losses, seen, model


def test_every_example_once_per_epoch_and_eval_mode_after() -> None:
    losses, seen, model = _fit(0)
    assert len(losses) == 3 and all(v >= 0 for v in losses)
    for e in range(3):  # each epoch is a permutation of the 10 indices, last batch smaller
        assert sorted(seen[10 * e:10 * (e + 1)]) == list(range(10))
    assert not model.training


def test_same_seed_same_run_other_seed_other_order() -> None:
    a, order_a, _ = _fit(1)
    b, order_b, _ = _fit(1)
    c, order_c, _ = _fit(2)
    assert a == b and order_a == order_b and order_a != order_c


def test_loss_is_the_batch_size_weighted_mean() -> None:
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # no learning: the loss of index i is i
    losses = run_epochs(model, opt, 5, lambda idx: idx.float().mean() + 0 * model.weight.sum(), batch=2,
                        epochs=1, generator=torch.Generator().manual_seed(0))
    assert abs(losses[0] - 2.0) < 1e-6  # mean of 0..4, whatever the order and the batch sizes (2, 2, 1)
