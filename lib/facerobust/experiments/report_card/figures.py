"""The card's figures: accuracy-perturbation curves per data family, and the by-hand rows.

A curve is drawn with its Wilson 95% band (:func:`.tables.curves` gives the long table); the
standard budgets of the family are marked by dotted vertical lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from torch import Tensor

from ...attacks.worst_case import WorstCase
from ..figures_by_hand import Row, by_hand_figure

FAMILY_TITLES = {"digits": "MNIST-5k digits (chapter 7)", "garments": "Fashion-MNIST garments (chapter 1)",
                 "faces": "real faces, pretrained attribute models (chapter 0)",
                 "verification": "real faces, dlib verifier (chapter 0)"}


def curves_figure(frame: pd.DataFrame, family: str, marks: Sequence[float] = (), scale: float = 1.0,
                  unit: str = "") -> Figure:
    """Robust accuracy against the L-inf radius for the family's models (rows of ``frame`` from
    :func:`.tables.curves`), each with its Wilson band; ``marks``: radii to mark; ``scale`` and
    ``unit`` relabel the axis (e.g. 255 and "/255" for faces)."""
    sub = frame[frame.family == family]
    if sub.empty:
        raise ValueError(f"no curves for family {family!r}")
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for model, g in sub.groupby("model", sort=False):
        e = g.eps * scale
        ax.plot(e, g.accuracy, marker="o", ms=3, label=model)
        ax.fill_between(e, g.lo, g.hi, alpha=0.15)
    for m in marks:
        ax.axvline(m * scale, color="grey", ls=":", lw=1)
    xlabel = "L-inf radius eps" + (f" (x {unit})" if unit else "")
    ax.set(xlabel=xlabel, ylabel="robust accuracy (APGD-CE)", ylim=(-0.02, 1.02),
           title=FAMILY_TITLES.get(family, family))
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def by_hand(x: Tensor, results: dict[str, WorstCase], amplify: float = 2.0) -> Figure:
    """The by-hand section's figure: the digits, then for each model its adversarial images (or the
    digit where it stayed robust) with the attack that broke each, and the perturbation."""
    rows = [Row("input", x)]
    for name, wc in results.items():
        rows.append(Row(f"{name}\nperturbation", wc.x_adv - x, amplify=amplify))
        rows.append(Row(f"{name}\nattacked", wc.x_adv, wc.broken_names()))
    return by_hand_figure(rows)


__all__ = ["FAMILY_TITLES", "by_hand", "curves_figure"]
