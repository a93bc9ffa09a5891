"""Experiments of the CRISPR chapter (``notebooks/05_crispr.py``, dissertation Ch. 3)."""

from . import budget, evaluate, figures, paper, run, setup, training

__all__ = ["budget", "evaluate", "figures", "paper", "run", "setup", "training"]
