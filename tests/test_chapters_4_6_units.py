"""Chapters 4-6's independent trainings as :class:`facerobust.fanout.Unit`s: each unit builds and
trains the same network wherever it runs (in turn through the cache, or alone as a Ray task would:
:func:`facerobust.fanout.train_one` after other draws from the global generator), and the stages'
typed configurations read the chapters' parameters of the same names."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import torch
from facerobust import device, draws, fanout, params
from facerobust.data.types import ImageSet
from facerobust.experiments.continuous_auth import cnnaa_run
from facerobust.experiments.crispr import training as crispr_training
from facerobust.experiments.explaingan import blackbox, data, stages, training, zoo


def _set(n: int, seed: int) -> ImageSet:
    g = torch.Generator().manual_seed(seed)
    return ImageSet(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 2, ("a", "b"))


def _pair() -> data.PairData:
    return data.PairData("toy", "mnist5k", ("a", "b"), _set(12, 0), _set(12, 1), _set(6, 2), _set(8, 3))


def _alone(u: fanout.Unit) -> tuple[dict[str, torch.Tensor], dict]:
    """The unit trained as a Ray task trains it: from scratch on its own threads."""
    with device.threads(u.cpus):
        return fanout.train_one(u.make, u.fit, u.cpus)


def _brightness() -> torch.nn.Module:
    """A black box that predicts both classes on random images: brighter than average is class 1
    (torch modules only, so that a Ray worker can unpickle it)."""
    lin = torch.nn.Linear(28 * 28, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.stack([-torch.ones(28 * 28), torch.ones(28 * 28)]) / (28 * 28))
        lin.bias.copy_(torch.tensor([0.5, -0.5]))
    return torch.nn.Sequential(torch.nn.Flatten(), lin)


def _equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k].cpu()) for k in a)


def test_explaingan_units_train_alike_in_turn_and_alone(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path))
    pair = _pair()
    bb_unit = blackbox.unit(pair, epochs=1, seed=0)
    ((bb, _),) = fanout.trained([bb_unit])
    torch.rand(7)  # other draws from the global generator before a Ray task's build
    alone, _ = _alone(bb_unit)
    assert _equal(alone, bb.state_dict())
    judge = _brightness()  # predicts both classes on random images (a 1-epoch black box may not)
    jobs = [zoo.Job(pair, judge, training.TrainConfig(steps=2, batch=2, width=4, z_dim=4, variant=v), 1)
            for v in ("full", "nomask")]
    in_turn = zoo.trained_many(jobs)
    for job, got in zip(jobs, in_turn, strict=True):
        torch.rand(3)
        u = zoo.unit(job)
        state, meta = _alone(u)
        assert _equal(state, got.model.state_dict()) and meta["history"] == got.meta["history"]
    again = zoo.trained_many(jobs)  # from the cache: the same entries
    for a, b in zip(in_turn, again, strict=True):
        assert _equal(a.model.state_dict(), b.model.state_dict())


def test_drawn_now_keeps_the_sequence_of_builds() -> None:
    def build() -> torch.nn.Module:
        return torch.nn.Linear(3, 2)

    torch.manual_seed(0)
    first, second = build().state_dict(), build().state_dict()
    after = torch.rand(4)
    torch.manual_seed(0)
    makes = [draws.drawn_now(build), draws.drawn_now(build)]
    assert torch.equal(torch.rand(4), after)  # the generator moved on as the builds would have moved it
    torch.rand(9)
    assert _equal(makes[1]().state_dict(), second) and _equal(makes[0]().state_dict(), first)


def test_cnnaa_network_trains_alike_in_turn_and_alone(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path))
    w, h, _ = cnnaa_run.cnnaa.REGIONS["Nose"]
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 3, h, w, generator=g), torch.randint(0, 2, (8, 2), generator=g)
    torch.manual_seed(0)
    make = draws.drawn_now(lambda: cnnaa_run._net("Nose", 2, torch.device("cpu")))
    u = fanout.Unit("cnnaa-test", {"t": 1}, make,
                    partial(cnnaa_run.train, x=x, y=y, steps=2, batch=4, lr=1e-3, seed=0),
                    cpus=torch.get_num_threads())
    ((net, meta),) = fanout.trained([u])
    torch.rand(5)
    state, meta_alone = _alone(u)
    assert _equal(state, net.state_dict()) and meta_alone["loss"] == meta["loss"]


@pytest.mark.parametrize("profile", ["ci", "default", "full"])
def test_typed_configs_read_the_chapters_parameters(profile: str) -> None:
    p5 = params.load("05_crispr", profile)
    cfg = crispr_training.CrisprConfig.from_params(p5)
    assert all(getattr(cfg, k) == p5[k] for k in crispr_training.PARAMETERS) and cfg.adversaries
    assert not crispr_training.CrisprConfig.from_params(p5, adversaries=False).adversaries
    p6 = params.load("06_explaingan", profile)
    c = stages.Config.from_params(p6)
    assert c.steps == p6.steps and c.cluster == p6.cluster and c.coef_grid == p6.coef_grid
    w = stages.weights(c, "fashion")
    assert w.kappa == p6.kappa["fashion"] and stages.config(c, w).steps == p6.steps


def _explaingan_and_cnnaa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None) -> list[dict]:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / f"units-{spec}"))
    pair = _pair()
    bbs = blackbox.blackboxes([pair], epochs=1, cluster=spec)
    cfgs = [training.TrainConfig(steps=2, batch=2, width=4, z_dim=4, variant=v) for v in ("full", "cyclegan")]
    jobs = [zoo.Job(pair, _brightness(), c, 1) for c in cfgs]
    gans = zoo.trained_many(jobs, cluster=spec)
    w, h, _ = cnnaa_run.cnnaa.REGIONS["Nose"]
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 3, h, w, generator=g), torch.randint(0, 2, (8, 2), generator=g)
    torch.manual_seed(0)
    build = partial(cnnaa_run._net, "Nose", 2, torch.device("cpu"))
    fits = [partial(cnnaa_run.train, x=x, y=y, steps=2, batch=4, lr=1e-3, seed=k) for k in range(2)]
    units = [fanout.Unit(f"cnnaa-{k}", {"k": k}, draws.drawn_now(build), fit, cpus=torch.get_num_threads())
             for k, fit in enumerate(fits)]  # a task on this process's threads, as the chapter's units
    nets = [m for m, _ in fanout.trained(units, spec)] + [m for m, _ in bbs] + [t.model for t in gans]
    return [m.state_dict() for m in nets]


@pytest.mark.slow
def test_chapters_4_and_6_units_on_ray_equal_in_turn(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The black box, two ExplainGAN variants and two CNNAA networks on a local Ray instance: the
    same weights and the same cache files as in turn."""
    seq = _explaingan_and_cnnaa(tmp_path, monkeypatch, None)
    par = _explaingan_and_cnnaa(tmp_path, monkeypatch, "local")
    for a, b in zip(seq, par, strict=True):
        assert _equal(a, b)
    files = {p.name: p.read_bytes() for p in (tmp_path / "units-None").rglob("*.pt")}
    assert files and files == {p.name: p.read_bytes() for p in (tmp_path / "units-local").rglob("*.pt")}
