"""Attribute labels for the ACAA classifiers, made the dissertation's way: by thresholding another
system's classifier outputs and keeping only the confident ones.

The dissertation thresholded Kumar et al.'s classifier outputs on PubFig. Here the "other system" is
the book's registry of pretrained face models (``facerobust.models.registry``): three gender models
(face-api AgeGenderNet, faceres, dlib), three age models (the same three) and the expression model's
"happy" output, run on every real face of the shipped photos. An attribute label is kept where the
models agree (every model's score beyond ``margin`` on the same side); the hand-made label file
(``real_faces_labels.csv``) is shown beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...data import faces as faces_data
from ...models.registry import YOUNG_AGE, attribute_models

# attribute -> (registry models, sign: +1 = present where the score is positive, offset in score units)
RULES: dict[str, tuple[tuple[str, ...], float, float]] = {
    "Male": (("Male/faceapi", "Male/faceres", "Male/dlib"), 1.0, 0.0),
    "Young": (("Young/faceapi", "Young/faceres", "Young/dlib"), 1.0, 0.0),
    "Senior": (("Young/faceapi", "Young/faceres", "Young/dlib"), -1.0, 50.0 - YOUNG_AGE),
    "Smiling": (("Smiling/expression",), 1.0, 0.0),
}
HAND = {"Male": lambda d: d.gender == "male", "Young": lambda d: d.age_group == "young",
        "Senior": lambda d: d.age_group == "old", "Smiling": lambda d: d.smiling == 1}


@torch.no_grad()
def model_scores(names: list[str] | None = None) -> pd.DataFrame:
    """Every registry model's score (positive = present) on every real face, one column per model."""
    models = attribute_models(names)
    cols: dict[str, np.ndarray] = {}
    ids: list[str] = []
    for name, m in models.items():
        faces = faces_data.real_faces(m.input_size, m.chip_padding)
        ids = faces.face_ids
        cols[name] = torch.cat([m.score(faces.x[i:i + 8]) for i in range(0, len(faces), 8)]).numpy()
    return pd.DataFrame(cols, index=pd.Index(ids, name="face_id"))


def consensus(scores: pd.DataFrame, margin: float = 0.5) -> pd.DataFrame:
    """Per face and attribute: 1 / 0 where every model of the rule agrees beyond ``margin``
    (score units: logits, or years for the age models), -1 (unlabelled) otherwise."""
    if margin < 0 or not np.isfinite(margin):
        raise ValueError(f"margin must be finite and >= 0, got {margin}")
    out = {}
    for attr, (names, sign, offset) in RULES.items():
        s = sign * (scores[list(names)].to_numpy() + offset)
        pos, neg = (s > margin).all(1), (s < -margin).all(1)
        out[attr] = np.where(pos, 1, np.where(neg, 0, -1))
    return pd.DataFrame(out, index=scores.index)


def label_counts(labels: pd.DataFrame, hand: pd.DataFrame) -> pd.DataFrame:
    """Per attribute: faces labelled present / absent / left out, and agreement with the hand labels."""
    hand = hand.set_index("face_id").loc[labels.index]
    rows = []
    for attr in labels.columns:
        y, h = labels[attr].to_numpy(), HAND[attr](hand).to_numpy().astype(int)
        kept = y >= 0
        rows.append({"attribute": attr, "present": int((y == 1).sum()), "absent": int((y == 0).sum()),
                     "not confident": int((~kept).sum()), "hand-labelled present": int(h.sum()),
                     "agree with hand labels": f"{int((y[kept] == h[kept]).sum())}/{int(kept.sum())}"})
    return pd.DataFrame(rows).set_index("attribute")


__all__ = ["HAND", "RULES", "consensus", "label_counts", "model_scores"]
