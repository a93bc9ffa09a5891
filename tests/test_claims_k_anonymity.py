"""Chapter 09: the K-anonymity claims table on hand-made summary tables (no attack run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from facerobust.experiments import claims as C
from facerobust.experiments import k_anonymity as ka

N = 45
ATTACKS = ["L-BFGS", "DeepFool", "C&W", "K-anon. K=1", "K-anon. K=5", "K-anon. K=9",
           "K-anon. K=1, no CW-SSIM"]


def _pmf(K: int) -> np.ndarray:
    p = np.zeros(10)
    if K == 1:
        p[1] = 1.0
    else:
        p[1 : K + 1] = 1 / K
    return p


def _table(mse_k1: float = 1e-3, mse_ablation: float = 2e-3, asr: float = 100.0,
           seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mse = {"L-BFGS": 3e-3, "DeepFool": 2e-3, "C&W": 2e-3, "K-anon. K=1": mse_k1, "K-anon. K=5": 5e-3,
           "K-anon. K=9": 9e-3, "K-anon. K=1, no CW-SSIM": mse_ablation}
    rows = []
    for a in ATTACKS:
        K = int(a[10]) if a.startswith("K-anon. K=") else 1
        per = mse[a] * (1 + 0.05 * rng.standard_normal(N))
        sim = 100 - 1000 * per
        rows.append({"attack": a, "ASR %": asr, "SSIM": float(sim.mean()), "MSE": float(per.mean()),
                     "rank-2 recovery %": 100.0 if K == 1 else 100 / K, "pmf": _pmf(K), "n": N,
                     "MSE per image": per, "SSIM per image": sim})
    return pd.DataFrame(rows).set_index("attack")


def _verdicts(t: pd.DataFrame) -> dict[str, str]:
    return {c.id.split(" (")[0]: c.verdict for c in ka.claims_rows({"MNIST-5k / LeNet-5": t})}


def test_k_anonymity_claims_hold_on_an_ideal_run_and_use_the_shared_columns():
    t = _table()
    v = _verdicts(t)
    assert v["K1"] == v["K4"] == v["K5a"] == v["K5b"] == v["K5c"] == C.HOLDS
    assert v["K3"] == C.INCONCLUSIVE  # 45 of 45 cannot show ASR >= 98% (Wilson lower bound 0.92)
    table = ka.claims_table({"MNIST-5k / LeNet-5": t})
    assert list(table.columns) == C.COLUMNS and table.source.str.contains("l. ").any()


def test_noise_level_cw_ssim_difference_is_inconclusive():
    # K5c of the issue: 4.720e-3 vs 4.722e-3 is noise, not "the term helps"
    v = _verdicts(_table(mse_k1=4.720e-3, mse_ablation=4.722e-3))
    assert v["K5c"] == C.INCONCLUSIVE
    assert _verdicts(_table(mse_k1=4e-3, mse_ablation=2e-3))["K5c"] == C.FAILS
    # a consistent but negligible gain (0.25%, as on the faces) is not "lowers the perturbation"
    t = _table(mse_k1=7.96e-6, mse_ablation=7.98e-6)
    t.at["K-anon. K=1, no CW-SSIM", "MSE per image"] = t.loc["K-anon. K=1", "MSE per image"] * 1.0025
    assert _verdicts(t)["K5c"] != C.HOLDS


def test_asr_below_the_threshold_fails_and_yale_cell_has_no_order_sign():
    assert _verdicts(_table(asr=60.0))["K3"] == C.FAILS
    rows = ka.claims_rows({"Real faces / dlib descriptor": _table()})
    k4 = next(c for c in rows if c.id.startswith("K4"))
    assert " < " not in k4.paper.value and "0.75, 0.44" in k4.paper.value  # Yale: K=5 > K=9, as printed


def test_inconclusive_rows_say_how_many_images_would_decide_them():
    """Issue 28: K3 at 45 of 45 is open only for its sample; its note says how many attacked images
    would decide it (about 4x: 225 of 225 have a Wilson lower bound above 0.98), and for the faces
    how many the data hold; a decided row has no such note."""
    rows = {c.id: c for c in ka.claims_rows({"MNIST-5k / LeNet-5": _table(),
                                             "Real faces / dlib descriptor": _table()},
                                            available={"Real faces / dlib descriptor": 27})}
    k3 = rows["K3 (m)"]
    assert k3.verdict == C.INCONCLUSIVE and "times the 45 attacked images" in k3.note
    assert "K-anon. K=9: about 4x (~" in k3.note and "attack time grows" in k3.note
    assert "data here hold" not in k3.note  # no limit given for the digits
    assert rows["K3 (y)"].note.endswith("the data here hold 27")
    assert rows["K4 (m)"].verdict == C.HOLDS and rows["K4 (m)"].note == ""
