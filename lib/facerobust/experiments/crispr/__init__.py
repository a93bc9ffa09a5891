"""Experiments of the CRISPR chapter (``notebooks/05_crispr.py``, dissertation Ch. 3)."""

from . import budget, claims_table, evaluate, figures, printed, setup, stages, training

__all__ = ["budget", "claims_table", "evaluate", "figures", "printed", "setup", "stages", "training"]
