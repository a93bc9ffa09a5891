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


def set_tables() -> None:
    """Tables show every cell in full: a claims table's rule and note are never cut to "..."
    (pandas' default cuts a cell at 50 characters, so the rule shown would not be the rule applied)."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 200)
