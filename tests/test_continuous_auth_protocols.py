"""Chapter 04 (continuous authentication): the verification protocols on hand-made videos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from facerobust.experiments.continuous_auth import protocols as P
from facerobust.experiments.continuous_auth.videos import FaceVideos


def _videos(n_ids: int = 6, frames: int = 2) -> FaceVideos:
    plan = [("enrol", "A"), ("office", "A"), ("office", "B"), ("low", "A"), ("low", "B"), ("partial", "B")]
    rows = [{"face_id": f"f{i}", "identity": f"id{i}", "session": s, "take": t, "fold": i % 2}
            for i in range(n_ids) for s, t in plan]
    v = len(rows)
    frames_ = np.zeros((v, frames, 2, 2, 3), np.uint8)
    return FaceVideos(frames_, tuple({} for _ in range(v)), pd.DataFrame(rows))


def test_protocol_masks() -> None:
    vids = _videos()
    ps = {p.name: p for p in P.protocols(vids.meta, ["office", "low"])}
    assert set(ps) == {"office -> office", "low -> low", "office -> low", "low -> office", "enrol -> office",
                       "enrol -> low", "enrol -> partial", "enrol -> altogether"}
    assert ps["office -> low"].gallery.sum() == 6 and ps["office -> low"].probes.sum() == 6
    assert ps["enrol -> altogether"].probes.sum() == 18


def test_evaluate_perfect_and_fused() -> None:
    vids = _videos()
    rng = np.random.default_rng(0)
    ident = np.repeat(np.eye(6), 6 * 2, axis=0) * 5.0  # one direction per identity, every frame
    noise = rng.normal(size=ident.shape)
    desc = {"clean": P.descriptors(vids, ident), "noisy": P.descriptors(vids, ident + 3 * noise)}
    ev = P.evaluate(vids, desc, ["office", "low"], {"Fusion": ("clean", "noisy")}, n_boot=10)
    t = P.eer_table(ev)
    assert (t["clean"] == 0).all()
    assert set(t.columns) == {"clean", "noisy", "Fusion"}
    mean, reps = P.pooled(ev, "cross", "clean")
    assert mean == 0 and reps.shape == (10,)
    with pytest.raises(ValueError, match="frame features"):
        P.descriptors(vids, ident[:5])
