"""Chapter 04 (continuous authentication): CNNAA parameter counts (Table 2.16), the Eq. 2.5 loss, the
queue sampler, face components and capture sessions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facerobust.data import capture_sessions as cs
from facerobust.data import face_parts as fp
from facerobust.experiments.continuous_auth import printed
from facerobust.models import acaa, cnnaa
from torch.nn import functional as F


@pytest.mark.parametrize("region", list(cnnaa.REGIONS))
def test_part_network_counts_equal_table_2_16(region: str) -> None:
    deep, _, wide, _ = printed.TABLE_2_16[region]
    assert cnnaa.n_parameters(cnnaa.part_net(cnnaa.DEEP, region)) == deep
    assert cnnaa.n_parameters(cnnaa.part_net(cnnaa.WIDE, region)) == wide
    w, h, a = cnnaa.REGIONS[region]
    assert cnnaa.count_arithmetic(cnnaa.DEEP, w, h, a)["total"] == deep


def test_multi_totals_and_binary_gap() -> None:
    deep = sum(v[0] for v in printed.TABLE_2_16.values())
    wide = sum(v[2] for v in printed.TABLE_2_16.values())
    assert (deep, wide) == (2_420_736, 15_598_080)
    parts = cnnaa.count_arithmetic(cnnaa.DEEP, 128, 128, 1)
    weights = parts["total"] - parts["biases + embedding gain"]
    assert printed.BINARY_FULL["Deep"].value - weights == 2_880


def test_part_network_shapes() -> None:
    net = cnnaa.part_net(cnnaa.DEEP, "Mouth")
    e, logits = net(torch.rand(2, 3, 38, 65))
    assert e.shape == (2, 32) and logits.shape == (2, 10, 2)
    with pytest.raises(ValueError, match="expected"):
        net(torch.rand(2, 3, 40, 40))


def test_multitask_loss_is_summed_cross_entropy() -> None:
    torch.manual_seed(0)
    logits = torch.randn(4, 3, 2)
    y = torch.tensor([[0, 1, 1], [1, 0, -1], [0, 0, 0], [1, -1, 1]])
    want = sum(F.cross_entropy(logits[i, a][None], y[i, a][None].clamp(min=0))
               for i in range(4) for a in range(3) if y[i, a] >= 0) / 4
    assert cnnaa.multitask_loss(logits, y).item() == pytest.approx(float(want), rel=1e-6)
    with pytest.raises(ValueError, match="labels"):
        cnnaa.multitask_loss(logits, torch.full((4, 3), 2))
    with pytest.raises(ValueError, match="must be"):
        cnnaa.multitask_loss(logits[:, :, :1], y)


def test_queue_sampler_balances_rare_classes() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((2000, 4)) < np.array([0.02, 0.1, 0.9, 0.5])).astype(int)
    s = cnnaa.QueueSampler(y, seed=0)
    drawn = y[s.draw(6000)]
    share = (drawn == s.rare).mean(0)
    assert (share >= 1 / (s.n_queues + 1)).all(), share
    assert s.rare.tolist() == [1, 1, 0, int(y[:, 3].mean() <= 0.5)]


def test_queue_sampler_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="0/1"):
        cnnaa.QueueSampler(np.array([[0, 2]]))


def test_face_parts_from_landmarks() -> None:
    pts = np.array([[110.0, 60.0], [90.0, 60.0], [50.0, 60.0], [70.0, 60.0], [80.0, 95.0]])
    boxes = fp.part_boxes(pts, 160)
    assert set(boxes) == set(fp.PARTS)
    for x0, y0, x1, y1 in boxes.values():
        assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 160
    assert boxes["mouth"][1] > boxes["eyes"][3]  # the mouth lies below the eyes
    crops = fp.crop_parts(np.zeros((160, 160, 3), np.uint8), boxes)
    assert all(crops[p].shape == (h, w, 3) for p, (w, h) in fp.PART_SIZES.items())
    with pytest.raises(ValueError, match="apart"):
        fp.part_boxes(np.zeros((5, 2)), 160)


def test_capture_sessions_are_seeded() -> None:
    chip = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    a, b = cs.video(chip, "low", 3, seed=1), cs.video(chip, "low", 3, seed=1)
    assert a.shape == (3, 64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert a.mean() < cs.video(chip, "natural", 3, seed=1).mean()  # low light is darker
    with pytest.raises(ValueError, match="unknown session"):
        cs.video(chip, "night", 2, seed=0)


def test_features_have_fixed_dimensions() -> None:
    img = np.random.default_rng(0).integers(0, 255, (24, 64, 3), dtype=np.uint8)
    assert acaa.extract(img, "LBP", 8).size == 3 * 8 * acaa.LBP_BINS
    assert acaa.extract(img, "ColorLBP", 8).size == 3 * 3 * 8 * acaa.LBP_BINS
    assert acaa.extract(img, "ColorHOG", 8).size == 3 * acaa.extract(img, "HOG", 8).size
    with pytest.raises(ValueError, match="cell size"):
        acaa.extract(img, "HOG", 32)


def test_cnnaa_training_step_and_distortions() -> None:
    from facerobust.experiments.continuous_auth import cnnaa_run

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(12, 3, 38, 65, generator=gen)
    d = cnnaa_run.distort(x, gen)
    assert d.shape == x.shape and float(d.min()) >= 0 and float(d.max()) <= 1
    y = torch.tensor([[1, 0], [0, 1], [0, 0], [1, -1]] * 3)
    net = cnnaa.PartNet(cnnaa.DEEP, 65, 38, 2)
    hist = cnnaa_run.train(net, x, y, steps=3, batch=4, lr=1e-3, seed=0)
    assert len(hist["loss"]) == 3 and np.isfinite(hist["loss"]).all()
    with pytest.raises(ValueError, match="steps"):
        cnnaa_run.train(net, x, y, steps=0, batch=4, lr=1e-3, seed=0)
