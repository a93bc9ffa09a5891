"""dlib's face descriptor as a verifier: the threshold, the pairs, and the two attacks' targets.

A verifier accepts a probe ``x`` as the enrolled person when ``||e(x) - e(x_enrolled)||_2 < tau``.
The threshold is fixed *before* any attack, on the clean faces: ``tau`` is the smallest
impostor distance above which at most ``far`` of all clean impostor pairs lie below it, i.e. the
threshold whose clean false-accept rate is at most ``far`` (its measured rate and interval are
reported with it). dlib's own threshold, 0.6, is shown beside it.

Identities: a face's ``identity`` label where the labels give one (Obama, Biden), else the face
itself. Pairs:

* **genuine** (dodging: the attacker perturbs the probe until it is *no longer* matched): every
  ordered pair of different photos of one identity, and every face with its mirror image (the only
  second view we have of the unnamed faces; a mirrored chip is a different image of the same face);
* **impostor** (impersonation: the attacker perturbs the probe until it *is* matched): each face
  with one seeded other identity, enrolled by that identity's first photo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from ...metrics.intervals import wilson

DLIB_THRESHOLD = 0.6
"""dlib's documented same-person distance."""


@dataclass(frozen=True)
class Threshold:
    """``tau`` and its clean false-accept rate: ``accepted`` of ``impostor_pairs`` impostor pairs
    below it (target rate ``far``)."""

    tau: float
    far: float
    accepted: int
    impostor_pairs: int

    @property
    def rate(self) -> float:
        return self.accepted / self.impostor_pairs

    def interval(self) -> tuple[float, float]:
        return wilson(self.accepted, self.impostor_pairs)


def identities(labels: pd.DataFrame) -> np.ndarray:
    """Per face its identity: the ``identity`` label, or the face id where there is none."""
    ident = labels["identity"].fillna("").astype(str)
    return np.where(ident != "", ident, labels["face_id"].astype(str))


def embed(descriptor: nn.Module, x: Tensor, batch: int = 16) -> Tensor:
    """Descriptors (N, 128) of chips ``x``, without gradient."""
    with torch.no_grad():
        return torch.cat([descriptor(x[i:i + batch]) for i in range(0, len(x), batch)])


def impostor_distances(emb: Tensor, ident: np.ndarray) -> np.ndarray:
    """Distances of every unordered pair of faces with different identities."""
    d = torch.cdist(emb, emb).cpu().numpy()
    i, j = np.triu_indices(len(emb), k=1)
    keep = ident[i] != ident[j]
    return d[i[keep], j[keep]]


def threshold_at(distances: np.ndarray, far: float) -> Threshold:
    """The threshold whose clean false-accept rate over ``distances`` (impostor pairs) is at most
    ``far``: the (k+1)-th smallest distance with k = floor(far * pairs), so exactly the k closest
    pairs (ties aside) are accepted by ``d < tau``."""
    if not 0 <= far < 1:
        raise ValueError(f"far must lie in [0, 1), got {far}")
    d = np.sort(np.asarray(distances, dtype=float))
    if len(d) == 0 or not np.isfinite(d).all():
        raise ValueError("threshold_at needs finite impostor distances")
    k = int(math.floor(far * len(d) + 1e-12))
    tau = float(d[min(k, len(d) - 1)])
    return Threshold(tau, far, int((d < tau).sum()), len(d))


@dataclass(frozen=True)
class Pairs:
    """Probe indices, the enrolled descriptor of each pair, the pair kinds, and the truth
    ``same`` (1 = genuine)."""

    probe: np.ndarray
    anchors: Tensor
    kind: tuple[str, ...]
    same: np.ndarray


def genuine_pairs(emb: Tensor, emb_mirror: Tensor, ident: np.ndarray) -> Pairs:
    """Ordered pairs of different photos of one identity, then each face with its mirror image."""
    probe, anchors, kind = [], [], []
    for i in range(len(ident)):
        for j in range(len(ident)):
            if i != j and ident[i] == ident[j]:
                probe.append(i)
                anchors.append(emb[j])
                kind.append("same identity")
    for i in range(len(ident)):
        probe.append(i)
        anchors.append(emb_mirror[i])
        kind.append("mirror")
    return Pairs(np.array(probe), torch.stack(anchors), tuple(kind), np.ones(len(probe), dtype=int))


def impostor_pairs(emb: Tensor, ident: np.ndarray, seed: int) -> Pairs:
    """Each face with one other identity (seeded), enrolled by that identity's first face."""
    names = list(dict.fromkeys(ident))
    first = {n: int(np.flatnonzero(ident == n)[0]) for n in names}
    rng = np.random.default_rng(seed)
    probe, anchors = [], []
    for i in range(len(ident)):
        others = [n for n in names if n != ident[i]]
        other = others[int(rng.integers(len(others)))]
        probe.append(i)
        anchors.append(emb[first[other]])
    n = len(probe)
    return Pairs(np.array(probe), torch.stack(anchors), ("impostor",) * n, np.zeros(n, dtype=int))


__all__ = ["DLIB_THRESHOLD", "Pairs", "Threshold", "embed", "genuine_pairs", "identities",
           "impostor_distances", "impostor_pairs", "threshold_at"]
