"""Moved: the input checks live in :mod:`facerobust.validation` (kept as an alias for old imports)."""

from __future__ import annotations

from ..validation import check_images

__all__ = ["check_images"]
