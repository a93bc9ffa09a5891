"""The K-anonymity attack (Eq. 6 of Mygdalis et al.) and the rank metrics."""

from __future__ import annotations

import pytest
import torch
from facerobust.attacks.k_anonymity import assign_groups, k_anonymity
from facerobust.metrics.ranking import attack_success_rate, rank2_recovery, rank_pmf, true_label_rank


def test_rank_metrics_known_answers():
    scores = torch.tensor([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [0.0, 1.0, 2.0]])
    y = torch.tensor([0, 2, 0])
    ranks = true_label_rank(scores, y)
    assert ranks.tolist() == [1, 2, 3]
    assert rank_pmf(ranks, 3).tolist() == pytest.approx([1 / 3] * 3)
    assert attack_success_rate(scores, y) == pytest.approx(2 / 3)
    assert rank2_recovery(scores, y) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        rank_pmf(torch.tensor([0]), 3)


def test_assign_groups_is_balanced():
    k = assign_groups(45, 9, torch.Generator().manual_seed(0))
    assert sorted(torch.bincount(k).tolist()[2:]) == [5] * 9
    assert int(k.min()) == 2 and int(k.max()) == 10
    assert (assign_groups(10, 1) == 2).all()


@pytest.fixture(scope="module")
def lenet():
    from facerobust.data.digits import mnist5k
    from facerobust.models.small_nets import fit_classifier, lenet5

    torch.manual_seed(0)
    data = mnist5k("train")  # the chapter's LeNet-5 set-up: all 4000 training digits, 20 epochs
    model = lenet5()
    fit_classifier(model, data.x, data.y, epochs=20, seed=0)
    tdata = mnist5k("test")
    pick = torch.randperm(len(tdata), generator=torch.Generator().manual_seed(1))[:80]
    x, y = tdata.x[pick], tdata.y[pick]
    with torch.no_grad():
        ok = model(x).argmax(1) == y
    return model, x[ok][:45], y[ok][:45]


def test_k5_on_mnist5k_satisfies_k_anonymity(lenet):
    """Acceptance: for K = 5 the measured pmf has p(j) <= 1/K + 0.05 for every rank j."""
    model, x, y = lenet
    K = 5
    k = assign_groups(len(x), K, torch.Generator().manual_seed(0))
    r = k_anonymity(model, x, y, k=k, steps=200, lr=0.1)
    with torch.no_grad():
        ranks = true_label_rank(model(r.x_adv), y)
        last = true_label_rank(model(r.info["x_last"]), y)  # the chapter's pmf: last iterates
    pmf = rank_pmf(last, 10)
    assert float(pmf[0]) == 0.0
    assert float(pmf.max()) <= 1 / K + 0.05
    assert r.rate >= 0.9
    assert torch.equal(r.info["rank"], ranks)
    assert torch.equal(r.success, ranks >= k)  # success mask agrees with re-classification
    assert r.x_adv.min() >= 0 and r.x_adv.max() <= 1


def test_k1_degenerates_to_a_targeted_runner_up_attack(lenet):
    model, x, y = lenet
    x, y = x[:12], y[:12]
    r = k_anonymity(model, x, y, k=assign_groups(len(x), 1), steps=100, lr=0.1, sim_weight=0.0)
    with torch.no_grad():
        clean, adv = model(x), model(r.x_adv)
    second = clean.scatter(1, y[:, None], -torch.inf).argmax(1)
    assert r.success.all()
    assert (adv.argmax(1)[r.success] == second[r.success]).float().mean() >= 0.9


def test_bad_k_is_rejected(lenet):
    model, x, y = lenet
    with pytest.raises(ValueError, match="k must lie"):
        k_anonymity(model, x[:2], y[:2], k=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="int64"):
        k_anonymity(model, x[:2], y[:2], k=torch.tensor([2.0, 2.0]))
