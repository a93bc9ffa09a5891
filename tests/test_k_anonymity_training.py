"""Chapter 9's classifiers as fan-out units: they seed themselves (a Ray task, whatever its global
random state, trains the same weights as the chapter in-process), and the MobileNetV2 keeps the
initial weights it had when it was built right after LeNet-5 from one seeded stream."""

from __future__ import annotations

import torch
from facerobust import fanout
from facerobust.data.types import ImageSet
from facerobust.experiments.k_anonymity import stages, training
from facerobust.models import small_nets


def _data() -> ImageSet:
    g = torch.Generator().manual_seed(1)
    return ImageSet(torch.rand(8, 1, 28, 28, generator=g), torch.arange(8) % 10, tuple("0123456789"), "tiny")


def test_a_unit_trains_the_same_weights_whatever_the_global_random_state() -> None:
    cfg = training.ClassifierConfig(n_train=8, epochs=1, lr=1e-3, seed=3)
    states = []
    for other in (0, 123):
        torch.manual_seed(other)  # e.g. a fresh Ray worker
        u = stages.classifier_unit("k", training.mobilenet, _data(), cfg)
        states.append(fanout.train_one(u.make, u.fit, 1)[0])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_mobilenet_draws_its_weights_after_lenet5() -> None:
    torch.manual_seed(0)
    small_nets.lenet5()
    want = small_nets.mobilenet_v2_small(width=16).state_dict()
    torch.manual_seed(0)
    got = training.mobilenet().state_dict()
    assert all(torch.equal(want[k], got[k]) for k in want)
    torch.manual_seed(0)
    want_lenet = small_nets.lenet5().state_dict()
    torch.manual_seed(0)
    assert all(torch.equal(want_lenet[k], v) for k, v in training.lenet5().state_dict().items())


def test_config_from_params_reads_every_stage_parameter() -> None:
    from facerobust import params

    P = params.load("09_k_anonymity", "ci")
    cfg = stages.Config.from_params(P)
    assert (cfg.digits.cw_lr, cfg.faces.cw_lr) == (P.cw_lr, P.face_cw_lr)
    assert (cfg.faces.ka_steps, cfg.digits.ka_steps, cfg.Ks) == (P.face_ka_steps, P.ka_steps, tuple(P.Ks))
    assert (cfg.device, cfg.cluster, cfg.threads) == (P.device, P.cluster, P.threads)
