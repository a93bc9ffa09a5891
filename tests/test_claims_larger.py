"""claims.larger: a chapter's claims at a larger setting, kept as JSON and shown beside this build's rows."""

from __future__ import annotations

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
