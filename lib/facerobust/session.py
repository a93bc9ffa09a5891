"""Start-of-chapter set-up: seeds, thread count and the book's plotting theme.

Every chapter calls :func:`start` in its set-up cell so that runs are deterministic
(seeded, fixed thread count) and figures share one look.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from . import numerics
from .params import DEFAULT_THREADS


def start(seed: int = 0, threads: int = DEFAULT_THREADS) -> torch.Generator:
    """Seed python, numpy and torch, fix the thread count and the numerics mode
    (:mod:`facerobust.numerics`), set the figure and table display; prints one line saying so."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    torch.use_deterministic_algorithms(True, warn_only=True)
    print(f"seed {seed}, {threads} thread(s), {numerics.apply()}")
    set_theme()
    set_tables()
    return torch.Generator().manual_seed(seed)


def set_theme() -> None:
    """One seaborn/matplotlib theme for all figures, sized to the book's page."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.figsize": (7.0, 3.6), "figure.dpi": 96, "savefig.dpi": 110,
                         "axes.titlesize": "medium", "image.cmap": "gray"})


SIGNIFICANT = 3
"""Significant digits of a float in a displayed table: what a measurement on these sample sizes supports."""


def significant(v: float, digits: int = SIGNIFICANT) -> str:
    """``v`` with ``digits`` significant digits: 0.990909 -> ``0.991``, 6.067923e-06 -> ``6.07e-06``,
    12.3456 -> ``12.3``; from 10**digits on, the whole number (1234.5 -> ``1234``), never ``1.23e+03``."""
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if abs(v) >= 10**digits:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def set_tables() -> None:
    """Tables show every cell in full: a claims table's rule and note are never cut to "..."
    (pandas' default cuts a cell at 50 characters, so the rule shown would not be the rule applied).
    Floats show :data:`SIGNIFICANT` significant digits (:func:`significant`). A claims table is
    made of strings its rules formatted, so its values keep every digit the rule printed."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.float_format", significant)
