"""ExplainGAN experiment plumbing on tiny synthetic pairs: splits, substitution sets, flips, claims."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from facerobust.data.types import ImageSet
from facerobust.experiments import claims as C
from facerobust.experiments.explaingan import claims_table as eg_claims
from facerobust.experiments.explaingan import data, evaluate, explain, training, zoo
from facerobust.models.explaingan import BlackBox


def _set(n: int, seed: int) -> ImageSet:
    g = torch.Generator().manual_seed(seed)
    return ImageSet(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 2, ("a", "b"))


def _pair() -> data.PairData:
    return data.PairData("toy", "mnist5k", ("a", "b"), _set(12, 0), _set(12, 1), _set(6, 2), _set(8, 3))


def test_four_way_is_disjoint_and_seeded() -> None:
    a = data.four_way(100, (10, 50, 20), seed=1)
    assert [len(i) for i in a] == [10, 50, 20]
    assert len(set(torch.cat(a).tolist())) == 80
    assert all(torch.equal(u, v) for u, v in zip(a, data.four_way(100, (10, 50, 20), seed=1), strict=True))
    with pytest.raises(ValueError):
        data.four_way(10, (5, 5, 5), seed=0)
    with pytest.raises(ValueError, match="dataset"):
        data.load_pair("cifar", ("3", "8"), (1, 1, 1))
    with pytest.raises(ValueError, match="digit"):
        data.load_pair("mnist5k", ("3", "eight"), (1, 1, 1))


def test_substituted_sets_replace_the_right_class() -> None:
    torch.manual_seed(0)
    pair = _pair()
    tr = zoo.Trained(training.build(training.TrainConfig()).eval(), training.TrainConfig(), {})
    x, y = evaluate.substituted_sets(tr, pair, "Transformed 0")
    assert len(x) == 12 and int((y == 0).sum()) == 6
    real1 = pair.clf_train.x[pair.clf_train.y == 1]
    assert torch.equal(x[y == 1], real1)                      # class 1 kept
    assert not torch.equal(x[y == 0], pair.clf_train.x[pair.clf_train.y == 0])
    xb, yb = evaluate.substituted_sets(tr, pair, "Both composite")
    assert not torch.equal(xb[yb == 1], real1)
    with pytest.raises(ValueError, match="column"):
        evaluate.substituted_sets(tr, pair, "Transformed 2")
    cyc = zoo.Trained(training.build(training.TrainConfig(variant="cyclegan")).eval(),
                      training.TrainConfig(variant="cyclegan"), {})
    e = cyc.explain(pair.test.x, 0)
    assert torch.equal(e.composite, e.transformed) and float(e.mask.min()) == 1.0


def test_flips_maps_and_claim_rows() -> None:
    torch.manual_seed(0)
    pair, bb = _pair(), BlackBox().eval()
    tr = zoo.Trained(training.build(training.TrainConfig()).eval(), training.TrainConfig(), {})
    f = evaluate.flips(tr, bb, pair.test.x)
    assert f.n == 8 and f.area.shape == (8,) and 0 <= f.k_composite <= 8
    xs = pair.test.x[:3]
    maps = explain.all_maps(tr, bb, xs, window=4, stride=4)
    assert set(maps) == set(explain.ALL_METHODS) and all(m.shape == (3, 1, 28, 28) for m in maps.values())
    aos = explain.AOSPCRun.pooled([explain.run(bb, xs, maps, (0.5, 0.7, 0.9), 2)] * 2)
    assert aos.per_image("explaingan", "logit", 0.5).shape == (6,)
    key = ("mnist5k", ("a", "b"))
    fkey = ("fashion", ("a", "b"))
    s = evaluate.Score(7, 8)
    subst = {key: dict.fromkeys(("Transformed 0", "Composite 1"), s), fkey: {"Transformed 0": s}}
    ceil = {key: evaluate.Score(8, 8), fkey: evaluate.Score(8, 8)}
    abl = {(key, v): {"Both transformed": s} for v in ("full", "norec", "nomask", "cyclegan")}
    sweep = pd.DataFrame({"kappa": [0.05, 0.1], "area": [0.1, 0.2], "area_sd": [0.01, 0.01], "n": [8, 8]})
    rows = eg_claims.rows({key: f}, sweep, aos, subst, ceil, abl)
    table = C.table(rows)
    assert list(table.columns) == C.COLUMNS and len(table) == 14
    assert set(table.verdict) <= set(C.VERDICTS)
    assert table.set_index("id").loc["E12", "verdict"] == C.UNTESTABLE
    assert np.isfinite(aos.frame().AOSPC).all()
