"""CRISPR's Fashion-MNIST setting: garment labels from chapter 1's attribute table, the class sets a
swapped label vector names, and the swap measurement on an untrained tiny model with untrained judges."""

from __future__ import annotations

import pytest
import torch
from facerobust.data.digits import FASHION_CLASSES
from facerobust.experiments.crispr import attr_swap
from facerobust.experiments.crispr import fashion as fa
from facerobust.models import attribute_nets as nets
from facerobust.models import crispr as cr
from facerobust.models import small_nets

NAMES = ("Long_Sleeves", "Front_Opening")


@pytest.fixture(scope="module")
def data() -> fa.Garments:
    return fa.garments("test", NAMES, limit=40)


def test_garments_labels_follow_the_classes(data: fa.Garments) -> None:
    assert data.x.shape == (40, 1, 32, 32) and data.y.shape == (40, 2)
    assert bool((data.x[..., :2, :] == 0).all())  # the padding
    names = [FASHION_CLASSES[c] for c in data.cls.tolist()]
    assert set(names) <= set(fa.UPPER_BODY)
    for n, y in zip(names, data.y.tolist(), strict=True):
        assert y == [int(n != "T-shirt/top"), int(n in ("Coat", "Shirt"))]
    with pytest.raises(ValueError, match="class"):
        fa.garments("test", NAMES, ("Hat",))
    with pytest.raises(ValueError, match="attribute"):
        fa.garments("test", ("Hat",))


def test_named_classes() -> None:
    got = fa.named_classes(NAMES, fa.UPPER_BODY, torch.tensor([[0, 0], [1, 0], [1, 1], [0, 1]]))
    ids = {c: FASHION_CLASSES.index(c) for c in fa.UPPER_BODY}
    assert got == [[ids["T-shirt/top"]], [ids["Pullover"]], [ids["Coat"], ids["Shirt"]], []]


def test_swap_eval_ranges(data: fa.Garments) -> None:
    torch.manual_seed(0)
    model = cr.Crispr(p=4, q=2, width=4, hidden=8).eval()
    model.mu.normal_()
    bank = nets.make_bank("small", 5, 2).eval()
    oracles = fa.Oracles(bank, ("Footwear", "Upper_Body", "Long_Sleeves", "Front_Opening", "Casual"),
                         small_nets.lenet5(10, 1).eval())
    r = fa.swap_eval(model, oracles, data, 0)
    assert r.swap.n == 40 and r.swap.images.shape == data.x.shape
    assert 0 <= r.swap.target_reached <= 40 and 0 <= r.in_set <= 40 and 0 <= r.consistent <= r.n_named <= 40
    assert bool((r.swap.target == 1 - data.y[:, 0]).all())
    acc = fa.oracle_accuracy(oracles, data)
    assert len(acc) == 3 and all(0 <= v <= 1 for v in acc.values())
    with pytest.raises(ValueError, match="no attribute"):
        oracles.attributes(data.x, ("Warm",))
    with pytest.raises(ValueError, match="attribute index"):
        attr_swap.swap_eval(model, oracles.judge(NAMES), data.x, data.y, 2, "x")
    with pytest.raises(ValueError, match="0 or 1"):
        attr_swap.swap_eval(model, oracles.judge(NAMES), data.x, data.y + 1, 0, "x")
    with pytest.raises(ValueError, match="32x32"):
        fa.crop28(torch.zeros(1, 1, 28, 28))


def _swap(k: int, n: int = 100) -> fa.FashionSwap:
    s = attr_swap.AttrSwap("Long_Sleeves", n, k, n, n, torch.zeros(0), torch.zeros(0))
    return fa.FashionSwap(s, n, 0, 0)


def test_fashion_and_celeba_claim_rows() -> None:
    from facerobust.experiments import claims as C
    from facerobust.experiments.crispr import claims_table

    good, bad = claims_table.fashion_rows([_swap(100)]), claims_table.fashion_rows([_swap(10)])
    assert [r.id for r in good] == ["F1", "F2", "F3"]
    assert good[0].verdict == C.HOLDS and bad[0].verdict == C.FAILS
    assert good[2].verdict == C.INCONCLUSIVE  # no swapped label vector names a class
    rows = claims_table.celeba_rows(None, "no CelebA folder")
    assert [r.verdict for r in rows] == [C.UNTESTABLE] * 2 and "no CelebA folder" in C.table(rows).to_string()
