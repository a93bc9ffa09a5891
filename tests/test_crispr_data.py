"""Styled digits for the CRISPR chapter: known styles, regions, non-atomic detection."""

from __future__ import annotations

import pytest
import torch
from facerobust.data import synthetic_styles as ss


def test_style_parts_recover_every_style_combination() -> None:
    styles = torch.cartesian_prod(torch.arange(4), torch.arange(4))
    inten = torch.full((len(styles), 2), 0.7)
    x = ss.compose(torch.zeros(len(styles), 1, 32, 32), styles, inten)
    parts = ss.style_parts(x)
    assert torch.equal(parts[:, :, 0], styles) and torch.equal(parts[:, :, 1], styles)


def test_mixed_halves_are_detected() -> None:
    solid = ss.TEMPLATES["underline"][1]
    dashed = ss.TEMPLATES["underline"][2]
    left, _ = ss.part_masks()["underline"]
    img = torch.where(left, solid, dashed)[None, None]
    parts = ss.style_parts(img)[0, 0]
    assert parts.tolist() == [1, 2]


def test_regions_do_not_overlap_each_other_or_the_digit() -> None:
    reg = ss.region_masks()
    assert not (reg["underline"] & reg["frame"]).any()
    r0, r1, c0, c1 = ss.DIGIT_BOX
    for m in reg.values():
        assert not m[r0:r1, c0:c1].any()
    for name, templates in ss.TEMPLATES.items():
        assert not (templates.bool() & ~reg[name]).any()  # every style draws inside its region


def test_styled_digits_and_validation() -> None:
    data = ss.styled_digits("test", seed=0, limit=50)
    assert data.x.shape == (50, 1, 32, 32) and data.styles.shape == (50, 2)
    assert torch.equal(data.y, (data.styles > 0).long())
    assert float(data.x.min()) >= 0 and float(data.x.max()) <= 1
    with pytest.raises(ValueError, match="styles"):
        ss.compose(torch.zeros(1, 1, 32, 32), torch.tensor([[4, 0]]), torch.ones(1, 2))
    with pytest.raises(ValueError, match="digits"):
        ss.compose(torch.zeros(1, 1, 28, 28), torch.zeros(1, 2, dtype=torch.long), torch.ones(1, 2))
    with pytest.raises(ValueError, match="p_present"):
        ss.sample_styles(3, torch.Generator(), p_present=1.0)
