"""Face components from the five dlib landmarks (dissertation Sec. 2.3.2): eyes, nose, mouth, hair,
their unions and the full face, cut from an aligned dlib chip.

The five landmarks (two corners per eye, the base of the nose) are mapped into the chip's own pixel
frame through dlib's chip transform (:func:`chip_landmarks`); each component's box is then placed
relative to the eye line, the nose and the inter-ocular distance d (:func:`part_boxes`), and every
crop is resized to the component's fixed size so that one feature has one dimension for all faces
(:func:`crop_parts`). The 5-point model has no mouth points: the mouth box lies below the nose at
the distances of an average face (0.1 d to 0.8 d), an approximation the 68-point model would remove.

Used by the continuous-authentication chapter (07).
"""

from __future__ import annotations

import numpy as np

# Output (width, height) of every component crop.
PART_SIZES: dict[str, tuple[int, int]] = {
    "eyes": (64, 24), "nose": (32, 40), "mouth": (48, 28), "hair": (64, 24), "eyes_nose": (64, 48),
    "mouth_nose": (48, 48), "eyes_nose_mouth": (64, 64), "eyes_eyebrows": (64, 32), "full_face": (64, 80),
}
PARTS = tuple(PART_SIZES)


def chip_landmarks(landmarks: np.ndarray, size: int, padding: float) -> np.ndarray:
    """The five image landmarks (5, 2) mapped into the (size x size) chip that
    ``facerobust.data.faces.face_chip(image, landmarks, size, padding)`` cuts."""
    import dlib

    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (5, 2) or not np.isfinite(pts).all():
        raise ValueError(f"landmarks must be finite (5, 2), got {pts.shape}")
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    shape = dlib.full_object_detection(dlib.rectangle(int(x0), int(y0), int(x1), int(y1)),
                                       [dlib.point(int(round(x)), int(round(y))) for x, y in pts])
    det = dlib.get_face_chip_details(shape, size, padding)
    r, a = det.rect, det.angle
    centre = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    return (pts - centre) @ rot.T * (det.cols / r.width()) + [det.cols / 2, det.rows / 2]


def _union(*boxes: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    b = np.array(boxes)
    return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def part_boxes(pts: np.ndarray, size: int) -> dict[str, tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the nine components in chip pixels, from chip landmarks (5, 2)."""
    p = np.asarray(pts, dtype=np.float64)
    if p.shape != (5, 2) or not np.isfinite(p).all():
        raise ValueError(f"chip landmarks must be finite (5, 2), got {p.shape}")
    eye_a, eye_b, nose = p[0:2].mean(0), p[2:4].mean(0), p[4]
    d = float(np.linalg.norm(eye_a - eye_b))
    if d < 4:
        raise ValueError(f"eyes are {d:.1f} px apart: landmarks do not describe a face")
    ey, xl, xr = (eye_a[1] + eye_b[1]) / 2, p[:4, 0].min(), p[:4, 0].max()
    cx = (xl + xr) / 2
    eyes = (xl - 0.15 * d, ey - 0.3 * d, xr + 0.15 * d, ey + 0.3 * d)
    brows = (xl - 0.15 * d, ey - 0.7 * d, xr + 0.15 * d, ey + 0.3 * d)
    nose_b = (nose[0] - 0.4 * d, ey, nose[0] + 0.4 * d, nose[1] + 0.15 * d)
    mouth = (cx - 0.55 * d, nose[1] + 0.1 * d, cx + 0.55 * d, nose[1] + 0.8 * d)
    hair = (xl - 0.4 * d, ey - 1.6 * d, xr + 0.4 * d, ey - 0.6 * d)
    full = (xl - 0.4 * d, ey - 0.9 * d, xr + 0.4 * d, nose[1] + 1.1 * d)
    raw = {"eyes": eyes, "nose": nose_b, "mouth": mouth, "hair": hair, "eyes_nose": _union(eyes, nose_b),
           "mouth_nose": _union(mouth, nose_b), "eyes_nose_mouth": _union(eyes, nose_b, mouth),
           "eyes_eyebrows": brows, "full_face": full}
    out = {}
    for k, (a0, b0, a1, b1) in raw.items():
        x0, y0 = int(np.clip(round(a0), 0, size - 2)), int(np.clip(round(b0), 0, size - 2))
        out[k] = (x0, y0, int(np.clip(round(a1), x0 + 2, size)), int(np.clip(round(b1), y0 + 2, size)))
    return out


def crop_parts(chip: np.ndarray, boxes: dict[str, tuple[int, int, int, int]],
               parts: tuple[str, ...] = PARTS) -> dict[str, np.ndarray]:
    """Each component of an RGB uint8 chip (H, W, 3), resized (OpenCV, area) to its ``PART_SIZES``."""
    import cv2

    if chip.dtype != np.uint8 or chip.ndim != 3 or chip.shape[2] != 3:
        raise ValueError(f"chip must be RGB uint8 (H, W, 3), got {chip.dtype} {chip.shape}")
    unknown = [p for p in parts if p not in PART_SIZES or p not in boxes]
    if unknown:
        raise ValueError(f"unknown or unboxed parts {unknown}; known: {', '.join(PART_SIZES)}")
    out = {}
    for p in parts:
        x0, y0, x1, y1 = boxes[p]
        out[p] = cv2.resize(chip[y0:y1, x0:x1], PART_SIZES[p], interpolation=cv2.INTER_AREA)
    return out


__all__ = ["PARTS", "PART_SIZES", "chip_landmarks", "crop_parts", "part_boxes"]
