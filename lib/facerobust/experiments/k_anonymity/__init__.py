"""Experiments of the K-anonymity chapter (``notebooks/06_k_anonymity.py``)."""

from .paper import PAPER_TABLE1, claims_table
from .plots import gallery, pmf_figure
from .run import Setting, attack_all, fashion_setting, mnist_setting, summary_table

__all__ = [
    "PAPER_TABLE1",
    "Setting",
    "attack_all",
    "claims_table",
    "fashion_setting",
    "gallery",
    "mnist_setting",
    "pmf_figure",
    "summary_table",
]
