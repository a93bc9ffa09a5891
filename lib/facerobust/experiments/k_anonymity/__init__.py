"""Experiments of the K-anonymity chapter (``notebooks/09_k_anonymity.py``)."""

from .attacked import attack_all, on_cpu, pmf_frame, summary_table
from .claims_table import claims_rows, claims_table
from .plots import gallery, pmf_figure
from .printed import PAPER_FOR, PAPER_TABLE1
from .stages import (
    Budget,
    Config,
    Setting,
    digit_settings,
    face_setting,
    face_split,
)

__all__ = [
    "PAPER_FOR",
    "PAPER_TABLE1",
    "Budget",
    "Config",
    "Setting",
    "attack_all",
    "claims_rows",
    "claims_table",
    "face_setting",
    "digit_settings",
    "face_split",
    "gallery",
    "on_cpu",
    "pmf_figure",
    "pmf_frame",
    "summary_table",
]
