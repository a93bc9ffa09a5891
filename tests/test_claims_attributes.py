"""Chapters 01-03: the claims tables' builders on hand-made inputs (no training, no attack)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from facerobust.experiments import claims as C
from facerobust.experiments.attributes import claims_table as AC
from facerobust.experiments.attributes.results import AttackRun, AttributeResults, NetScores

NAMES = ["a", "b", "c", "d"]


def _err(shift: float = 0.0, soft: float = 0.2) -> pd.DataFrame:
    e = np.array([2.0, 4.0, 6.0, 8.0])
    return pd.DataFrame({"euclidean (converged)": e, "euclidean (epoch2)": e + 2 + shift,
                         "softmax (converged)": e + soft, "trivial": e + 20}, index=NAMES)


def _verdicts(rows: list[C.Claim]) -> dict[str, str]:
    return {r.id: r.verdict for r in rows}


def test_network_claims_need_three_seeds_and_judge_each():
    one = _verdicts(AC.network_claims({0: _err()}, 5000))
    assert one["N1"] == one["N3"] == one["N4"] == C.INCONCLUSIVE  # one training seed
    assert one["N2"] == C.UNTESTABLE
    three = _verdicts(AC.network_claims({s: _err() for s in range(3)}, 5000))
    assert three["N1"] == three["N3"] == three["N4"] == C.HOLDS
    far = _verdicts(AC.network_claims({s: _err(soft=3.0) for s in range(3)}, 5000))
    assert far["N4"] == C.FAILS  # 3 points apart is not "similar" within 1 point
    mixed = _verdicts(AC.network_claims({0: _err(), 1: _err(soft=3.0), 2: _err()}, 5000))
    assert mixed["N4"] == C.INCONCLUSIVE  # seeds disagree
    t = C.table(AC.network_claims({0: _err()}, 5000))
    assert list(t.columns) == C.COLUMNS and t.source.str.contains("l. ").all()


def _res(n: int = 400, a: int = 4, soft_extra: float = 0.2, seed: int = 0) -> AttributeResults:
    g = torch.Generator().manual_seed(seed)
    nets, runs = {}, {}
    for loss in ("euclidean", "softmax"):
        for stage in ("epoch2", "converged"):
            ok = torch.rand(n, a, generator=g) > 0.2
            nets[(loss, stage)] = NetScores(torch.where(ok, 1.0, -1.0), ok)
            for m, p in (("fgs", 0.1), ("ffa", 0.3)):
                p = p + (soft_extra if loss == "softmax" else 0.0)
                flip = torch.rand(n, a, generator=g) < p
                ones = torch.ones(n, a, dtype=torch.float64)
                runs[(loss, stage, m)] = AttackRun(flip, ones.float(), ones, ones.bool())
    x = torch.zeros(n, 1, 8, 8, dtype=torch.uint8)
    return AttributeResults(x, torch.ones(n, a, dtype=torch.long), torch.arange(n), nets, runs)


def test_attack_claims_judge_rates_on_intervals():
    rows = AC.attack_claims({0: _res()})
    v = _verdicts(rows)
    assert v["R1"] == C.HOLDS  # FFA 0.3 vs FGS 0.1 on 1600 pairs
    assert v["R6"] == C.INCONCLUSIVE  # softmax vs Euclidean: one training seed
    assert "1 training seed" in next(r for r in rows if r.id == "R6").judgement.rule
    v3 = _verdicts(AC.attack_claims({s: _res(seed=s) for s in range(3)}))
    assert v3["R6"] == C.HOLDS
    v_eq = _verdicts(AC.attack_claims({s: _res(soft_extra=0.0, seed=s) for s in range(3)}))
    assert v_eq["R6"] != C.HOLDS  # equal rates are not "more vulnerable"


def _port(values: np.ndarray, n: int) -> pd.DataFrame:
    m = pd.DataFrame(values, index=NAMES, columns=NAMES)
    m.attrs["n"] = dict.fromkeys(NAMES, n)
    return m


def test_portability_claims_can_fail():
    specific = _port(np.eye(4) * 100 + 2, 100)
    still = _port(np.eye(4) * 60 + 2, 100)
    v = _verdicts(AC.portability_claims(dict.fromkeys(range(3), (specific, still))))
    assert v["P1"] == C.HOLDS and v["P2"] == C.HOLDS and v["P3"] == C.FAILS
    assert v["P4"] == C.INCONCLUSIVE  # 2% vs 2% off the diagonal
    tangled = _port(np.full((4, 4), 80.0), 100)
    flat = _port(np.full((4, 4), 10.0), 100)
    v = _verdicts(AC.portability_claims(dict.fromkeys(range(3), (tangled, flat))))
    assert v["P2"] == C.FAILS and v["P1"] == C.FAILS and v["P4"] == C.FAILS


def test_portability_claims_are_judged_on_every_seed():
    specific, still = _port(np.eye(4) * 100 + 2, 100), _port(np.eye(4) * 60 + 2, 100)
    one = _verdicts(AC.portability_claims({0: (specific, still)}))
    assert one["P1"] == one["P4"] == C.INCONCLUSIVE  # two snapshots compared: one training seed is not enough
    assert one["P2"] == C.HOLDS and one["P3"] == C.FAILS  # judged on one network: its verdict
    tangled = _port(np.full((4, 4), 80.0), 100)
    seeds = {0: (specific, still), 1: (tangled, still), 2: (specific, still)}
    mixed = _verdicts(AC.portability_claims(seeds))
    assert mixed["P2"] == C.INCONCLUSIVE  # the seeds disagree
    ab, cd = np.eye(4) * 100 + 2, np.eye(4) * 100 + 2
    ab[1, 0], cd[3, 2] = 30.0, 40.0  # the largest off-diagonal cell: a -> b on seed 0, c -> d on seed 1
    rows = AC.portability_claims({0: (_port(ab, 100), still), 1: (_port(cd, 100), still)})
    p3 = next(r for r in rows if r.id == "P3")
    assert "seed 0: a -> b:" in p3.judgement.ours and "seed 1: c -> d:" in p3.judgement.ours


def test_real_face_claims_on_a_small_sample_are_inconclusive():
    summary = pd.DataFrame({"faces": [29, 29], "correct": [27, 26], "FGS+": [10, 9], "FGS-": [1, 1],
                            "FFA+": [11, 10], "FFA-": [1, 2]}, index=["Male/x", "Male/y"])
    transfer = pd.DataFrame([[np.nan, 20.0], [25.0, np.nan]], index=summary.index, columns=summary.index)
    v = _verdicts(AC.real_face_claims(summary, transfer, {"Male/x": "Male", "Male/y": "Male"}))
    assert v["F1"] == C.INCONCLUSIVE  # 21 vs 19 of 58
    assert v["F2"] == C.FAILS  # shares 0.41 vs 0.38 cannot differ by 30 points
    assert v["F4"] == C.INCONCLUSIVE  # no cross-attribute cell


def test_open_rows_say_what_would_decide_them():
    from facerobust.experiments.attributes import open_rows

    close = _res(soft_extra=0.0)  # softmax and Euclidean rates equal up to noise
    r6 = next(r for r in AC.attack_claims({0: close}) if r.id == "R6")
    assert r6.verdict == C.INCONCLUSIVE
    assert r6.note.startswith("undecided on seed 0 (") and "n_attack" in r6.note
    assert "FFA: about" in r6.note or "FGS: about" in r6.note  # the parts' labels and factors
    decided = open_rows.open_parts({"R6": C.Judgement(C.HOLDS, "", ""), "R8": C.Judgement(C.FAILS, "", "")})
    assert decided == {"R6": [], "R8": []}
    assert open_rows.open_note("R6", C.HOLDS, {0: decided}) == ""  # decided rows carry no such note
    assert open_rows.open_note("R1", C.INCONCLUSIVE, {0: decided}) == ""


def test_seed_tables_give_every_seed_and_the_range():
    from facerobust.experiments.attributes import portability, tables

    counts = tables.seed_counts({s: _res(seed=s) for s in range(3)})
    assert list(counts.index) == ["seed 0", "seed 1", "seed 2", "range"]
    ffa = counts["euclidean FFA"]
    assert ffa["range"] == ffa.iloc[:3].max() - ffa.iloc[:3].min() and counts["pairs"].iloc[0] == 1600
    means = tables.seed_means({0: _err(), 1: _err(shift=1.0)})
    assert means.loc["range", "euclidean (epoch2)"] == 1.0 and means.loc["range", "trivial"] == 0.0
    left, right = _port(np.eye(4) * 100 + 2, 100), _port(np.eye(4) * 60 + 2, 100)
    assert portability.still_adversarial(right) == 62.0
    assert np.isnan(portability.still_adversarial(_port(np.full((4, 4), np.nan), 0)))
    summary = portability.seed_summary({0: (left, right), 1: (left, right)})
    assert list(summary.index) == ["seed 0", "seed 1"] and summary["still adversarial (%)"].dtype == float


def test_r8_open_part_gives_the_rules_own_factor():
    from facerobust.experiments.claims.deciding import wilson_factor

    res = _res(n=40, a=2, seed=3)  # few natural adversarials: R8's interval overlaps the band's edge
    wrong_c = ~res.scores("euclidean", "converged").correct
    nat_2 = res.run("euclidean", "epoch2", "ffa").adversarial() & ~res.scores("euclidean", "epoch2").correct
    k, n = int((nat_2 & wrong_c).sum()), int(nat_2.sum())
    assert C.rate_between(k, n, *AC.HALF_BAND).verdict == C.INCONCLUSIVE
    r8 = next(r for r in AC.attack_claims({0: res}) if r.id == "R8")
    # the exact Wilson factor against the nearer edge (0.3), as the rule records it
    assert r8.note.startswith(f"undecided on seed 0 (about {wilson_factor(k, n, AC.HALF_BAND[0]):.0f}x)")
