"""Chapter 04's capture-session videos of the real faces, and their per-frame features.

Every real face (dlib chip, 5-point landmarks, ``facerobust.data.faces``) becomes one enrolment
video ("enrol", take A), two videos per AA01-like session (take A = the enrolment task, take B = the
other tasks) and one partial-face video (take B); each video has ``n_frames`` frames rendered by
``facerobust.data.capture_sessions``. Identities come from the label file (Obama x3 are three real
photos of one person; every unnamed face is its own identity). Faces are split into two folds of
identities, stratified by their labels, so that an attribute classifier never scores a face it was
trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import capture_sessions, face_parts
from ...data import faces as faces_data
from ...models import acaa
from ...progress import progress

Key = tuple[str, str, int]


@dataclass(frozen=True)
class FaceVideos:
    """Frames (V, F, S, S, 3) uint8, the component boxes of each video's face and one row per video
    (face_id, identity, session, take, fold)."""

    frames: np.ndarray
    boxes: tuple[dict[str, tuple[int, int, int, int]], ...]
    meta: pd.DataFrame

    def __post_init__(self) -> None:
        if self.frames.ndim != 5 or len(self.boxes) != len(self.frames) or len(self.meta) != len(self.frames):
            raise ValueError("FaceVideos: frames, boxes and meta disagree in length")

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[1])

    def frame_rows(self) -> np.ndarray:
        """The video index of every frame, in the order of :func:`features` rows."""
        return np.repeat(np.arange(len(self.frames)), self.n_frames)


def _folds(labels: pd.DataFrame) -> dict[str, int]:
    """Two folds of identities, alternating along identities sorted by their labels."""
    per = labels.groupby("identity")[["gender", "age_group", "smiling"]].first()
    order = per.sort_values(["gender", "age_group", "smiling"]).index
    return {ident: k % 2 for k, ident in enumerate(order)}


def real_chips(size: int, padding: float) -> tuple[np.ndarray, list[dict[str, tuple[int, int, int, int]]],
                                                    pd.DataFrame]:
    """Chips (N, S, S, 3) uint8 of every real face, their component boxes and their labels
    (with ``identity`` filled by the face id where the label file names no one, and ``fold``)."""
    faces = faces_data.real_faces(size, padding)
    dets = {d.face_id: d for d in faces_data.detections()}
    chips = (faces.x.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    boxes = [face_parts.part_boxes(face_parts.chip_landmarks(dets[f].landmarks, size, padding), size)
             for f in faces.face_ids]
    lab = faces.labels.copy()
    lab["identity"] = np.where(lab.identity == "", lab.face_id, lab.identity)
    lab["fold"] = lab.identity.map(_folds(lab))
    return chips, boxes, lab


def make_videos(size: int, padding: float, sessions: Sequence[str], n_frames: int, seed: int) -> FaceVideos:
    """The enrolment, session (takes A and B) and partial-face videos of every real face."""
    bad = [s for s in sessions if s not in capture_sessions.SESSIONS or s in ("enrol", "partial")]
    if bad or not sessions:
        raise ValueError(f"sessions must be among office/low/natural, got {list(sessions)}")
    chips, boxes, lab = real_chips(size, padding)
    plan = [("enrol", "A")] + [(s, t) for s in sessions for t in "AB"] + [("partial", "B")]
    frames, vboxes, rows = [], [], []
    for i, row in enumerate(progress(list(lab.itertuples()), desc="render videos")):
        for j, (session, take) in enumerate(plan):
            video_seed = seed * 100_003 + i * 101 + j
            frames.append(capture_sessions.video(chips[i], session, n_frames, seed=video_seed))
            vboxes.append(boxes[i])
            rows.append({"face_id": row.face_id, "identity": row.identity, "session": session, "take": take,
                         "fold": row.fold})
    return FaceVideos(np.stack(frames), tuple(vboxes), pd.DataFrame(rows))


def features(videos: FaceVideos, keys: Sequence[Key], frames: slice = slice(None)) -> dict[Key, np.ndarray]:
    """Per key (part, feature, cell): the (V * F', D) float32 features of the selected frames of
    every video."""
    parts = sorted({k[0] for k in keys})
    out: dict[Key, list[np.ndarray]] = {k: [] for k in keys}
    for v in progress(range(len(videos.frames)), desc=f"features ({len(keys)} kinds)"):
        for frame in videos.frames[v, frames]:
            crops = face_parts.crop_parts(frame, videos.boxes[v], tuple(parts))
            for k in keys:
                out[k].append(acaa.extract(crops[k[0]], k[1], k[2]).astype(np.float32))
    return {k: np.stack(v) for k, v in out.items()}


def full_faces(videos: FaceVideos, width: int = 128, height: int = 168) -> np.ndarray:
    """The full-face component of every frame resized to ``width`` x ``height`` (the platform
    models' 128 x 168 crop), (V * F, height, width, 3) uint8."""
    import cv2

    out = []
    for v in range(len(videos.frames)):
        x0, y0, x1, y1 = videos.boxes[v]["full_face"]
        out += [cv2.resize(f[y0:y1, x0:x1], (width, height), interpolation=cv2.INTER_AREA)
                for f in videos.frames[v]]
    return np.stack(out)


__all__ = ["FaceVideos", "Key", "features", "full_faces", "make_videos", "real_chips"]
