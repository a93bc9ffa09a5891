"""Chapter 8 (AdvHat): the faces, models and cached sticker runs the experiments share.

Faces are dlib chips with padding 0.6 (220 px: forehead and cap included), the working frame in
which the sticker is placed; the target, dlib's ResNet descriptor, reads 150-px chips with
padding 0.25 cut from them by :func:`facerobust.attacks.advhat.crop`. Every sticker run is
cached under ``cache_dir()/advhat/<key>`` (key: settings, face, the code of the attack, the face
chip, its anchor and the target's weights: :func:`facerobust.cache.key`),
and always read back from its 8-bit PNG, so a cold and a warm run give the same numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ... import device as devices
from ...attacks import advhat
from ...data.faces import FaceSet, real_faces
from ...models.base import embed
from ...models.face_descriptor import face_descriptor
from ...paths import cache_dir

SRC = advhat.Frame(220, 0.6)
DST = advhat.Frame(150, 0.25)


@dataclass(frozen=True)
class Config:
    """What the set-up reads: the attacked faces (ids, or ``"all"``), the sticker and its
    optimiser's budget (step caps are the CPU budget; None = no cap), the held-out views, the seed
    and the device the model and the sticker optimisation run on."""

    faces: tuple[str, ...] | str
    sticker_h: int
    sticker_w: int
    eot_batch: int
    w_tv: float
    window: int
    min_steps: tuple[int, int]
    max_steps: tuple[int | None, int | None]
    n_heldout: int
    seed: int
    device: str | None = "cpu"

    @classmethod
    def from_params(cls, params: Any) -> Config:
        """The set-up of a chapter profile (``params.load("08_advhat", ...)``)."""
        p = params
        caps = [None if c is None else int(c) for c in p.max_steps]
        return cls(faces=p.faces if p.faces == "all" else tuple(p.faces), sticker_h=int(p.sticker_h),
                   sticker_w=int(p.sticker_w), eot_batch=int(p.eot_batch), w_tv=float(p.w_tv),
                   window=int(p.window), min_steps=(int(p.min_steps[0]), int(p.min_steps[1])),
                   max_steps=(caps[0], caps[1]), n_heldout=int(p.n_heldout), seed=int(p.seed),
                   device=p.device)


@dataclass
class Context:
    """Everything the experiments need: the target model (on ``device``), the working chips and
    the anchors (on the CPU)."""

    model: nn.Module
    faces: FaceSet  # working chips (SRC): the attacked faces and all identity-labelled photos
    attacked: list[str]  # the faces that get a sticker
    anchors: Tensor  # (N, 128) descriptors of the plain chips (identity crop)
    config: advhat.AdvHatConfig
    seed: int
    heldout: advhat.Placement  # shared held-out random views (a separate generator)
    device: torch.device = torch.device("cpu")  # noqa: RUF009 - an immutable default

    def embed(self, x: Tensor) -> Tensor:
        """The model's descriptors (N, 128) of CPU images ``x``, computed on the device, on the CPU."""
        return embed(_on(self.model, self.device), x)

    def index(self, face_id: str) -> int:
        try:
            return self.faces.face_ids.index(face_id)
        except ValueError:
            raise ValueError(f"unknown face {face_id!r}; known: {', '.join(self.faces.face_ids)}") from None

    def face(self, face_id: str) -> Tensor:
        i = self.index(face_id)
        return self.faces.x[i:i + 1]

    def anchor(self, face_id: str) -> Tensor:
        return self.anchors[self.index(face_id)]


def _on(model: nn.Module, dev: torch.device) -> Callable[[Tensor], Tensor]:
    """``model`` as a function of CPU batches: each batch computed on ``dev``, the output on the CPU."""
    return lambda b: model(b.to(dev)).cpu()


def attack_config(cfg: Config) -> advhat.AdvHatConfig:
    """The attack settings of the set-up (the two official stages, with ``cfg``'s steps and caps)."""
    steps = (5 / 255, 1 / 255)
    momenta = (0.9, 0.995)
    stages = tuple(advhat.Stage(steps[k], momenta[k], cfg.min_steps[k], cfg.max_steps[k]) for k in range(2))
    return advhat.AdvHatConfig(sticker_hw=(cfg.sticker_h, cfg.sticker_w), eot_batch=cfg.eot_batch,
                               w_tv=cfg.w_tv, window=cfg.window, stages=stages, src=SRC, dst=DST)


def load(cfg: Config, face_ids: Sequence[str] | None = None) -> Context:
    """Model (on ``cfg.device``), chips of the chapter's faces (``cfg.faces``, or ``"all"``) and of
    every photo with an identity label (for the identity checks), anchors and held-out views."""
    dev = devices.resolve(cfg.device)
    model = face_descriptor().to(dev)
    faces = real_faces(SRC.size, SRC.padding)
    wanted = face_ids or cfg.faces
    attacked = list(faces.face_ids) if wanted == "all" else list(wanted)
    missing = sorted(set(attacked) - set(faces.face_ids))
    if missing:
        raise ValueError(f"unknown face ids {missing}")
    lab = faces.labels
    keep = lab.face_id.isin(attacked) | (lab.identity != "")  # + every photo with an identity label
    faces = faces.select(keep.to_numpy())
    plain = advhat.crop(faces.x, advhat.Placement.default(len(faces)), SRC, DST)
    g = torch.Generator().manual_seed(cfg.seed + 1000)
    heldout = advhat.sample(advhat.EOT.official(), cfg.n_heldout, g)
    # One face per forward pass: a face's anchor must not depend on which other faces are loaded
    # (batched convolutions round differently), or the sign steps and the cached stickers would.
    anchors = torch.cat([embed(_on(model, dev), plain[i:i + 1]) for i in range(len(plain))])
    return Context(model, faces, attacked, anchors, attack_config(cfg), cfg.seed, heldout, dev)


def _quantise(s: Tensor) -> Tensor:
    return (s.clamp(0, 1) * 255).round() / 255


def sticker_run(ctx: Context, face_id: str, tag: str = "main", **changes: Any) -> advhat.AdvHatRun:
    """The adversarial sticker for one face (``changes`` alter the config, e.g. ``flat=True``),
    optimised once on the context's device and then read from the cache (sticker PNG, loss curve,
    settings JSON) onto the CPU."""
    cfg = replace(ctx.config, **changes)
    face, anchor = ctx.face(face_id).to(ctx.device), ctx.anchor(face_id).to(ctx.device)
    optimise = partial(advhat.optimise_sticker, ctx.model, face, anchor, cfg)
    conf = {"face": face_id, "seed": ctx.seed, **cfg.as_dict()}
    k = cache.key(f"{face_id}-{tag}", conf, optimise, _quantise)  # + the model's weights, face and anchor
    folder = cache_dir() / "advhat" / k
    if not (folder / "settings.json").exists():
        g = torch.Generator().manual_seed(ctx.seed * 7919 + zlib.crc32(f"{face_id}/{tag}".encode()))
        run = optimise(g, desc=f"AdvHat {face_id} ({tag})")
        run.sticker = _quantise(run.sticker.cpu())
        advhat.save_run(run, cfg, k, extra={"face": face_id, "tag": tag})
    return advhat.load_run(folder)


def baseline_stickers(ctx: Context) -> dict[str, Tensor]:
    """The grey sticker (the official initialisation) and a uniform-noise sticker."""
    h, w = ctx.config.sticker_hw
    g, dev = torch.Generator().manual_seed(ctx.seed + 17), ctx.faces.x.device
    noise = torch.rand(3, h, w, generator=g, device=g.device).to(dev)
    return {"grey": torch.full((3, h, w), 127 / 255, device=dev), "noise": _quantise(noise)}
