"""Experiments of the CRISPR chapter (``notebooks/08_crispr.py``, dissertation Ch. 3)."""

from . import evaluate, figures, paper, run, setup, training

__all__ = ["evaluate", "figures", "paper", "run", "setup", "training"]
