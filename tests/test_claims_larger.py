"""claims.larger: a chapter's claims at a larger setting, kept as JSON and shown beside this build's rows."""

from __future__ import annotations

import dataclasses
import json

import pytest
from facerobust.experiments import claims
from facerobust.experiments.claims import larger


def _run(rows: dict[str, tuple[str, str]]) -> larger.LargerRun:
    return larger.LargerRun("09_k_anonymity", "default", {"n_attack": 225, "face_n_attack": 27}, "abc1234",
                            "2026-12-07", "AMD EPYC (AVX2)", 1, 1800.0, 1900.0, rows)


def _claim(cid: str, k: int, n: int, lo: float) -> claims.Claim:
    return claims.claim(cid, f"claim {cid}", claims.Paper("x", "src"), claims.rate_at_least(k, n, lo))


def test_json_round_trip_keeps_every_field():
    run = _run({"K3 (m)": ("ASR: 1.000 [0.983, 1.000]", claims.HOLDS)})
    back = larger.LargerRun.from_json(json.loads(json.dumps(run.to_json())))
    assert back == run
    assert run.setting == "n_attack=225, face_n_attack=27"


def test_beside_shows_rows_that_do_not_hold_here_or_move():
    here = [_claim("A", 45, 45, 0.98),   # inconclusive here (n too small for 0.98)
            _claim("B", 100, 100, 0.5),  # holds here and there: left out
            _claim("C", 90, 100, 0.5),   # holds here, not there: shown (it moves)
            _claim("D", 10, 100, 0.5)]   # does not hold here, absent there
    assert [c.verdict for c in here] == [claims.INCONCLUSIVE, claims.HOLDS, claims.HOLDS, claims.FAILS]
    run = _run({"A": ("1.000 [0.983, 1.000]", claims.HOLDS), "B": ("1.0", claims.HOLDS),
                "C": ("0.4 [0.3, 0.5]", claims.FAILS)})
    t = larger.beside(here, run)
    assert t["id"].tolist() == ["A", "C", "D"]
    col = f"at {run.setting}"
    assert t.set_index("id")[col].to_dict() == {"A": claims.HOLDS, "C": claims.FAILS, "D": ""}
    assert t.set_index("id").loc["D", "value there"] == "(not in the larger run)"
    assert t.set_index("id").loc["A", "this build"] == claims.INCONCLUSIVE
    assert larger.beside(here, run, all_rows=True)["id"].tolist() == ["A", "B", "C", "D"]


def test_read_returns_none_without_a_kept_run_and_the_run_with_one(tmp_path, monkeypatch):
    monkeypatch.setattr(larger, "repo_root", lambda: tmp_path)
    assert larger.read("09_k_anonymity") is None
    run = _run({"A": ("v", claims.HOLDS)})
    p = larger.path_of("09_k_anonymity")
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(run.to_json()))
    assert larger.read("09_k_anonymity") == run


def test_from_json_refuses_a_record_without_its_fields():
    with pytest.raises(TypeError):
        larger.LargerRun.from_json({"chapter": "x", "rows": {}})


def _seed_run(seed: int, rows: dict[str, tuple[str, str]]) -> larger.LargerRun:
    return larger.LargerRun("09_k_anonymity", "default", {"seed": seed}, "abc1234", "2026-12-07",
                            "AMD EPYC (AVX2)", 1, 400.0, 420.0, rows)


def test_over_seeds_decides_each_row_only_where_every_seed_agrees():
    here = [_claim("A", 100, 100, 0.5), _claim("B", 100, 100, 0.5), _claim("C", 10, 100, 0.5),
            _claim("D", 100, 100, 0.5)]
    H, F = claims.HOLDS, claims.FAILS
    runs = [_seed_run(1, {"A": ("1.0", H), "B": ("0.4", F), "C": ("0.1", F)}),
            _seed_run(2, {"A": ("1.0", claims.HOLDS), "B": ("1.0", claims.HOLDS), "C": ("0.1", claims.FAILS),
                          "D": ("1.0", claims.HOLDS)})]
    t = larger.over_seeds(here, 0, runs)
    assert list(t.columns) == ["seed 0", "seed 1", "seed 2", "across seeds"]
    assert t["across seeds"].to_dict() == {"A": claims.HOLDS, "B": claims.INCONCLUSIVE, "C": claims.FAILS,
                                           "D": "(not in every run)"}
    with pytest.raises(ValueError):  # a kept run at this build's own seed is not another seed
        larger.over_seeds(here, 1, runs)


def test_named_runs_are_kept_beside_the_larger_run(tmp_path, monkeypatch):
    monkeypatch.setattr(larger, "repo_root", lambda: tmp_path)
    assert larger.path_of("09_k_anonymity", "seed1").name == "09_k_anonymity.seed1.json"
    assert larger.read("09_k_anonymity", "seed1") is None
    for bad in ("", "../x", "a.b"):
        with pytest.raises(ValueError):
            larger.path_of("09_k_anonymity", bad)


def test_seeds_summary_is_a_sentence_for_every_outcome():
    here = [_claim("A", 100, 100, 0.5), _claim("B", 100, 100, 0.5), _claim("C", 10, 100, 0.5)]
    H, F = claims.HOLDS, claims.FAILS
    runs = [_seed_run(1, {"A": ("1.0", H), "B": ("0.4", F), "C": ("0.1", F)})]
    s = larger.seeds_summary(larger.over_seeds(here, 0, runs))
    assert s.startswith("Over seed 0, seed 1: 1 of 3 rows hold on every seed, 1 do not hold")
    assert s.endswith("1 row(s) hold on one seed and do not on another (B).")
    agree = [_seed_run(1, {"A": ("1.0", H), "B": ("1.0", H), "C": ("0.1", F)})]
    assert larger.seeds_summary(larger.over_seeds(here, 0, agree)).endswith("fails on another.")
    assert larger.seeds_summary(larger.over_seeds(here, 0, [])).startswith("No run at another seed")


def test_seed_runs_keep_this_profile_and_other_seeds(tmp_path, monkeypatch):
    monkeypatch.setattr(larger, "repo_root", lambda: tmp_path)
    (tmp_path / "benchmarks" / "results" / "larger").mkdir(parents=True)
    for s, prof in ((0, "default"), (1, "default"), (2, "ci")):
        run = dataclasses.replace(_seed_run(s, {"A": ("1.0", claims.HOLDS)}), profile=prof)
        larger.path_of("09_k_anonymity", f"seed{s}").write_text(json.dumps(run.to_json()))
    got = larger.seed_runs("09_k_anonymity", "default", 0)
    assert [r.overrides["seed"] for r in got] == [1]  # seed 0 is this build's; seed 2 ran on ci
    assert [r.overrides["seed"] for r in larger.seed_runs("09_k_anonymity", "ci", 0)] == [2]


def test_values_over_seeds_shows_each_headline_row_at_every_seed():
    here = [_claim("A", 90, 100, 0.5), _claim("B", 10, 100, 0.5)]
    runs = [_seed_run(1, {"A": ("0.8 [0.7, 0.9]", claims.HOLDS)}), _seed_run(2, {})]
    t = larger.values_over_seeds(here, 0, runs, ["B", "A"])
    assert list(t.index) == ["B", "A"]  # the order asked for
    assert list(t.columns) == ["claim", "seed 0", "seed 1", "seed 2"]
    assert t.loc["A", "seed 0"] == here[0].judgement.ours
    assert t.loc["A", "seed 1"] == "0.8 [0.7, 0.9]"
    assert t.loc["A", "seed 2"] == "(not in this run)"
    with pytest.raises(KeyError, match="Z"):  # a headline that is not a row of this build
        larger.values_over_seeds(here, 0, runs, ["A", "Z"])


def test_over_seeds_without_another_seed_decides_nothing_across_seeds():
    here = [_claim("A", 100, 100, 0.5), _claim("C", 10, 100, 0.5)]
    t = larger.over_seeds(here, 0, [])
    assert t["seed 0"].tolist() == [claims.HOLDS, claims.FAILS]
    assert set(t["across seeds"]) == {"(no other seed run)"}  # one seed is not a verdict over seeds
    assert larger.seeds_summary(t).startswith("No run at another seed")
