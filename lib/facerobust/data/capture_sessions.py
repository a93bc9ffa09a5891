"""A capture-session protocol on real faces: AA01-like sessions synthesised from one photo.

UMDAA-01 (AA01) filmed each user in three sessions, office light, low light and natural light, with
partial faces among the frames. None of it can be had here, so every real face photo is rendered as
short "videos" under seeded random capture conditions: gamma and brightness, a colour cast, sensor
noise, defocus blur, JPEG compression, a small pose warp (rotation, scale, shift of the aligned chip,
so that alignment is imperfect) and, for partial faces, the face pushed out of frame or occluded.
Each frame draws its own conditions from the session's ranges. This tests robustness to capture
conditions; it is not the dissertation's data.

Used by the continuous-authentication chapter (07).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Session:
    """Ranges (low, high) of one session's capture conditions; each frame draws uniformly in them."""

    name: str
    gamma: tuple[float, float] = (1.0, 1.0)  # output = input ** gamma (> 1 darkens mid-tones)
    gain: tuple[float, float] = (1.0, 1.0)  # multiplies the light
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel RGB factors
    noise: tuple[float, float] = (0.0, 0.0)  # sensor noise sigma, grey levels
    blur: tuple[float, float] = (0.0, 0.0)  # Gaussian sigma, pixels
    jpeg: tuple[int, int] = (95, 95)  # JPEG quality
    rotate: float = 2.0  # degrees, +-
    scale: float = 0.03  # relative, +-
    shift: float = 0.02  # fraction of the chip, +-
    partial: float = 0.0  # probability of a partial face (cut-off or occluded)


SESSIONS: dict[str, Session] = {
    "enrol": Session("enrol"),
    "office": Session("office", gamma=(0.9, 1.1), gain=(0.9, 1.1), noise=(1, 3), blur=(0, 0.7),
                      jpeg=(70, 95), rotate=4, scale=0.04, shift=0.03),
    "low": Session("low", gamma=(1.6, 2.4), gain=(0.45, 0.7), cast=(0.9, 0.95, 1.1), noise=(4, 8),
                   blur=(0.6, 1.4), jpeg=(50, 80), rotate=5, scale=0.05, shift=0.04),
    "natural": Session("natural", gamma=(0.55, 0.8), gain=(1.1, 1.35), cast=(1.12, 1.0, 0.82),
                       noise=(1, 3), blur=(0, 0.8), jpeg=(55, 85), rotate=7, scale=0.06, shift=0.05),
    "partial": Session("partial", gamma=(0.8, 1.3), gain=(0.8, 1.1), noise=(1, 4), blur=(0, 1.0),
                       jpeg=(60, 90), rotate=6, scale=0.05, shift=0.04, partial=1.0),
}


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


def _warp(img: np.ndarray, s: Session, rng: np.random.Generator) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    angle, zoom = rng.uniform(-s.rotate, s.rotate), 1 + rng.uniform(-s.scale, s.scale)
    m = np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom), dtype=np.float64)
    m[:, 2] += rng.uniform(-s.shift, s.shift, 2) * np.array([w, h])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _partial(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Either the face slides 25-40% out of the frame (black), or a dark block hides 30-45% of it."""
    h, w = img.shape[:2]
    out = img.copy()
    frac = rng.uniform(0.25, 0.40)
    side = int(rng.integers(4))
    if rng.random() < 0.5:
        k = int(frac * (w if side < 2 else h))
        sl = [np.s_[:, :k], np.s_[:, w - k:], np.s_[:k, :], np.s_[h - k:, :]][side]
        out[sl] = 0
    else:
        bh, bw = int(frac * h * 1.2), int(frac * w * 1.2)
        y, x = int(rng.integers(h // 4, h - bh // 2)), int(rng.integers(0, w - bw // 2))
        out[y:y + bh, x:x + bw] = rng.integers(10, 60)
    return out


def render(chip: np.ndarray, session: Session, rng: np.random.Generator) -> np.ndarray:
    """One frame: the RGB uint8 chip (H, W, 3) seen under conditions drawn from ``session``."""
    import cv2

    if chip.dtype != np.uint8 or chip.ndim != 3 or chip.shape[2] != 3:
        raise ValueError(f"chip must be RGB uint8 (H, W, 3), got {chip.dtype} {chip.shape}")
    x = _warp(chip, session, rng).astype(np.float32) / 255.0
    x = np.clip(x * _u(rng, session.gain), 0, 1) ** _u(rng, session.gamma)
    x = x * np.asarray(session.cast, dtype=np.float32)
    sigma = _u(rng, session.blur)
    if sigma > 0.05:
        x = cv2.GaussianBlur(x, (0, 0), sigma)
    x = x * 255 + rng.normal(0, _u(rng, session.noise), x.shape)
    img = np.clip(np.round(x), 0, 255).astype(np.uint8)
    if rng.random() < session.partial:
        img = _partial(img, rng)
    q = int(rng.integers(session.jpeg[0], session.jpeg[1] + 1))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def video(chip: np.ndarray, session: str | Session, n_frames: int, seed: int) -> np.ndarray:
    """``n_frames`` frames (F, H, W, 3) uint8 of one chip in one session, seeded."""
    if isinstance(session, str) and session not in SESSIONS:
        raise ValueError(f"unknown session {session!r}; known: {', '.join(SESSIONS)}")
    s = SESSIONS[session] if isinstance(session, str) else session
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    rng = np.random.default_rng(seed)
    return np.stack([render(chip, s, rng) for _ in range(n_frames)])


__all__ = ["SESSIONS", "Session", "render", "video"]
