"""Chapter 0: every pretrained face model on the real faces, against the hand-made labels.

Each :class:`facerobust.models.AttributeModel` of the registry reads one attribute (Male,
Young, Smiling) as a real-valued score, positive = present. Here each one scores every real
face on its own chip (size and padding as the model expects), the prediction (score > 0) is
compared with the label made by looking at the crop, and the accuracy is reported with its
sample size and a Wilson 95% interval, since 29 faces make a small sample.
Used by ``notebooks/00_setup_and_data.py`` ("The models on the faces").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from ..data.faces import FaceSet, real_faces
from ..models import MATCH_THRESHOLD, YOUNG_AGE, attribute_models, face_descriptor

# attribute -> (label column, value meaning "present")
LABEL_OF: dict[str, tuple[str, object]] = {
    "Male": ("gender", "male"), "Young": ("age_group", "young"), "Smiling": ("smiling", 1),
}


def truth(labels: pd.DataFrame, attribute: str) -> np.ndarray:
    """The hand-made label of ``attribute`` as booleans (True = present)."""
    if attribute not in LABEL_OF:
        raise ValueError(f"no hand-made label for {attribute!r}; have {sorted(LABEL_OF)}")
    col, value = LABEL_OF[attribute]
    return (labels[col] == value).to_numpy()


IDENTIFIED = ("obama1", "obama2", "obama3", "biden")


def spread_ids(face_ids: Sequence[str], n: int | None, always: Sequence[str] = IDENTIFIED) -> list[str]:
    """``n`` face ids: those in ``always`` first, the rest spread evenly over the list; all of
    them if ``n`` is None or too large. Returned in the order of ``face_ids``."""
    if n is None or n >= len(face_ids):
        return list(face_ids)
    if n < 1:
        raise ValueError(f"need at least one face, got n={n}")
    keep = [f for f in face_ids if f in always][:n]
    rest = [f for f in face_ids if f not in keep]
    k = n - len(keep)
    if k > 0:
        keep += [rest[int(i)] for i in np.linspace(0, len(rest) - 1, k).round()]
    return [f for f in face_ids if f in set(keep)]


def _chips(size: int, padding: float, ids: list[str], store: dict[tuple[int, float], FaceSet]) -> FaceSet:
    key = (size, padding)
    if key not in store:
        faces = real_faces(size, padding)
        store[key] = faces.select(faces.labels.face_id.isin(ids))
    return store[key]


@torch.no_grad()
def model_scores(n_faces: int | None = None, names: list[str] | None = None) -> pd.DataFrame:
    """Long table: one row per (face, attribute model) with score, prediction and label."""
    ids = spread_ids(real_faces(32, 0.25).face_ids, n_faces)
    store: dict[tuple[int, float], FaceSet] = {}
    rows = []
    for name, m in attribute_models(names).items():
        faces = _chips(m.input_size, m.chip_padding, ids, store)
        scores = m.score(faces.x).double().numpy()
        present = truth(faces.labels, m.attribute)
        for fid, s, t in zip(faces.face_ids, scores, present, strict=True):
            rows.append({"face_id": fid, "model": name, "attribute": m.attribute, "score": float(s),
                         "predicted": bool(s > m.threshold), "label": bool(t)})
    df = pd.DataFrame(rows)
    df["correct"] = df.predicted == df.label
    return df


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (95% by default)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def accuracy_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Per model: attribute, sample size, faces with the attribute, correct, accuracy, 95% CI."""
    rows = []
    for name, g in scores.groupby("model", sort=False):
        k, n = int(g.correct.sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append({"model": name, "attribute": g.attribute.iloc[0], "n": n,
                     "n present": int(g.label.sum()), "correct": k, "accuracy": round(k / n, 3),
                     "95% CI": f"{lo:.2f}-{hi:.2f}"})
    return pd.DataFrame(rows)


def errors(scores: pd.DataFrame) -> pd.DataFrame:
    """The wrong predictions, one row each, with the score that made them."""
    cols = ["model", "face_id", "label", "predicted", "score"]
    return scores.loc[~scores.correct, cols].round({"score": 2}).reset_index(drop=True)


def score_heatmap(scores: pd.DataFrame, labels: pd.DataFrame, clip: float = 6.0) -> Figure:
    """Faces x models, colour = score clipped to +-clip (red = attribute present),
    the score written in each cell; wrong predictions framed in black."""
    wide = scores.pivot(index="face_id", columns="model", values="score")
    wide = wide.loc[[f for f in labels.face_id if f in wide.index], list(dict.fromkeys(scores.model))]
    wrong = scores.pivot(index="face_id", columns="model", values="correct").loc[wide.index, wide.columns]
    lab = labels.set_index("face_id").loc[wide.index]
    ylabels = [f"{f} ({g[0].upper()}, {a}, {'sm' if s else '-'})"
               for f, g, a, s in zip(wide.index, lab.gender, lab.age_group, lab.smiling, strict=True)]
    fig, ax = plt.subplots(figsize=(1.0 * wide.shape[1] + 2.6, 0.24 * len(wide) + 1.4))
    im = ax.imshow(wide.clip(-clip, clip).to_numpy(), cmap="RdBu_r", vmin=-clip, vmax=clip, aspect="auto")
    for (i, j), v in np.ndenumerate(wide.to_numpy()):
        ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6.5,
                color="white" if abs(v) > 0.6 * clip else "black")
        if not wrong.iat[i, j]:
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.6, ec="black"))
    ax.set_xticks(range(wide.shape[1]), [c.replace("/", "\n") for c in wide.columns], fontsize=8)
    ax.set_yticks(range(len(wide)), ylabels, fontsize=7)
    ax.grid(False)
    fig.colorbar(im, ax=ax, shrink=0.6, label=f"score (clipped to ±{clip:g})")
    fig.tight_layout()
    return fig


# Reference figures of the data survey that chose these assets (shared/specs/data-and-models.md,
# sections 1a, 1b, 9.2): dlib HOG detections in the 11 photos, men among them, FaceDescriptor
# distance ranges on the four labelled photos, gender errors of three models, smiling decisions.
REF_DETECTIONS = 30
REF_MEN = 7
REF_OBAMA_OBAMA = (0.33, 0.43)
REF_OBAMA_BIDEN = (0.81, 0.86)
REF_GENDER_ERRORS = {"Male/faceapi": 1, "Male/faceres": 1, "Male/dlib": 1}
REF_SMILING = {"obama1": True, "obama2": False, "obama3": True, "biden": False}
DIST_TOL = 0.02  # distances: holds if within 0.02 of the reference range (issue 3)
COUNT_TOL = 1  # counts of errors: holds if within one face of the reference


def _verdict(ok: bool | None) -> str:
    return "not testable here" if ok is None else ("holds" if ok else "does not hold")


def reference_check(scores: pd.DataFrame, distances: pd.DataFrame, n_detections: int, n_men: int,
                    all_faces: bool) -> pd.DataFrame:
    """Survey figures vs this run, with a verdict from the rule in ``rule`` (computed, not typed)."""
    oo = [distances.loc[a, b] for a, b in (("obama1", "obama2"), ("obama1", "obama3"), ("obama2", "obama3"))]
    ob = [distances.loc[o, "biden"] for o in ("obama1", "obama2", "obama3")]
    rows: list[tuple[str, object, object, str, bool | None]] = [
        ("faces dlib HOG detects in the 11 photos", REF_DETECTIONS, n_detections, "equal",
         n_detections == REF_DETECTIONS),
        ("men among them", REF_MEN, n_men, "equal", n_men == REF_MEN),
    ]
    for label, (lo, hi), got in (("FaceDescriptor L2, Obama-Obama", REF_OBAMA_OBAMA, oo),
                                 ("FaceDescriptor L2, Obama-Biden", REF_OBAMA_BIDEN, ob)):
        ok = min(got) >= lo - DIST_TOL and max(got) <= hi + DIST_TOL
        rows.append((label, f"{lo:.2f}-{hi:.2f}", f"{min(got):.3f}-{max(got):.3f}",
                     f"within ±{DIST_TOL} of the range", ok))
    for model, n_err in REF_GENDER_ERRORS.items():
        got_err = int((~scores[scores.model == model].correct).sum())
        rows.append((f"{model} gender errors", n_err, got_err if all_faces else f"{got_err} (subset)",
                     f"within ±{COUNT_TOL}", abs(got_err - n_err) <= COUNT_TOL if all_faces else None))
    smile = scores[(scores.model == "Smiling/expression") & scores.face_id.isin(list(REF_SMILING))]
    want = " ".join(f"{f}:{int(v)}" for f, v in REF_SMILING.items())
    pred = {str(f): bool(v) for f, v in zip(smile.face_id, smile.predicted, strict=True)}
    rows.append(("Smiling/expression on the four labelled photos", want,
                 " ".join(f"{f}:{int(pred[f])}" if f in pred else f"{f}:?" for f in REF_SMILING),
                 "same decisions", pred == REF_SMILING if len(pred) == 4 else None))
    df = pd.DataFrame(rows, columns=["claim", "reference", "this book", "rule", "ok"])
    df["verdict"] = [_verdict(v) for v in df.pop("ok")]
    return df.astype({"reference": str, "this book": str})


@torch.no_grad()
def identity_distances(face_ids: Sequence[str] = IDENTIFIED) -> pd.DataFrame:
    """L2 distances between FaceDescriptor (dlib ResNet-29) descriptors of the given faces,
    on 150-px chips with padding 0.25; the same person if below ``MATCH_THRESHOLD``."""
    faces = real_faces(150, 0.25)
    sel = faces.select(faces.labels.face_id.isin(list(face_ids)))
    order = [sel.face_ids.index(f) for f in face_ids]
    d = face_descriptor()(sel.x[order])
    dist = torch.cdist(d.double(), d.double()).numpy().round(3)
    return pd.DataFrame(dist, index=list(face_ids), columns=list(face_ids))


__all__ = ["MATCH_THRESHOLD", "YOUNG_AGE", "LABEL_OF", "accuracy_table", "errors", "identity_distances",
           "model_scores", "score_heatmap", "spread_ids", "truth", "wilson"]
