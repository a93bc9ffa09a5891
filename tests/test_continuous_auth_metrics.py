"""Chapter 04 (continuous authentication): Eq. 2.1 vote, Eq. 2.2/2.3 similarity and fusion, EER,
SSC and OMP, and the Eq. 2.10 battery sums."""

from __future__ import annotations

import numpy as np
import pytest
from facerobust.experiments.continuous_auth import battery
from facerobust.metrics import verification as vf
from facerobust.models import acaa
from facerobust.models import disc_attrs as da


def test_vote_on_hand_made_classifiers() -> None:
    decisions = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    w = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    out = acaa.vote(decisions, w)
    np.testing.assert_allclose(out, [(0.9 + 0.7 + 0.6) / 3.5, 0.0, 1.0])


def test_vote_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        acaa.vote(np.array([[0.5, 1.0]]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="disagree"):
        acaa.vote(np.array([[1, 0]]), np.array([1.0]))
    with pytest.raises(ValueError, match="weights"):
        acaa.vote(np.array([[1, 0]]), np.array([0.0, 0.0]))


def test_weighted_vote_uses_the_kept_classifiers() -> None:
    class Fixed:
        def __init__(self, out: list[int]) -> None:
            self.out = np.array(out)

        def predict(self, x: np.ndarray) -> np.ndarray:
            return self.out

    cands = [acaa.Candidate("eyes", "LBP", 8, 0.9), acaa.Candidate("mouth", "HOG", 16, 0.6)]
    v = acaa.WeightedVote(cands, [Fixed([1, 0]), Fixed([1, 1])])
    feats = {("eyes", "LBP", 8): np.zeros((2, 3)), ("mouth", "HOG", 16): np.zeros((2, 3))}
    np.testing.assert_allclose(v.score(feats), [1.0, 0.6 / 1.5])


def test_inverse_distance_and_inner_product() -> None:
    e = np.array([[0.0, 0.0], [1.0, 1.0]])
    t = np.array([[3.0, 4.0], [1.0, 1.0], [1.0, 2.0]])
    s = vf.inverse_distance(e, t)
    np.testing.assert_allclose(s[0], [1 / 5, 1 / np.sqrt(2), 1 / np.sqrt(5)])
    assert s[1, 1] == pytest.approx(1e12)  # identical descriptors stay finite
    np.testing.assert_allclose(vf.inner_product(e, t), [[0, 0, 0], [7, 2, 3]])
    with pytest.raises(ValueError, match="finite"):
        vf.inverse_distance(np.array([[np.nan, 0.0]]), t)
    with pytest.raises(ValueError, match="dimension"):
        vf.inner_product(e, np.ones((2, 3)))


def test_video_descriptor_is_the_frame_mean() -> None:
    np.testing.assert_allclose(vf.video_descriptor(np.array([[0.0, 2.0], [2.0, 4.0]])), [1.0, 3.0])


def test_zscore_fusion() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[10.0, 0.0], [0.0, 10.0]])
    za = (a - 2.5) / a.std()
    zb = (b - 5.0) / 5.0
    np.testing.assert_allclose(vf.zscore(a), za)
    np.testing.assert_allclose(vf.fuse(a, b), za + zb)
    assert vf.fuse(a, b).mean() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="constant"):
        vf.zscore(np.ones((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        vf.fuse(a, np.ones((3, 2)))


def test_eer_on_a_known_roc() -> None:
    # genuine 0.9 0.8 0.7 0.3, impostor 0.6 0.2 0.1 0.05: a threshold between 0.3 and 0.6 accepts one
    # impostor of four and rejects one genuine of four, so FAR = FRR = 0.25.
    s = np.array([[0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.05]])
    g = np.array([[True, True, True, True, False, False, False, False]])
    r = vf.roc(s, g)
    assert r.eer == pytest.approx(0.25)
    assert (r.n_genuine, r.n_impostor) == (4, 4)
    assert vf.eer(s, g) == pytest.approx(0.25)
    assert vf.eer_from_curve(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == pytest.approx(0.5)
    assert vf.eer(np.array([[1.0, 0.0]]), np.array([[True, False]])) == pytest.approx(0.0)


def test_fast_eer_matches_the_roc() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = np.round(rng.normal(size=(10, 20)), 1)
        g = rng.random((10, 20)) < 0.1
        g[0, 0], g[0, 1] = True, False
        assert vf.eer(s, g) == pytest.approx(vf.roc(s, g).eer)


def test_genuine_mask_and_bootstrap() -> None:
    m = vf.genuine_mask(["a", "b"], ["b", "a", "a"])
    np.testing.assert_array_equal(m, [[False, True, True], [True, False, False]])
    rng = np.random.default_rng(0)
    ids = [str(i) for i in range(6)]
    s = rng.normal(size=(6, 6)) + 3 * np.eye(6)
    boot = vf.bootstrap_eers({"x": s, "y": -s}, ids, ids, n_boot=20)
    assert boot["x"].shape == (20,)
    assert boot["x"].mean() < boot["y"].mean()


def test_ssc_recovers_synthetic_subspaces() -> None:
    d, truth = da.union_of_subspaces(3, 3, 32, 20, noise=0.01, seed=0)
    labels = da.ssc_cluster(d, 3, alpha=0.001)
    assert da.clustering_accuracy(labels, truth) >= 0.95
    c = da.ssc_coefficients(d, alpha=0.001)
    assert np.allclose(np.diag(c), 0.0)


def test_clustering_accuracy_is_permutation_free() -> None:
    assert da.clustering_accuracy(np.array([2, 2, 0, 0, 1]), np.array([0, 0, 1, 1, 1])) == pytest.approx(0.8)


def test_omp_sparsity() -> None:
    d, _ = da.union_of_subspaces(5, 4, 32, 20, noise=0.05, seed=0)
    e = np.random.default_rng(3).normal(size=(32, 6))
    for k in (5, 20):
        nz = (da.omp_codes(d, e, sparsity=k) != 0).sum(0)
        assert (nz <= k).all() and (nz == k).all()
    with pytest.raises(ValueError, match="sparsity"):
        da.omp_codes(d, e, sparsity=0)


def test_discovered_attribute_features_are_distributions() -> None:
    d, truth = da.union_of_subspaces(3, 3, 32, 25, noise=0.01, seed=0)
    model = da.DiscoveredAttributes(d[:, ::2], truth[::2], sparsity=10)
    f = model.features(d[:, 1::2])
    np.testing.assert_allclose(f.sum(1), 1.0)
    assert (f.argmax(1) == truth[1::2]).mean() >= 0.9


def test_battery_arithmetic() -> None:
    c = battery.capacity_wh(2300, 3.8)
    assert c == pytest.approx(8.74)
    assert battery.battery_hours(c, 0.6, 0.78) == pytest.approx(6.333, abs=1e-3)
    assert battery.battery_hours(c, 0.6, 0.78, alpha=0.5, beta=0.2) == pytest.approx(12.891, abs=1e-3)
    with pytest.raises(ValueError, match="alpha"):
        battery.battery_hours(c, 0.6, 0.78, alpha=2.0)
