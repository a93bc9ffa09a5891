"""AdvHat's objective and two-stage momentum-sign optimiser (chapter 8, AdvHat).

Loss (official ``Attack/attack.py``): the mean, over a batch of random placements, of the cosine
between the descriptor of the stickered face and the anchor descriptor (the same face without
the hat), plus ``w_tv`` times the smoothed isotropic total variation of the sticker. The sticker
is updated by the sign of a momentum average of the gradient: stage 1 with step 5/255 and
momentum 0.9, stage 2 with step 1/255 and momentum 0.995 (momentum carried over). A stage ends
once it has run ``min_steps`` steps and the slope of a least-squares line through the last
``window`` validation losses (the cosine at the fixed view) is no longer negative, or when the
optional budget cap ``max_steps`` is reached. :func:`save_run` stores the sticker (PNG), the loss
curve and the settings (JSON) atomically under ``facerobust.paths.cache_dir()``.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

from ...cache import atomic_write_bytes
from ...paths import cache_dir
from ...progress import progress
from ...validation import check_batch, check_scalar
from ..base import X_LAST, AttackResult, untouched
from . import eot as eot_mod
from .projection import Frame, render


def tv(sticker: Tensor, eps: float = 1e-5) -> Tensor:
    """Smoothed isotropic total variation (official ``TVloss``; zero-padded first row/column)."""
    if sticker.ndim != 3:
        raise ValueError(f"sticker must be (C, h, w), got {tuple(sticker.shape)}")
    dv = sticker - functional.pad(sticker, (0, 0, 1, 0))[:, :-1]
    dh = sticker - functional.pad(sticker, (1, 0))[..., :-1]
    return torch.sqrt(dv * dv + dh * dh + eps).sum()


def cosine(emb: Tensor, anchor: Tensor) -> Tensor:
    """Cosine similarity of each row of ``emb`` (B, D) with ``anchor`` (D,)."""
    return functional.cosine_similarity(emb, anchor[None].expand_as(emb), dim=1)


def slope(values: list[float]) -> float:
    """Least-squares slope of ``values`` against 0, 1, 2, ... (the stage-switching test)."""
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    return float(np.polyfit(x, y, 1)[0]) if len(y) > 1 else 0.0


@dataclass(frozen=True)
class Stage:
    step: float
    momentum: float
    min_steps: int
    max_steps: int | None = None


@dataclass(frozen=True)
class AdvHatConfig:
    """Settings of one sticker optimisation; the defaults are the official ones except the sticker
    size (48x108 instead of 400x900) and ``w_tv``.

    ``w_tv`` weighs TV(S) (a sum over pixels) against the mean cosine. Its per-pixel gradient is
    O(1) while dlib's cosine gradient is about 2e-5 per pixel of a 48x108 sticker, so the official
    1e-4 (for ArcFace and a 400x900 sticker) would let TV dominate every sign step; 1e-5 keeps the
    two comparable (chapter 8 sweeps it, claim A5).
    """

    sticker_hw: tuple[int, int] = (48, 108)
    eot_batch: int = 20
    w_tv: float = 1e-5
    window: int = 100
    stages: tuple[Stage, ...] = (Stage(5 / 255, 0.9, 100), Stage(1 / 255, 0.995, 200))
    flat: bool = False
    init: float = 127 / 255
    src: Frame = Frame(220, 0.6)
    dst: Frame = Frame(150, 0.25)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AdvHatRun:
    sticker: Tensor
    losses: list[float] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _stage_done(losses: list[float], n: int, stage: Stage, window: int) -> str | None:
    if stage.max_steps is not None and n >= stage.max_steps:
        return "cap"
    if n > stage.min_steps and len(losses) >= window and slope(losses[-window:]) >= 0:
        return "slope"
    return None


def optimise_sticker(model: nn.Module, face: Tensor, anchor: Tensor, cfg: AdvHatConfig,
                     generator: torch.Generator, desc: str = "AdvHat") -> AdvHatRun:
    """Run the two-stage optimiser on one face chip ``(1, 3, N, N)`` in ``cfg.src``."""
    h, w = cfg.sticker_hw
    sticker = torch.full((3, h, w), cfg.init, device=face.device)
    dist = eot_mod.EOT.official(flat=cfg.flat)
    view = eot_mod.fixed(dist, 1)
    m = torch.zeros_like(sticker)
    run, t0, w_tv = AdvHatRun(sticker), time.perf_counter(), cfg.w_tv
    caps = [s.max_steps for s in cfg.stages]
    total = sum(c for c in caps if c is not None) if None not in caps else None
    bar = progress(itertools.count() if total is None else range(total), desc=desc, total=total)
    si, n, start = 0, 0, 0
    for step in bar:
        stage = cfg.stages[si]
        s = sticker.clone().requires_grad_(True)
        p = eot_mod.sample(dist, cfg.eot_batch, generator).cat(view)
        cos = cosine(model(render(face, s, p, cfg.src, cfg.dst)), anchor)
        loss = cos[:-1].mean() + w_tv * tv(s)
        (g,) = torch.autograd.grad(loss, s)
        run.losses.append(float(cos[-1].detach()))
        m = stage.momentum * m + (1 - stage.momentum) * g
        sticker = (sticker - stage.step * m.sign()).clamp(0, 1)
        n += 1
        bar.set_postfix(loss=f"{run.losses[-1]:.3f}", stage=si + 1, refresh=False)
        reason = _stage_done(run.losses, n, stage, cfg.window)
        if reason:
            run.stages.append({"stage": si + 1, "start": start, "end": step + 1, "reason": reason})
            si, n, start = si + 1, 0, step + 1
            if si == len(cfg.stages):
                break
    bar.close()
    run.sticker, run.seconds = sticker.detach(), time.perf_counter() - t0
    return run


@untouched
def advhat(model: nn.Module, x: Tensor, y: Tensor | None = None, *, targeted: bool = False, anchor: Tensor,
           cfg: AdvHatConfig, generator: torch.Generator, threshold: float = 0.6,
           desc: str = "AdvHat") -> AttackResult:
    """AdvHat dodging attack on one face chip (chapter 8): optimise a sticker ``S`` by the two-stage
    momentum-sign method (chapter 8, ``eq-loss`` and ``eq-update``) on
    ``E_T[cos(e(render(x, S, T)), anchor)] + w_tv TV(S)`` over random placements ``T``, then judge
    it at the fixed view.

    Args:
        model: face descriptor (1, 3, n, n) -> (1, D) embeddings.
        x: one face chip (1, 3, N, N) float32 in [0, 1] in ``cfg.src``. ``y`` must be None and
        ``targeted`` False (dodging only; the identity is given by ``anchor``).
        anchor: (D,) finite descriptor of the person. ``cfg``: optimiser settings;
        ``generator``: the EOT draws; ``threshold``: finite distance >= 0 that counts as dodged.
    Returns:
        :class:`AttackResult`: ``x_adv`` (1, 3, n, n) the stickered view at the fixed placement
        where dodged, else the same view without sticker; ``success`` (1,) = descriptor distance
        to ``anchor`` >= ``threshold``; ``info``: ``sticker`` (1, 3, h, w), ``distance`` (1,),
        ``losses`` (1, steps) and ``x_last`` (1, 3, n, n) the stickered view.

    Example::

        res = advhat(model, face, anchor=emb, cfg=AdvHatConfig(), generator=torch.Generator().manual_seed(0))
        print(bool(res.success), float(res.info["distance"]))
    """
    check_batch(x, 3, name="x")
    if len(x) != 1:
        raise ValueError(f"x must be one chip (1, 3, N, N), got {tuple(x.shape)}")
    if y is not None or targeted:
        raise ValueError("advhat is a dodging attack: pass the identity as anchor=, not y / targeted")
    if not isinstance(anchor, Tensor) or anchor.ndim != 1 or not bool(torch.isfinite(anchor).all()):
        raise ValueError("anchor must be a finite (D,) descriptor")
    threshold = check_scalar(threshold, "threshold", lo=0.0)
    run = optimise_sticker(model, x, anchor, cfg, generator, desc)
    with torch.no_grad():
        view = eot_mod.fixed(eot_mod.EOT.official(flat=cfg.flat))
        x_last = render(x, run.sticker, view, cfg.src, cfg.dst)
        clean = render(x, run.sticker, view, cfg.src, cfg.dst, with_sticker=False)
        emb = model(x_last)
        if not bool(torch.isfinite(emb).all()):
            raise ValueError("model: output contains NaN or infinite values")
        d = (emb - anchor[None]).norm(dim=1)
    success = d >= threshold
    x_adv = torch.where(success[:, None, None, None], x_last, clean)
    losses = torch.tensor([run.losses], device=d.device)
    info = {"sticker": run.sticker[None], "distance": d, "losses": losses, X_LAST: x_last}
    return AttackResult(x_adv, success, info)


def _png(sticker: Tensor) -> bytes:
    from PIL import Image

    arr = (sticker.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def save_run(run: AdvHatRun, cfg: AdvHatConfig, name: str, extra: dict[str, Any] | None = None,
             root: Path | None = None) -> Path:
    """Write ``sticker.png``, ``losses.json`` and ``settings.json`` atomically; return the folder."""
    folder = (root or cache_dir()) / "advhat" / name
    atomic_write_bytes(folder / "sticker.png", _png(run.sticker))
    curve = {"losses": run.losses, "stages": run.stages}
    atomic_write_bytes(folder / "losses.json", json.dumps(curve).encode())
    settings = {"config": cfg.as_dict(), "seconds": run.seconds, "steps": len(run.losses), **(extra or {})}
    atomic_write_bytes(folder / "settings.json", json.dumps(settings, indent=1, default=str).encode())
    return folder


def load_run(folder: Path) -> AdvHatRun:
    """Read back a run written by :func:`save_run` (the PNG is 8-bit, so values are rounded)."""
    from PIL import Image

    arr = np.asarray(Image.open(folder / "sticker.png").convert("RGB"), dtype=np.float32) / 255
    meta = json.loads((folder / "losses.json").read_text())
    settings = json.loads((folder / "settings.json").read_text())
    return AdvHatRun(torch.from_numpy(arr).permute(2, 0, 1).contiguous(), meta["losses"], meta["stages"],
                     float(settings["seconds"]))
