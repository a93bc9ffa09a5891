"""Experiments of the K-anonymity chapter (``notebooks/09_k_anonymity.py``)."""

from .claims_table import claims_rows, claims_table
from .plots import gallery, pmf_figure
from .printed import PAPER_FOR, PAPER_TABLE1
from .stages import (
    Setting,
    attack_all,
    face_setting,
    face_split,
    fashion_setting,
    mnist_setting,
    pmf_frame,
    summary_table,
)

__all__ = [
    "PAPER_FOR",
    "PAPER_TABLE1",
    "Setting",
    "attack_all",
    "claims_rows",
    "claims_table",
    "face_setting",
    "face_split",
    "fashion_setting",
    "gallery",
    "mnist_setting",
    "pmf_figure",
    "pmf_frame",
    "summary_table",
]
