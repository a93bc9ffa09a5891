"""Every attack leaves the caller's model as found (the contract of facerobust.attacks.base): run on a
model in TRAINING mode with BatchNorm and Dropout, each attack leaves the whole state dict (weights,
running statistics, ``num_batches_tracked``), every module's mode, ``requires_grad`` and ``.grad``
exactly as they were. To cover a new attack, add one entry to ``ATTACKS``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from facerobust.attacks import advhat as ah
from facerobust.attacks.attribute_directions import flip_attack
from facerobust.attacks.base import AttackResult
from facerobust.attacks.blackbox import blackbox_fgsm
from facerobust.attacks.cw import cw_l2
from facerobust.attacks.deepfool import deepfool
from facerobust.attacks.fgsm import fgsm, rand_fgsm
from facerobust.attacks.k_anonymity import k_anonymity
from facerobust.attacks.lbfgs import lbfgs
from torch import Tensor, nn


def _classifier(classes: int = 4, channels: int = 1) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(channels, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.3),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(8, classes))


class _Bank(nn.Module):
    """An attribute bank (N, A, C, H, W) -> (N, A, 1) with BatchNorm and Dropout in each network."""

    n_attributes, n_out = 2, 1

    def __init__(self) -> None:
        super().__init__()
        self.nets = nn.ModuleList([_classifier(1) for _ in range(self.n_attributes)])

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 4:
            x = x.unsqueeze(1).expand(-1, self.n_attributes, -1, -1, -1)
        return torch.stack([net(x[:, a]) for a, net in enumerate(self.nets)], 1)


class _Embed(nn.Module):
    """A face descriptor stand-in (N, 3, 150, 150) -> (N, 8) with BatchNorm and Dropout."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 4, 5, stride=4), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.3),
                                 nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 8))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def _x(n: int = 3, c: int = 1, size: int = 12) -> Tensor:
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(1))


def _y(n: int = 3) -> Tensor:
    return torch.tensor([0, 1, 2, 3][:n])


def _advhat(m: nn.Module) -> AttackResult:
    cfg = ah.AdvHatConfig(sticker_hw=(8, 16), eot_batch=2, window=2,
                          stages=(ah.Stage(5 / 255, 0.9, 1, 2), ah.Stage(1 / 255, 0.995, 1, 1)))
    face = torch.rand(1, 3, 220, 220, generator=torch.Generator().manual_seed(0))
    return ah.advhat(m, face, anchor=torch.ones(8), cfg=cfg, generator=torch.Generator().manual_seed(0))


# (name, the model to attack, the attack on it): every attack of facerobust.attacks
ATTACKS: list[tuple[str, Callable[[], nn.Module], Callable[[nn.Module], AttackResult]]] = [
    ("fgsm", _classifier, lambda m: fgsm(m, _x(), _y(), eps=0.1)),
    ("fgsm, y from the model", _classifier, lambda m: fgsm(m, _x(), eps=0.1)),
    ("rand_fgsm", _classifier,
     lambda m: rand_fgsm(m, _x(), _y(), eps=0.1, generator=torch.Generator().manual_seed(0))),
    ("deepfool", _classifier, lambda m: deepfool(m, _x(), _y(), steps=3)),
    ("cw_l2", _classifier, lambda m: cw_l2(m, _x(), _y(), binary_steps=2, steps=3)),
    ("lbfgs", _classifier, lambda m: lbfgs(m, _x(), _y(), search_steps=2, iters=3)),
    ("k_anonymity", _classifier, lambda m: k_anonymity(m, _x(), _y(), k=torch.tensor([2, 3, 2]), steps=3)),
    ("flip_attack fgs", _Bank, lambda m: flip_attack(m, _x(2), method="fgs", w_max=8.0)),
    ("flip_attack ffa", _Bank, lambda m: flip_attack(m, _x(2), method="ffa", w_max=8.0)),
    ("blackbox_fgsm (target)", _classifier,
     lambda m: blackbox_fgsm(m, _x(), _y(), substitute=_classifier(), eps=0.1)),
    ("blackbox_fgsm (substitute)", _classifier,
     lambda m: blackbox_fgsm(_classifier(), _x(), _y(), substitute=m, eps=0.1)),
    ("advhat", _Embed, _advhat),
]


def _snapshot(m: nn.Module) -> tuple[dict[str, Tensor], list[bool], list[bool], list[Tensor | None]]:
    return ({k: v.detach().clone() for k, v in m.state_dict().items()}, [x.training for x in m.modules()],
            [p.requires_grad for p in m.parameters()],
            [None if p.grad is None else p.grad.clone() for p in m.parameters()])


@pytest.mark.parametrize("name, make, attack", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_leaves_a_training_mode_model_as_found(name: str, make: Callable[[], nn.Module],
                                                      attack: Callable[[nn.Module], AttackResult]) -> None:
    model = make().train()
    assert any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    model.zero_grad()
    next(model.parameters()).grad = torch.full_like(next(model.parameters()), 0.5)  # a caller's gradient
    state, modes, flags, grads = _snapshot(model)
    res = attack(model)
    assert isinstance(res, AttackResult)
    after, modes2, flags2, grads2 = _snapshot(model)
    changed = [k for k in state if not torch.equal(state[k], after[k])]
    assert not changed, f"{name} changed {changed}"
    assert modes2 == modes and flags2 == flags
    assert all((a is None and b is None) or (a is not None and b is not None and torch.equal(a, b))
               for a, b in zip(grads, grads2, strict=True))


def test_the_check_catches_an_attack_that_updates_running_statistics() -> None:
    """Without the restore, a forward pass in training mode moves BatchNorm's statistics."""
    model = _classifier().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model(_x())
    assert not torch.equal(before["1.running_mean"], model.state_dict()["1.running_mean"])
    assert int(model.state_dict()["1.num_batches_tracked"]) == 1
