"""Chapter 04: video-to-video verification protocols on the capture-session videos (Sec. 2.3.3).

Each method gives a per-frame feature (LBP histograms, ACAA attribute values, linear-SVM margins);
a video's descriptor is the mean over its frames; gallery and probe videos are compared by the inverse
distance of Eq. 2.2 and LBP and attributes are fused by Eq. 2.3. The protocols mirror AA01's
(Tables 2.6 and 2.7): same session (gallery take A, probes take B of that session), cross-session
(gallery take A of one session, probes take B of the other two) and enrolment (gallery the clean
enrolment video, probes every take-B video of one session, or of all of them: "altogether").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...metrics import verification
from .videos import FaceVideos

Fusions = dict[str, tuple[str, str]] | None


@dataclass(frozen=True)
class Protocol:
    """A name, the kind (same / cross / enrol) and the gallery and probe video masks."""

    name: str
    kind: str
    gallery: np.ndarray
    probes: np.ndarray


def protocols(meta: pd.DataFrame, sessions: Sequence[str]) -> list[Protocol]:
    """Same-session, cross-session and enrolment protocols over ``sessions`` (plus partial faces)."""
    take_b = meta["take"] == "B"
    out = [Protocol(f"{s} -> {s}", "same", ((meta.session == s) & (meta["take"] == "A")).to_numpy(),
                    ((meta.session == s) & take_b).to_numpy()) for s in sessions]
    for s in sessions:
        others = [o for o in sessions if o != s]
        if others:
            out.append(Protocol(f"{s} -> {', '.join(others)}", "cross",
                                ((meta.session == s) & (meta["take"] == "A")).to_numpy(),
                                (meta.session.isin(others) & take_b).to_numpy()))
    enrol = (meta.session == "enrol").to_numpy()
    out += [Protocol(f"enrol -> {s}", "enrol", enrol, ((meta.session == s) & take_b).to_numpy())
            for s in [*sessions, "partial"]]
    out.append(Protocol("enrol -> altogether", "enrol", enrol, take_b.to_numpy()))
    return out


def descriptors(videos: FaceVideos, frame_features: np.ndarray) -> np.ndarray:
    """Video descriptors (V, D): the mean over each video's frames."""
    f = np.asarray(frame_features, dtype=np.float64)
    if len(f) != len(videos.frames) * videos.n_frames:
        raise ValueError(f"{len(f)} frame features for {len(videos.frames)} videos"
                         f" x {videos.n_frames} frames")
    per_video = f.reshape(len(videos.frames), videos.n_frames, -1)
    return np.stack([verification.video_descriptor(x) for x in per_video])


def similarities(desc: dict[str, np.ndarray], p: Protocol, fusion: Fusions = None,
                 inner: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Eq. 2.2 for every method (the Part B inner product for the methods in ``inner``), plus each
    Eq. 2.3 fusion ``{name: (method a, method b)}``."""
    score = {True: verification.inner_product, False: verification.inverse_distance}
    s = {m: score[m in inner](d[p.gallery], d[p.probes]) for m, d in desc.items()}
    for name, (a, b) in (fusion or {}).items():
        s[name] = verification.fuse(s[a], s[b])
    return s


@dataclass(frozen=True)
class Evaluation:
    """EER per (protocol, method), the ROC curves, and the identity-bootstrap EERs."""

    eer: pd.DataFrame
    rocs: dict[tuple[str, str], verification.ROC]
    boot: dict[str, dict[str, np.ndarray]]


def evaluate(videos: FaceVideos, desc: dict[str, np.ndarray], sessions: Sequence[str],
             fusion: Fusions = None, n_boot: int = 200,
             seed: int = 0, inner: Sequence[str] = ()) -> Evaluation:
    """EER and ROC of every method under every protocol, with ``n_boot`` identity-bootstrap EERs."""
    meta = videos.meta
    rows, rocs, boot = [], {}, {}
    for p in protocols(meta, sessions):
        sims = similarities(desc, p, fusion, inner)
        gid, pid = meta.identity.to_numpy()[p.gallery], meta.identity.to_numpy()[p.probes]
        mask = verification.genuine_mask(gid, pid)
        for m, s in sims.items():
            r = verification.roc(s, mask)
            rocs[(p.name, m)] = r
            rows.append({"protocol": p.name, "kind": p.kind, "method": m, "EER": r.eer,
                         "genuine": r.n_genuine, "impostor": r.n_impostor})
        boot[p.name] = verification.bootstrap_eers(sims, gid, pid, n_boot, seed) if n_boot else {}
    return Evaluation(pd.DataFrame(rows), rocs, boot)


def eer_table(ev: Evaluation) -> pd.DataFrame:
    """Protocols as rows, methods as columns."""
    t = ev.eer.pivot_table(index=["kind", "protocol"], columns="method", values="EER", sort=False)
    return t.droplevel(0)


def pooled(ev: Evaluation, kind: str, method: str) -> tuple[float, np.ndarray]:
    """Mean EER of one method over the protocols of one kind, and its bootstrap replicates."""
    names = list(ev.eer[(ev.eer.kind == kind) & (ev.eer.method == method)].protocol)
    mean = float(ev.eer[(ev.eer.kind == kind) & (ev.eer.method == method)].EER.mean())
    reps = np.mean([ev.boot[n][method] for n in names], axis=0) if ev.boot.get(names[0]) else np.array([])
    return mean, reps


__all__ = ["Evaluation", "Protocol", "descriptors", "eer_table", "evaluate", "pooled", "protocols",
           "similarities"]
