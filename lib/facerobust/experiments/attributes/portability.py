"""Cross-attribute portability (Fig. 4 of Rozsa et al. 2016; chapter 03).

``matrix[tgt, src]`` = share (%) of the PASS-valid FFA adversarials made on the Euclidean
network of attribute ``src`` that also change the decision of the *converged* network of
attribute ``tgt`` (relative to its decision on the clean image). Adversarials made on the
converged networks give the left panel, those made on the two-epoch networks the right one,
whose diagonal is the share of two-epoch adversarials still adversarial after training.
Columns of attributes without adversarials are NaN (empty, as in the paper). ``matrix.attrs['n']``
holds the number of adversarials behind each column (the sample size of its rates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from ... import device as devices
from .results import AttributeResults


@torch.no_grad()
def portability(
    res: AttributeResults,
    converged: Any,
    source_stage: str,
    names: tuple[str, ...],
    loss: str = "euclidean",
    method: str = "ffa",
) -> pd.DataFrame:
    """The (A, A) portability matrix (%) of ``source_stage`` adversarials on converged nets
    (the images are scored on the device of ``converged``)."""
    dev = devices.of(converged)
    run = res.run(loss, source_stage, method)
    x, x_adv, adv = res.images().to(dev), run.images(), run.adversarial()
    clean = (converged.scores(x) > 0).cpu()
    a = len(names)
    m = np.full((a, a), np.nan)
    for src in range(a):
        rows = adv[:, src].nonzero().squeeze(1)
        if len(rows):
            flipped = (converged.scores(x_adv[rows, src].to(dev)) > 0).cpu() != clean[rows]
            m[:, src] = flipped.float().mean(0).numpy() * 100
    out = pd.DataFrame(m, index=list(names), columns=list(names))
    out.attrs["n"] = dict(zip(names, adv.sum(0).tolist(), strict=True))
    return out


def top_offdiagonal(m: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The ``k`` largest off-diagonal entries: source attribute -> tested attribute, %."""
    s = m.stack()
    s = s[[i != j for i, j in s.index]].sort_values(ascending=False).head(k)
    return pd.DataFrame(
        {"source": [j for _, j in s.index], "tested": [i for i, _ in s.index], "flipped (%)": s.values}
    )


def still_adversarial(right: pd.DataFrame) -> float:
    """Mean (%) of the right panel's diagonal over the source attributes that have adversarials:
    the share of two-epoch adversarials still adversarial on the converged network (NaN if none)."""
    diag = [float(right.iat[i, i]) for i in range(len(right.index)) if right.iat[i, i] == right.iat[i, i]]
    return sum(diag) / len(diag) if diag else float("nan")


def seed_summary(panels: Mapping[int, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per training seed, from its (left, right) panels: the share still adversarial (%), the mean
    off-diagonal flip rate of the left panel (%) and its largest pair."""
    rows = {}
    for s, (left, right) in panels.items():
        top = top_offdiagonal(left, 1)
        off = left.where(~np.eye(len(left), dtype=bool)).stack()
        rows[f"seed {s}"] = {
            "still adversarial (%)": still_adversarial(right),
            "mean off-diagonal (%)": float(off.mean()) if len(off) else float("nan"),
            "largest pair": f"{top['source'].iloc[0]} -> {top['tested'].iloc[0]}" if len(top) else "none",
            "largest (%)": float(top["flipped (%)"].iloc[0]) if len(top) else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def panels(res_by_seed: Mapping[int, AttributeResults], converged: Mapping[int, Any],
           names: tuple[str, ...]) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Both panels of Fig. 4 for every attacked training seed: ``{seed: (left, right)}``, each tested
    on that seed's converged Euclidean networks (``converged[seed]``)."""
    out = {}
    for s, r in res_by_seed.items():
        conv = converged[s]
        out[s] = (portability(r, conv, "converged", names), portability(r, conv, "epoch2", names))
    return out
