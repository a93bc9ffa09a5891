"""Chapter 8 (AdvHat): measurements on held-out views, sweeps outside the EOT ranges, transfer.

All functions render whole batches of stickered chips and embed them at once; similarities are
the cosine to the anchor (the paper's measure) and dlib's own Euclidean distance (match < 0.6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional

from ...attacks import advhat
from ...attacks.advhat.optimise import tv
from ...models.face_descriptor import MATCH_THRESHOLD
from .setup import DST, SRC, Context

FACERES_FRAME = advhat.Frame(224, 0.25)  # faceres reads 224-px chips; we cut dlib chips at padding 0.25
# Sweeps outside the EOT ranges (the EOT range is centre +- half-width of table 2.7).
SWEEPS: Mapping[str, tuple[float, float]] = {"phi": (0.0, 34.0), "a": (0.0, 0.0026), "s1": (0.405, 0.525),
                                             "y1": (-35.0, 5.0)}


def _bbox(mask: Tensor) -> tuple[int, int, int, int, float]:
    ys, xs = torch.nonzero(mask > 0.5, as_tuple=True)
    return int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max()), float((mask > 0.5).float().mean())


def geometry(sticker_hw: tuple[int, int] = (48, 108)) -> pd.DataFrame:
    """Where the sticker lands at the default placement, in each frame (rows, columns, coverage,
    gap between its lower edge and the eye line). ``attrs`` holds the numbers the chapter quotes."""
    p = advhat.Placement.default(1)
    rows = []
    frames = [("ArcFace face 600 px (400x900 sticker)", None, (400, 900)),
              (f"ArcFace face 600 px ({sticker_hw[0]}x{sticker_hw[1]} sticker)", None, sticker_hw),
              (f"working dlib chip {SRC.size} px, padding {SRC.padding}", SRC, sticker_hw),
              (f"descriptor dlib chip {DST.size} px, padding {DST.padding}", DST, sticker_hw)]
    for name, frame, hw in frames:
        layer = advhat.sticker_layer(torch.ones(3, *hw, device=p.a.device), p, frame)
        top, bottom, left, right, cover = _bbox(layer[0, -1])
        eye = 51.6 * 600 / 112 if frame is None else frame.eye_line
        rows.append({"frame": name, "rows": f"{top}-{bottom}", "columns": f"{left}-{right}",
                     "coverage": round(cover, 4), "eye line (row)": round(eye, 1),
                     "gap to eyes (px)": round(eye - bottom, 1)})
    t = pd.DataFrame(rows).set_index("frame")
    k = advhat.projection.template_to_arcface()[0] * (DST.size - 1) / (1 + 2 * DST.padding)
    t.attrs = {"cover600": t.coverage.iloc[0], "top600": int(t.rows.iloc[0].split("-")[0]),
               "bottom600": int(t.rows.iloc[0].split("-")[1]), "cover150": t.coverage.iloc[3],
               "gap150": t["gap to eyes (px)"].iloc[3], "gap112": t["gap to eyes (px)"].iloc[0] * 112 / 600,
               "scale": k}
    return t


def take(p: advhat.Placement, n: int) -> advhat.Placement:
    """The first ``n`` placements of ``p``."""
    return advhat.Placement(**{k: getattr(p, k)[:n] for k in p.__dataclass_fields__})


def views(ctx: Context, face_id: str, sticker: Tensor | None, p: advhat.Placement,
          dst: advhat.Frame = DST) -> Tensor:
    """The face with ``sticker`` (or without one) under the placements ``p``, as ``dst`` chips."""
    with torch.no_grad():
        face = ctx.face(face_id)
        if sticker is None:
            return advhat.render(face, face.new_zeros(3, 2, 2), p, SRC, dst, with_sticker=False)
        return advhat.render(face, sticker, p, SRC, dst)


def similarity(ctx: Context, face_id: str, stickers: Mapping[str, Tensor],
               p: advhat.Placement) -> pd.DataFrame:
    """Long table: one row per (sticker, view) with cosine and distance to the face's anchor."""
    names = list(stickers)
    x = torch.cat([views(ctx, face_id, stickers[n], p) for n in names])
    e = ctx.embed(x)
    a = ctx.anchor(face_id)
    cos = functional.cosine_similarity(e, a[None].expand_as(e), dim=1).numpy()
    dist = (e - a).norm(dim=1).numpy()
    return pd.DataFrame({"face": face_id, "sticker": np.repeat(names, len(p)),
                         "view": np.tile(np.arange(len(p)), len(names)), "cosine": cos, "distance": dist})


def heldout_table(ctx: Context, adv: Mapping[str, Tensor], baselines: Mapping[str, Tensor]) -> pd.DataFrame:
    """Experiment 1: every face, grey / noise / adversarial sticker, over the held-out views."""
    frames = [similarity(ctx, f, {**baselines, "adversarial": adv[f]}, ctx.heldout) for f in adv]
    return pd.concat(frames, ignore_index=True)


def summary(long: pd.DataFrame) -> pd.DataFrame:
    """Per face: mean held-out cosine for each sticker, the drop below grey, and dlib's verdict."""
    wide = long.pivot_table(index="face", columns="sticker", values="cosine", aggfunc="mean")
    out = wide[["grey", "noise", "adversarial"]].copy()
    out["drop"] = out["grey"] - out["adversarial"]
    rej = long[long.sticker == "adversarial"].groupby("face")["distance"]
    out["adv distance"] = rej.mean()
    out["rejected (d >= 0.6)"] = rej.apply(lambda d: float((d >= MATCH_THRESHOLD).mean()))
    return out.loc[list(dict.fromkeys(long.face))]


def obama_distances(ctx: Context, adv: Mapping[str, Tensor], baselines: Mapping[str, Tensor],
                    identity: str = "obama") -> pd.DataFrame:
    """Distances of each attacked photo of ``identity`` (held-out views) to the *other* photos' anchors."""
    lab = ctx.faces.labels.set_index("face_id")
    ids = [f for f in adv if lab.identity.get(f, "") == identity]
    rows = []
    for f in ids:
        others = [o for o in ctx.faces.face_ids if o != f and lab.identity[o] == identity]
        if not others:
            continue
        anchors = torch.stack([ctx.anchor(o) for o in others])
        for name, s in {"none": None, **baselines, "adversarial": adv[f]}.items():
            e = ctx.embed(views(ctx, f, s, ctx.heldout))
            d = torch.cdist(e, anchors).flatten()
            rows.append({"photo": f, "sticker": name, "mean distance": float(d.mean()),
                         "min distance": float(d.min()),
                         "share >= 0.6": float((d >= MATCH_THRESHOLD).float().mean())})
    return pd.DataFrame(rows)


def gradient_scale(ctx: Context, face_id: str, n: int = 4) -> dict[str, float]:
    """Median per-pixel |d cos / dS| and mean |d TV / dS| at a grey sticker with a little noise:
    the two gradients whose balance ``w_tv`` sets under sign updates."""
    h, w = ctx.config.sticker_hw
    g = torch.Generator().manual_seed(ctx.seed + 5)
    noise = torch.randn(3, h, w, generator=g, device=g.device).to(ctx.faces.x.device)
    s = (127 / 255 + 0.1 * noise).clamp(0, 1).requires_grad_(True)
    p = advhat.sample(advhat.EOT.official(), n, g)
    e = ctx.model(advhat.render(ctx.face(face_id), s, p, SRC, DST).to(ctx.device)).cpu()
    a = ctx.anchor(face_id)
    (gc,) = torch.autograd.grad(functional.cosine_similarity(e, a[None].expand_as(e), dim=1).mean(), s)
    (gt,) = torch.autograd.grad(tv(s), s)
    return {"cos": float(gc.abs().median()), "tv": float(gt.abs().mean())}


def identity_cosines(ctx: Context) -> dict[str, float]:
    """Mean anchor cosine between photos of the same person and of different people (labelled photos)."""
    lab = ctx.faces.labels
    ids = lab.identity.to_numpy()
    a = functional.normalize(ctx.anchors, dim=1)
    c = (a @ a.T).numpy()
    same = (ids[:, None] == ids[None]) & (ids[:, None] != "") & ~np.eye(len(ids), dtype=bool)
    diff = (ids[:, None] != ids[None]) & (ids[:, None] != "") & (ids[None] != "")
    return {"same": float(c[same].mean()), "different": float(c[diff].mean())}


def robustness(ctx: Context, adv: Mapping[str, Tensor], grey: Tensor, points: int) -> pd.DataFrame:
    """Experiment 2: cosine to the anchor as one placement parameter leaves its EOT range."""
    rows = []
    for name, (lo, hi) in SWEEPS.items():
        values = np.linspace(lo, hi, points).tolist()
        p = advhat.sweep(name, values)
        for f, s in adv.items():
            t = similarity(ctx, f, {"grey": grey, "adversarial": s}, p)
            t["parameter"], t["value"] = name, np.tile(values, 2)
            rows.append(t)
    return pd.concat(rows, ignore_index=True)


def high_frequency(sticker: Tensor) -> float:
    """Share of the sticker's (mean-removed) spectral energy above half the Nyquist frequency."""
    x = sticker - sticker.mean(dim=(1, 2), keepdim=True)
    spec = torch.fft.fft2(x).abs() ** 2
    fy = torch.fft.fftfreq(x.shape[1]).abs()[:, None]
    fx = torch.fft.fftfreq(x.shape[2]).abs()[None]
    high = (torch.maximum(fy / 0.5, fx / 0.5) > 0.5)
    return float(spec[:, high].sum() / spec.sum().clamp(min=1e-12))


def sticker_stats(ctx: Context, face_id: str, stickers: Mapping[str, Tensor], grey: Tensor,
                  p: advhat.Placement) -> pd.DataFrame:
    """TV, high-frequency share and mean held-out drop (vs grey) of several stickers for one face."""
    t = similarity(ctx, face_id, {"grey": grey, **stickers}, p)
    m = t.groupby("sticker")["cosine"].mean()
    return pd.DataFrame([{"sticker": n, "TV(S)": float(tv(s)), "high-frequency share": high_frequency(s),
                          "mean cosine": float(m[n]), "drop": float(m["grey"] - m[n])}
                         for n, s in stickers.items()])


def transfer(ctx: Context, target: nn.Module, adv: Mapping[str, Tensor], grey: Tensor, n_views: int,
             frame: advhat.Frame = FACERES_FRAME) -> pd.DataFrame:
    """Experiment 4: cosine of faceres's 1024-d descriptor to its own anchor, grey vs adversarial
    (``target`` runs on the context's device)."""
    target = target.to(ctx.device)
    p = take(ctx.heldout, n_views)
    rows = []
    with torch.no_grad():
        for f, s in adv.items():
            plain = views(ctx, f, None, advhat.Placement.default(1), frame)
            x = torch.cat([plain, views(ctx, f, grey, p, frame), views(ctx, f, s, p, frame)])
            d = target(x.to(ctx.device)).descriptor.cpu()
            cos = functional.cosine_similarity(d[1:], d[:1].expand(len(d) - 1, -1), dim=1).numpy()
            rows.append({"face": f, "grey": float(cos[:n_views].mean()),
                         "adversarial": float(cos[n_views:].mean())})
    out = pd.DataFrame(rows).set_index("face")
    out["drop"] = out["grey"] - out["adversarial"]
    return out


def mean_drop(long: pd.DataFrame, faces: Sequence[str] | None = None) -> float:
    s = summary(long)
    return float(s.loc[list(faces) if faces else s.index, "drop"].mean())
