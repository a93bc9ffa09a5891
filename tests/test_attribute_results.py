"""Typed results of the attribute attacks (chapters 02-03): lookups by name, the cache form
(a state that ``torch.load(weights_only=True)`` reads back), validation, and a tiny attack run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from facerobust import cache
from facerobust.experiments.attributes import adversarial, real_faces, setup, tables
from facerobust.experiments.attributes.results import METHODS, STAGES, AttackRun, AttributeResults, NetScores
from facerobust.experiments.attributes.training import LOSSES
from facerobust.models import attribute_nets as nets


def _results(n: int = 6, a: int = 3) -> AttributeResults:
    g = torch.Generator().manual_seed(0)
    net = {(lo, st): NetScores(torch.randn(n, a, generator=g), torch.rand(n, a, generator=g) > 0.3)
           for lo in LOSSES for st in STAGES}
    runs = {}
    for lo in LOSSES:
        for st in STAGES:
            for m in METHODS:
                flip = torch.rand(n, a, generator=g) > 0.5
                score = torch.where(flip, torch.rand(n, a, generator=g, dtype=torch.float64), float("nan"))
                imgs = torch.randint(0, 256, (n, a, 1, 8, 8), generator=g, dtype=torch.uint8)
                runs[(lo, st, m)] = AttackRun(flip, torch.where(flip, 3.0, float("nan")), score, flip.clone(),
                                              imgs if adversarial.keep_images(lo, st, m) else None)
    x = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
    return AttributeResults(x, torch.ones(n, a, dtype=torch.long), torch.arange(n), net, runs)


def _eq(s: torch.Tensor | None, t: torch.Tensor | None) -> bool:
    if s is None or t is None:
        return s is None and t is None
    return s.dtype == t.dtype and torch.equal(s.nan_to_num(-9), t.nan_to_num(-9))


def _same(a: AttributeResults, b: AttributeResults) -> bool:
    parts = [(a.x, b.x), (a.y, b.y), (a.index, b.index)]
    parts += [(getattr(a.nets[k], f), getattr(b.nets[k], f)) for k in a.nets for f in ("score", "correct")]
    parts += [(getattr(a.runs[k], f), getattr(b.runs[k], f)) for k in a.runs
              for f in ("flip", "weight", "pass_score", "ecc", "x_adv")]
    same_keys = a.nets.keys() == b.nets.keys() and a.runs.keys() == b.runs.keys()
    return same_keys and all(_eq(s, t) for s, t in parts)


def test_lookup_by_name_and_unknown_names():
    res = _results()
    run = res.run("euclidean", "converged", "ffa")
    assert torch.equal(run.adversarial(), run.flip & (run.pass_score >= 0.95))
    assert res.scores("softmax", "epoch2").correct.shape == (6, 3) and res.n_pairs == 18
    with pytest.raises(ValueError, match="no attack run for loss='euclidian'.*known: euclidean/epoch2/fgs"):
        res.run("euclidian", "converged", "ffa")
    with pytest.raises(ValueError, match="no network scores for loss='softmax', stage='epoch3'"):
        res.scores("softmax", "epoch3")
    with pytest.raises(ValueError, match="did not keep its adversarial images"):
        res.run("softmax", "epoch2", "fgs").images()
    assert res.run("softmax", "converged", "fgs").images().dtype == torch.float32


def test_cache_round_trip_is_exact_and_weights_only(tmp_path: Path):
    res = _results()
    cache.save_state(tmp_path / "r.pt", res.to_state())
    back = AttributeResults.from_state(cache.load_state(tmp_path / "r.pt"))  # weights_only=True inside
    assert _same(res, back)
    assert tables.pass_summary(back).equals(tables.pass_summary(res))


def test_corrupt_cache_entries_are_removed_and_recomputed(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "r.pt"
    assert setup.load_results(path) is None  # nothing cached
    cache.save_state(path, _results().to_state())
    assert _same(setup.load_results(path), _results())  # type: ignore[arg-type]
    cache.save_state(path, {"x": torch.zeros(2)})  # readable, but not attack results
    assert setup.load_results(path) is None and not path.exists()
    path.write_bytes(b"truncated")
    assert setup.load_results(path) is None and not path.exists()
    assert capsys.readouterr().err.count(f"corrupt cache entry {path}") == 2


def test_from_state_refuses_broken_states():
    state = _results().to_state()
    with pytest.raises(ValueError, match="not an attribute-results state"):
        AttributeResults.from_state({k: v for k, v in state.items() if k != "runs"})
    state["runs"][0] = {k: v for k, v in state["runs"][0].items() if k != "ecc"}
    with pytest.raises(ValueError, match="not an attribute-results state"):
        AttributeResults.from_state(state)
    state = _results().to_state()
    state["nets"][1]["score"] = torch.zeros(5, 3)
    with pytest.raises(ValueError, match=r"score must be an \(6, 3\) tensor"):
        AttributeResults.from_state(state)
    state = _results().to_state()
    state["index"] = torch.arange(4)
    with pytest.raises(ValueError, match="must have 6 rows"):
        AttributeResults.from_state(state)


class _Snap(torch.nn.Module):
    def __init__(self, n_out: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.epoch2, self.converged = nets.make_bank("small", 2, n_out), nets.make_bank("small", 2, n_out)


def test_run_attacks_on_tiny_banks_gives_cpu_results():
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(3, 1, 28, 28, generator=g) * 255).round() / 255
    y = torch.tensor([[1, -1], [-1, 1], [1, 1]])
    models = {lo: (_Snap(k).eval(), {}) for lo, k in LOSSES.items()}
    cfg = adversarial.AttackConfig(n_attack=3, w0=4.0, w_max=64.0, tol=4.0, seed=0)
    res = adversarial.run_attacks(models, x, y, cfg, index=torch.tensor([7, 8, 9]))
    assert set(res.runs) == {(lo, st, m) for lo in LOSSES for st in STAGES for m in METHODS}
    assert res.x.dtype == torch.uint8 and torch.equal(res.index, torch.tensor([7, 8, 9]))
    for (lo, st, m), run in res.runs.items():
        assert run.flip.device.type == "cpu" and run.pass_score.dtype == torch.float64
        assert (run.x_adv is not None) == adversarial.keep_images(lo, st, m)
        assert torch.isnan(run.pass_score[~run.flip]).all()
    f = res.scores("euclidean", "converged")
    assert torch.equal(f.correct, torch.where(f.score > 0, 1, -1) == y)
    x4, xa, caps = adversarial.pick_examples(res, ("A", "B"), k=2)
    assert len(x4) == len(xa) == len(caps) <= 2


def test_face_results_lookup():
    nan = float("nan")
    run = real_faces.FaceAttack(torch.tensor([True, False]), torch.tensor([0.97, nan], dtype=torch.float64),
                                torch.tensor([2.0, nan]), torch.zeros(2, 3, 8, 8))
    faces = real_faces.FaceResults(torch.zeros(2, 3, 8, 8), torch.tensor([1, -1]), torch.tensor([0.5, 0.2]),
                                   torch.tensor([True, False]), {"ffa": run})
    assert faces.run("ffa").adversarial().tolist() == [True, False]
    with pytest.raises(ValueError, match="no 'fgs' attack on these faces; known: ffa"):
        faces.run("fgs")
    assert isinstance(real_faces.transfer({}, {}), pd.DataFrame)


def test_face_models_move_to_the_chapter_device():
    class Scored:
        name, attribute, input_size, chip_padding = "m", "Male", 8, 0.25
        model = torch.nn.Linear(2, 1)

        def score(self, x: torch.Tensor) -> torch.Tensor:
            return x.sum((1, 2, 3))

    models = {"m": Scored()}
    assert real_faces.to_device(models, "cpu") is models
    assert next(models["m"].model.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="device"):
        real_faces.to_device(models, "gpu0")


def test_attacked_seeds_cache_every_seed_and_leave_the_thread_count(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    from facerobust.data.types import AttributeSet
    from facerobust.experiments.attributes import setup

    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path))
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(40, 1, 28, 28, generator=g) * 255).round() / 255
    a = torch.where(x.mean((1, 2, 3))[:, None] > torch.tensor([0.49, 0.51]), 1, -1)
    sets = [AttributeSet(x[:24], a[:24], ("A", "B")), AttributeSet(x[24:], a[24:], ("A", "B"))]
    data = {"train": sets[0], "valid": sets[1], "test": sets[1]}
    train = setup.TrainConfig(arch="small", lr=1e-3, rms_decay=0.99, lr_gamma=1e-4, lr_power=0.75, batch=8,
                              max_epochs=2, patience=1, seed=5)
    attack = setup.AttackConfig(n_attack=4, w0=4.0, w_max=64.0, tol=8.0, seed=0)
    before = torch.get_num_threads()
    first = setup.attacked_seeds(train, attack, data, setup.Compute("cpu", None, 1), 2)
    assert sorted(first) == [5, 6] and torch.get_num_threads() == before
    assert len(list((tmp_path / "artefacts").glob("*.pt"))) == 2  # one entry per training seed
    again = setup.attacked_seeds(train, attack, data, setup.Compute("cpu", None, 1), 2)  # from the cache
    same = [torch.equal(first[s].runs[k].flip, again[s].runs[k].flip) for s in first for k in first[s].runs]
    assert all(same)
    with pytest.raises(ValueError, match="n_seeds must be >= 1"):
        setup.attacked_seeds(train, attack, data, None, 0)
