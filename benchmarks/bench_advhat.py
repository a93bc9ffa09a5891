"""Speed of the AdvHat attack on dlib's descriptor (issue 6, chapter 8).

    .venv/bin/python benchmarks/bench_advhat.py [--batch 20] [--threads 2] [--steps 5]

Times whole optimiser steps (render a batch of random placements, embed, cosine + TV loss,
gradient with respect to the sticker, momentum-sign update) on a real face, with EOT batch
``--batch`` (+1 validation view, as in the optimiser), two ways:

- ``off-plane``: the full model (bending + pitch by gather/cumsum, placement, crop);
- ``flat``: the sticker pasted flat (no bending, no pitch: a padded canvas), same placement and crop.

Also times the render alone (forward + backward, no network). Reports steps/s, the share of the
step spent rendering, and the implied time per sticker for the official minimum schedule
(100 + 200 steps) and for the chapter's ``default`` budget. Writes ``benchmarks/results/advhat.json``.
The 1-minute load average is recorded: on a shared machine the numbers are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml
from facerobust.attacks import advhat as ah
from facerobust.attacks.advhat import projection as pj
from facerobust.attacks.advhat.optimise import cosine, tv
from facerobust.data.faces import real_faces
from facerobust.models.face_descriptor import face_descriptor
from facerobust.paths import repo_root

OUT = Path(__file__).parent / "results" / "advhat.json"
SRC, DST = ah.Frame(220, 0.6), ah.Frame(150, 0.25)


def flat_layer(sticker: torch.Tensor, p: ah.Placement) -> torch.Tensor:
    """The sticker pasted flat into the canvas (steps A-B skipped), then placed and cropped like
    :func:`projection.sticker_layer` with ``dst``."""
    h, w = sticker.shape[1:]
    row0 = round(250 * w / pj.PAPER_WIDTH)
    full = torch.cat([sticker, torch.ones_like(sticker[:1])])
    canvas = F.pad(full, (0, 0, row0, w - h - row0))[None].expand(len(p), -1, -1, -1)
    place = pj._face600_to_frame900()[None] @ pj.frame_to_face600(SRC)[None]
    m = pj.theta1(p) @ place @ pj.crop_theta(p, SRC, DST)
    grid = F.affine_grid(m[:, :2].float(), [len(p), 1, DST.size, DST.size], align_corners=True)
    return F.grid_sample(canvas, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def make_step(model, face, anchor, batch: int, off_plane: bool) -> Callable[[], None]:
    state = {"s": torch.full((3, 48, 108), 0.5), "m": torch.zeros(3, 48, 108)}
    gen = torch.Generator().manual_seed(0)
    dist = ah.EOT.official()

    def step() -> None:
        s = state["s"].clone().requires_grad_(True)
        p = ah.sample(dist, batch, gen).cat(ah.fixed(dist))
        if off_plane:
            x = ah.render(face, s, p, SRC, DST)
        else:
            x = ah.composite(ah.crop(face, p, SRC, DST), flat_layer(s, p)).clamp(0, 1)
        loss = cosine(model(x), anchor)[:-1].mean() + 1e-5 * tv(s)
        (g,) = torch.autograd.grad(loss, s)
        state["m"] = 0.9 * state["m"] + 0.1 * g
        state["s"] = (state["s"] - 5 / 255 * state["m"].sign()).clamp(0, 1)

    return step


def render_only(face, batch: int) -> Callable[[], None]:
    gen = torch.Generator().manual_seed(0)

    def run() -> None:
        s = torch.full((3, 48, 108), 0.5, requires_grad=True)
        ah.render(face, s, ah.sample(ah.EOT.official(), batch + 1, gen), SRC, DST).sum().backward()

    return run


def timed(fn: Callable[[], None], steps: int) -> float:
    fn()  # warm-up
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    load0 = os.getloadavg()[0]
    model = face_descriptor()
    faces = real_faces(SRC.size, SRC.padding)
    i = faces.face_ids.index("obama1")
    face = faces.x[i:i + 1]
    with torch.no_grad():
        anchor = model(ah.crop(face, ah.Placement.default(1), SRC, DST))[0]
    default = yaml.safe_load((repo_root() / "params" / "08_advhat.yml").read_text())["default"]
    budget = sum(default["max_steps"])
    rows = []
    for off_plane in (True, False):
        for batch in sorted({a.batch, int(default["eot_batch"])}, reverse=True):
            sec = timed(make_step(model, face, anchor, batch, off_plane), a.steps)
            rend = timed(render_only(face, batch), a.steps) if off_plane else None
            rows.append({"projection": "off-plane" if off_plane else "flat", "eot_batch": batch,
                         "threads": a.threads, "seconds_per_step": round(sec, 3),
                         "steps_per_s": round(1 / sec, 3),
                         "render_fwd_bwd_s": None if rend is None else round(rend, 3),
                         "sticker_s_official_min_300_steps": round(300 * sec, 1),
                         f"sticker_s_default_budget_{budget}_steps": round(budget * sec, 1)})
            print(rows[-1], flush=True)
    machine = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__,
               "load_avg_1min_before": round(load0, 2), "load_avg_1min_after": round(os.getloadavg()[0], 2)}
    out = {"machine": machine,
           "note": "official schedule is adaptive (>= 100 + 200 steps); times per sticker are steps x s/step",
           "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
