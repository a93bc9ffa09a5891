"""Chapter 04, Part B: CNNAA sizes and CPU latency beside Table 2.16, the SSC / OMP discovered
attributes on synthetic unions of subspaces, and the Eq. 2.10 battery sums."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...models import cnnaa, disc_attrs
from ...progress import progress
from . import battery, printed


def size_table(repeats: int = 0) -> pd.DataFrame:
    """Per region and family: our parameter count, Table 2.16's, their difference, and (if ``repeats``)
    the median single-frame latency on this CPU beside the Nexus 5 time."""
    rows = []
    for region in progress(list(cnnaa.REGIONS), desc="CNNAA networks"):
        w, h, a = cnnaa.REGIONS[region]
        d_par, d_t, w_par, w_t = printed.TABLE_2_16[region]
        for arch, par, t in ((cnnaa.DEEP, d_par, d_t), (cnnaa.WIDE, w_par, w_t)):
            net = cnnaa.part_net(arch, region)
            row = {"region": region, "input (w x h)": f"{w}x{h}", "attributes": a, "family": arch.name,
                   "ours": cnnaa.n_parameters(net), "Table 2.16": par}
            row["difference"] = row["ours"] - par
            if repeats:
                row["ms / frame here"] = 1000 * cnnaa.latency(net, (3, h, w), repeats)
            row["s / frame, Nexus 5"] = t
            rows.append(row)
    return pd.DataFrame(rows)


def binary_arithmetic() -> pd.DataFrame:
    """The Binary full-face (128 x 128, one attribute) counts written out, beside Table 2.16's."""
    generic = ["block 1 conv", "block 2 convs", "block 3 convs", "FC 1", "FC 2 (embedding)", "logits"]
    cols = {}
    for arch in (cnnaa.DEEP, cnnaa.WIDE):
        parts = cnnaa.count_arithmetic(arch, *cnnaa.FULL_FACE, 1)
        total, extra = parts.pop("total"), parts.pop("biases + embedding gain")
        table = int(printed.BINARY_FULL[arch.name].value)
        weights = sum(parts.values())
        cols[f"Binary{arch.name}-Full"] = {
            **{g: f"{v:,} ({k})" for g, (k, v) in zip(generic, parts.items(), strict=True)},
            "weights only": f"{weights:,}", "Table 2.16 - weights only": f"{table - weights:,}",
            "biases + embedding gain": f"{extra:,}", "ours (all parameters)": f"{total:,}",
            "Table 2.16": f"{table:,}", "Table 2.16 - ours": f"{table - total:,}"}
    return pd.DataFrame(cols)

@dataclass(frozen=True)
class SSCResult:
    """SSC on a synthetic union of subspaces: the data, membership, found clusters, accuracy, the
    affinity, and the Eq. 2.9 features of held-out points (and how often their argmax is right)."""

    data: np.ndarray
    truth: np.ndarray
    clusters: np.ndarray
    accuracy: float
    affinity: np.ndarray
    held_out_accuracy: float
    nonzeros: np.ndarray


def ssc_synthetic(n_subspaces: int = 10, dim: int = 4, ambient: int = 32, per: int = 30, noise: float = 0.02,
                  alpha: float = 0.001, sparsity: int = 20, held_out: int = 5, seed: int = 0) -> SSCResult:
    """Sec. 2.4.4 on data with known membership: ``per`` + ``held_out`` points per subspace; the
    first ``per`` are clustered, the rest coded by OMP over the clustered dictionary (Eq. 2.8-2.9)."""
    d, y = disc_attrs.union_of_subspaces(n_subspaces, dim, ambient, per + held_out, noise, seed)
    train = np.tile(np.r_[np.ones(per, bool), np.zeros(held_out, bool)], n_subspaces)
    c = disc_attrs.ssc_coefficients(d[:, train], alpha)
    model = disc_attrs.DiscoveredAttributes(d[:, train], disc_attrs.spectral(c, n_subspaces, seed), sparsity)
    acc = disc_attrs.clustering_accuracy(model.clusters, y[train])
    # each found cluster stands for its majority true subspace; score the held-out points' argmax
    major = np.array([np.bincount(y[train][model.clusters == k], minlength=n_subspaces).argmax()
                      for k in range(model.n_clusters)])
    held = float((major[model.features(d[:, ~train]).argmax(1)] == y[~train]).mean())
    codes = disc_attrs.omp_codes(model.atoms, d[:, ~train], sparsity)
    return SSCResult(d[:, train], y[train], model.clusters, acc, np.abs(c) + np.abs(c).T, held,
                     (codes != 0).sum(0))

def battery_table() -> pd.DataFrame:
    """Eq. 2.10 with the dissertation's numbers: idle, worst case (alpha = beta = 1) and realistic."""
    cap = battery.capacity_wh(printed.BATTERY_MAH, printed.BATTERY_V)
    cases = [("no detector", 0.0, 1.0, 1.0, printed.BATTERY_IDLE),
             ("MultiDeep, alpha = 1, beta = 1", printed.P_MULTIDEEP_W, 1.0, 1.0, printed.BATTERY_WORST),
             ("MultiDeep, alpha = 0.5, beta = 0.2", printed.P_MULTIDEEP_W, 0.5, 0.2, printed.BATTERY_REAL)]
    rows = []
    for name, pd_w, alpha, beta, quoted in cases:
        hours = battery.battery_hours(cap, printed.P_NORMAL_W, pd_w, alpha, beta)
        rows.append({"case": name, "C (Wh)": cap, "P_n (W)": printed.P_NORMAL_W, "P_d (W)": pd_w,
                     "alpha": alpha, "beta": beta,
                     "sum": f"{cap:.2f} / ({printed.P_NORMAL_W:g} + {beta:g} x {alpha:g} x {pd_w:g})",
                     "hours (ours)": hours, "hours (printed)": quoted.value})
    return pd.DataFrame(rows).set_index("case")


__all__ = ["SSCResult", "battery_table", "binary_arithmetic", "size_table", "ssc_synthetic"]
