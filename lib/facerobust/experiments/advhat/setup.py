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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import advhat
from ...data.faces import FaceSet, real_faces
from ...models.base import embed
from ...models.face_descriptor import face_descriptor
from ...paths import cache_dir

SRC = advhat.Frame(220, 0.6)
DST = advhat.Frame(150, 0.25)


@dataclass
class Context:
    """Everything the experiments need: the target model, the working chips, the anchors."""

    model: nn.Module
    faces: FaceSet  # working chips (SRC): the attacked faces and all identity-labelled photos
    attacked: list[str]  # the faces that get a sticker
    anchors: Tensor  # (N, 128) descriptors of the plain chips (identity crop)
    config: advhat.AdvHatConfig
    seed: int
    heldout: advhat.Placement  # shared held-out random views (a separate generator)

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


def config_from(P: Mapping[str, Any]) -> advhat.AdvHatConfig:
    """The attack settings of a chapter profile (step caps are the CPU budget)."""
    steps = (5 / 255, 1 / 255)
    momenta = (0.9, 0.995)
    caps = list(P["max_steps"])
    stages = tuple(advhat.Stage(steps[k], momenta[k], int(P["min_steps"][k]),
                                None if caps[k] is None else int(caps[k])) for k in range(2))
    hw = (int(P["sticker_h"]), int(P["sticker_w"]))
    return advhat.AdvHatConfig(sticker_hw=hw, eot_batch=int(P["eot_batch"]), w_tv=float(P["w_tv"]),
                               window=int(P["window"]), stages=stages, src=SRC, dst=DST)


def load(P: Mapping[str, Any], face_ids: list[str] | None = None) -> Context:
    """Model, chips of the chapter's faces (``P['faces']``, or ``"all"``) and of every photo with an
    identity label (for the identity checks), anchors and held-out views."""
    model = face_descriptor()
    faces = real_faces(SRC.size, SRC.padding)
    wanted = face_ids or P["faces"]
    attacked = list(faces.face_ids) if wanted == "all" else list(wanted)
    missing = sorted(set(attacked) - set(faces.face_ids))
    if missing:
        raise ValueError(f"unknown face ids {missing}")
    lab = faces.labels
    keep = lab.face_id.isin(attacked) | (lab.identity != "")  # + every photo with an identity label
    faces = faces.select(keep.to_numpy())
    plain = advhat.crop(faces.x, advhat.Placement.default(len(faces)), SRC, DST)
    g = torch.Generator().manual_seed(int(P["seed"]) + 1000)
    heldout = advhat.sample(advhat.EOT.official(), int(P["n_heldout"]), g)
    # One face per forward pass: a face's anchor must not depend on which other faces are loaded
    # (batched convolutions round differently), or the sign steps and the cached stickers would.
    anchors = torch.cat([embed(model, plain[i:i + 1]) for i in range(len(plain))])
    return Context(model, faces, attacked, anchors, config_from(P), int(P["seed"]), heldout)


def _quantise(s: Tensor) -> Tensor:
    return (s.clamp(0, 1) * 255).round() / 255


def sticker_run(ctx: Context, face_id: str, tag: str = "main", **changes: Any) -> advhat.AdvHatRun:
    """The adversarial sticker for one face (``changes`` alter the config, e.g. ``flat=True``),
    optimised once and then read from the cache (sticker PNG, loss curve, settings JSON)."""
    cfg = replace(ctx.config, **changes)
    optimise = partial(advhat.optimise_sticker, ctx.model, ctx.face(face_id), ctx.anchor(face_id), cfg)
    conf = {"face": face_id, "seed": ctx.seed, **cfg.as_dict()}
    k = cache.key(f"{face_id}-{tag}", conf, optimise, _quantise)  # + the model's weights, face and anchor
    folder = cache_dir() / "advhat" / k
    if not (folder / "settings.json").exists():
        g = torch.Generator().manual_seed(ctx.seed * 7919 + zlib.crc32(f"{face_id}/{tag}".encode()))
        run = optimise(g, desc=f"AdvHat {face_id} ({tag})")
        run.sticker = _quantise(run.sticker)
        advhat.save_run(run, cfg, k, extra={"face": face_id, "tag": tag})
    return advhat.load_run(folder)


def baseline_stickers(ctx: Context) -> dict[str, Tensor]:
    """The grey sticker (the official initialisation) and a uniform-noise sticker."""
    h, w = ctx.config.sticker_hw
    g, dev = torch.Generator().manual_seed(ctx.seed + 17), ctx.faces.x.device
    noise = torch.rand(3, h, w, generator=g, device=g.device).to(dev)
    return {"grey": torch.full((3, h, w), 127 / 255, device=dev), "noise": _quantise(noise)}
