"""AdvHat (chapter 8): geometry of the off-plane sticker model, EOT sampler, loss and optimiser.

The geometry numbers are those recovered from the official code (spec, Paper 2, section 2.5):
with the default parameters the sticker covers rows 42-246, columns 118-481 of the 600x600
aligned face (18.0% of it) and ends ~6 px above the eye line of the 112-px ArcFace crop. In dlib's
150-px chip (padding 0.25) the analogous numbers are derived from the eye-centre similarity.
"""

from __future__ import annotations

import json

import pytest
import torch
from facerobust.attacks import advhat as ah
from facerobust.attacks.advhat import projection as pj
from facerobust.attacks.advhat.optimise import cosine, slope
from torch import nn

SRC, DST = ah.Frame(220, 0.6), ah.Frame(150, 0.25)


def _bbox(mask: torch.Tensor, thr: float = 0.5) -> tuple[int, int, int, int, float]:
    ys, xs = torch.nonzero(mask > thr, as_tuple=True)
    return int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max()), float((mask > thr).float().mean())


def test_official_geometry_full_size() -> None:
    """400x900 sticker, defaults: the spec's [computed] canvas and 600-face numbers, exactly."""
    s = torch.rand(3, 400, 900)
    p = ah.Placement.default(1)
    canvas = ah.bend_and_pitch(s, p.a, p.phi)[0, -1]
    assert _bbox(canvas)[:4] == (250, 690, 59, 840)  # half-width 391 px, rows 250-690
    top, bottom, left, right, cover = _bbox(ah.sticker_layer(s, p, None)[0, -1])
    assert (top, bottom, left, right) == (42, 246, 118, 481)
    assert cover == pytest.approx(0.180, abs=0.002)
    # In the 112-px ArcFace crop: lower edge ~6 px above the eye line (y = 51.6).
    assert 51.6 - bottom * 111 / 599 == pytest.approx(6.0, abs=1.0)


def test_small_sticker_same_geometry() -> None:
    """The book's 48x108 sticker lands where the official 400x900 one does (within 3 px)."""
    top, bottom, left, right, cover = _bbox(ah.sticker_layer(torch.rand(3, 48, 108),
                                                             ah.Placement.default(1), None)[0, -1])
    assert abs(top - 42) <= 3 and abs(bottom - 246) <= 3 and abs(left - 118) <= 3 and abs(right - 481) <= 3
    assert cover == pytest.approx(0.18, abs=0.01)


def test_descriptor_chip_geometry() -> None:
    """dlib 150-px chip: the sticker's lower edge is ~8.8 px (6 ArcFace px x 1.49) above the eyes,
    it is cut by the chip's top edge and covers ~15.5% of the chip."""
    top, bottom, left, right, cover = _bbox(ah.sticker_layer(torch.rand(3, 48, 108),
                                                             ah.Placement.default(1), DST)[0, -1])
    scale = pj.template_to_arcface()[0] * (DST.size - 1) / (1 + 2 * DST.padding)
    assert scale == pytest.approx(1.49, abs=0.01)  # dlib-chip px per ArcFace-112 px
    assert top == 0 and DST.eye_line - bottom == pytest.approx(6.0 * scale, abs=1.5)
    assert cover == pytest.approx(0.155, abs=0.01)
    assert abs((left + right) / 2 - 74.5) <= 1.5  # centred


def test_flat_when_a_and_phi_are_zero() -> None:
    """a = 0 and phi = 0 leave the sticker unbent: a plain rectangle in the canvas."""
    s = torch.rand(3, 48, 108, dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    canvas = ah.bend_and_pitch(s, zero, zero)[0]
    expected = torch.zeros(4, 108, 108, dtype=torch.float64)
    row0 = round(250 * 108 / 900)
    expected[:3, row0:row0 + 48] = s
    expected[3, row0:row0 + 48] = 1
    torch.testing.assert_close(canvas, expected)


def test_bend_compresses_and_pitch_arches() -> None:
    s = torch.rand(3, 48, 108)
    flat = ah.bend_and_pitch(s, torch.zeros(1), torch.zeros(1))[0, -1]
    bent = ah.bend_and_pitch(s, torch.full((1,), 0.0013), torch.zeros(1))[0, -1]
    arched = ah.bend_and_pitch(s, torch.full((1,), 0.0013), torch.full((1,), 17.0))[0, -1]
    assert _bbox(bent)[3] - _bbox(bent)[2] < _bbox(flat)[3] - _bbox(flat)[2]
    cols = torch.nonzero(arched.sum(0) > 0).flatten()
    first_row = lambda c: int(torch.nonzero(arched[:, c] > 0.5).min())  # noqa: E731
    assert first_row(int(cols[0])) > first_row(54)  # the sides hang lower than the centre: an arch


def test_projection_is_differentiable_in_the_sticker() -> None:
    face = torch.rand(1, 3, 40, 40, dtype=torch.float64)
    src, dst = ah.Frame(40, 0.6), ah.Frame(28, 0.25)
    p = ah.sample(ah.EOT.official(), 2, torch.Generator().manual_seed(1))
    s = torch.rand(3, 8, 18, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: ah.render(face, t, p, src, dst), (s,), eps=1e-6, atol=1e-5,
                                     fast_mode=True)
    s2 = torch.rand(3, 48, 108, requires_grad=True)
    out = ah.render(torch.rand(1, 3, 220, 220), s2, ah.Placement.default(1), SRC, DST)
    (g,) = torch.autograd.grad(out.sum(), s2)
    seen = (g.abs() > 1e-3).float().mean(dim=(0, 2))  # per sticker row: the top rows lie above the chip
    assert float(seen[-20:].min()) > 0.9 and float(seen[:5].max()) < 0.1


def test_mask_never_covers_the_eyes() -> None:
    """Over 300 EOT draws (and the widest corners), the eye regions of the 150-px chip stay clear."""
    s = torch.rand(3, 48, 108)
    draws = ah.sample(ah.EOT.official(), 300, torch.Generator().manual_seed(0))
    worst = ah.Placement.default(1, y1=-15 + 600 / 112, s1=0.485, a=0.0015, phi=19.0)
    layer = ah.sticker_layer(s, draws.cat(worst), SRC, DST)
    top = int(DST.eye_line) - 4  # the eye region: 4 px above the eye line and below, +-10 px around each eye
    for x, _ in DST.eye_centres():
        region = layer[:, -1, top:top + 9, int(x) - 10:int(x) + 11]
        assert float(region.max()) < 1e-6


def test_eot_ranges_and_fixed_view() -> None:
    p = ah.sample(ah.EOT.official(), 500, torch.Generator().manual_seed(0))
    assert float((p.phi - 17).abs().max()) <= 2 and float((p.a - 0.0013).abs().max()) <= 2e-4 + 1e-12
    assert float((p.y1 + 15).abs().max()) <= 600 / 112 and float((p.s1 - 0.465).abs().max()) <= 0.02
    assert float(p.s2.min()) >= 1 / 1.04 - 1e-9 and float(p.s2.max()) <= 1.04 + 1e-9
    assert float(p.phi.std()) > 0.5  # really random
    f = ah.fixed(ah.EOT.official(), 3)
    assert torch.equal(f.phi, torch.full((3,), 17.0, dtype=torch.float64)) and torch.equal(f.s2, torch.ones(3,
                                                                                          dtype=torch.float64))
    flat = ah.sample(ah.EOT.official(flat=True), 5, torch.Generator().manual_seed(0))
    assert float(flat.a.abs().max()) == 0 and float(flat.phi.abs().max()) == 0
    sw = ah.sweep("phi", [0, 10, 30])
    assert sw.phi.tolist() == [0, 10, 30] and sw.a.tolist() == [0.0013] * 3


def test_tv_and_slope_known_answers() -> None:
    z = torch.zeros(3, 4, 5)
    assert float(ah.tv(z)) == pytest.approx(60 * 1e-5 ** 0.5)
    one = torch.ones(1, 2, 2)  # zero-padded first row/column: corner sqrt(2), edges 1, interior 0
    assert float(ah.tv(one, eps=0)) == pytest.approx(2 ** 0.5 + 2)
    assert slope([1.0, 0.5, 0.0]) == pytest.approx(-0.5) and slope([2.0, 2.0]) == pytest.approx(0.0)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="even"):
        ah.bend_and_pitch(torch.rand(3, 4, 9), torch.zeros(1), torch.zeros(1))
    with pytest.raises(ValueError, match=">= 0"):
        ah.bend_and_pitch(torch.rand(3, 4, 8), -torch.ones(1), torch.zeros(1))
    with pytest.raises(ValueError, match="face must be"):
        ah.render(torch.rand(1, 3, 100, 100), torch.rand(3, 4, 8), ah.Placement.default(1), SRC, DST)
    with pytest.raises(ValueError, match="unknown placement"):
        ah.Placement.default(1, pitch=3.0)
    with pytest.raises(ValueError, match="sticker must be"):
        ah.tv(torch.rand(4, 8))


class _TinyEmbed(nn.Module):
    """A random-weight stand-in for the face descriptor (150-px input, 16-d output)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4, bias=False), nn.Tanh(),
                                 nn.Conv2d(8, 16, 3, stride=2, bias=False), nn.AdaptiveAvgPool2d(2),
                                 nn.Flatten(), nn.Linear(64, 16, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x - 0.5)


def test_optimiser_lowers_the_loss_and_saves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = _TinyEmbed().eval().requires_grad_(False)
    face = torch.rand(1, 3, 220, 220, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        anchor = model(ah.crop(face, ah.Placement.default(1), SRC, DST))[0]
    cfg = ah.AdvHatConfig(sticker_hw=(16, 36), eot_batch=4, window=5,
                          stages=(ah.Stage(5 / 255, 0.9, 5, 25), ah.Stage(1 / 255, 0.995, 5, 10)))
    g = torch.Generator().manual_seed(0)
    res = ah.advhat(model, face, anchor=anchor, cfg=cfg, generator=g, threshold=0.1)
    run = ah.optimise_sticker(model, face, anchor, cfg, torch.Generator().manual_seed(0))
    assert torch.equal(res.info["sticker"][0], run.sticker)  # the same run, deterministic given the generator
    assert run.losses[-1] < run.losses[0] - 0.01
    assert [s["stage"] for s in run.stages] == [1, 2] and run.stages[-1]["end"] == len(run.losses)
    assert float(run.sticker.min()) >= 0 and float(run.sticker.max()) <= 1
    with torch.no_grad():  # success agrees with re-embedding x_adv
        d = (model(res.info["x_last"]) - anchor).norm(dim=1)
    assert torch.equal(res.success, d >= 0.1) and torch.equal(res.info["distance"], d)
    folder = ah.save_run(run, cfg, "test", root=tmp_path)
    back = ah.load_run(folder)
    assert back.losses == run.losses and torch.allclose(back.sticker, run.sticker, atol=0.5 / 255 + 1e-6)
    assert json.loads((folder / "settings.json").read_text())["steps"] == len(run.losses)
    assert float(cosine(torch.ones(2, 3), torch.ones(3)).min()) == pytest.approx(1.0)


def test_claim_rules_on_synthetic_tables() -> None:
    import pandas as pd
    from facerobust.experiments import claims as C
    from facerobust.experiments.advhat import claims_table

    s = pd.DataFrame({"drop": [0.25, 0.3], "rejected (d >= 0.6)": [1.0, 1.0]}, index=["a", "b"])
    assert claims_table.a1(s).verdict == C.HOLDS and "0.200" in claims_table.a1(s).rule
    assert claims_table.a1(s.assign(drop=[0.1, 0.15])).verdict == C.FAILS
    # A3 on one face is not a finding; over faces it is a paired comparison with a 0.01 margin
    assert claims_table.a3([0.08], [0.05]).verdict == C.INCONCLUSIVE
    assert claims_table.a3([0.08, 0.09, 0.10, 0.07], [0.02, 0.03, 0.01, 0.02]).verdict == C.HOLDS
    assert claims_table.a3([0.05, 0.06, 0.05, 0.04], [0.05, 0.06, 0.05, 0.04]).verdict == C.FAILS
    # A4 judges faceres's own drop only (its cosine scale is not dlib's)
    assert claims_table.a4([0.03, 0.04, 0.05, 0.03]).verdict == C.HOLDS
    assert claims_table.a4([0.001, -0.002, 0.003, 0.0]).verdict == C.FAILS
    assert claims_table.a4([0.3]).verdict == C.INCONCLUSIVE
    st = pd.DataFrame({"w_tv": [0, 1e-5, 1e-4], "TV(S)": [5000, 2000, 1000],
                       "high-frequency share": [0.3, 0.1, 0.05], "drop": [0.1, 0.09, 0.07]})
    assert claims_table.a5(st).verdict == C.HOLDS
    assert claims_table.a5(st.assign(**{"TV(S)": [1000, 1000, 1000]})).verdict == C.FAILS  # flat is no fall
    assert claims_table.a5(st.assign(**{"high-frequency share": [0.05, 0.1, 0.3]})).verdict == C.FAILS
    assert claims_table.a5(st.iloc[:2]).verdict == C.INCONCLUSIVE
    rows = []
    for name, centre, hw in (("phi", 17.0, 2.0), ("a", 0.0013, 0.0002)):
        for k, dropv in ((0, 0.2), (3, 0.15), (-3, 0.12)):
            v = centre + k * hw
            rows += [{"parameter": name, "value": v, "sticker": "grey", "cosine": 0.97},
                     {"parameter": name, "value": v, "sticker": "adversarial", "cosine": 0.97 - dropv}]
    table = claims_table.a2_table(pd.DataFrame(rows))
    assert claims_table.a2(table).verdict == C.HOLDS and table.loc["phi", "ratio"] == pytest.approx(0.675)
    t = C.table(claims_table.rows({"A1": claims_table.a1(s), "A3": claims_table.a3([0.08], [0.05])}))
    assert list(t.columns) == C.COLUMNS and t.verdict.tolist() == [C.HOLDS, C.INCONCLUSIVE]


def test_setup_config_from_params_gives_the_profile_attack() -> None:
    from facerobust import params
    from facerobust.experiments.advhat import setup

    P = params.load("08_advhat", "ci")
    cfg = setup.Config.from_params(P)
    assert cfg.faces == tuple(P.faces) and cfg.device == P.device and cfg.seed == P.seed
    a = setup.attack_config(cfg)
    assert a.sticker_hw == (P.sticker_h, P.sticker_w) and a.eot_batch == P.eot_batch and a.window == P.window
    assert [(s.min_steps, s.max_steps) for s in a.stages] == list(zip(P.min_steps, P.max_steps, strict=True))
    full = setup.Config.from_params(params.load("08_advhat", "full"))
    assert full.faces == "all" and [s.max_steps for s in setup.attack_config(full).stages] == [None, None]
