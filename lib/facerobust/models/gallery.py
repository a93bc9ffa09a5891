"""A closed-set face-identification classifier: a face embedder plus a gallery of identity templates.

``GalleryClassifier(embedder, templates, scale)`` maps images to logits

    z_c(x) = scale * cos(e(x), g_c),   c = 1..C,

where ``e`` is the embedder (e.g. dlib's 128-d descriptor, :func:`face_descriptor`) and ``g_c``
the unit-norm template of identity ``c``: the normalised mean of the normalised embeddings of its
gallery photos (:func:`templates`). Sorting the logits ranks the gallery identities by cosine
similarity to the probe, the ranking a face-identification system reports; ``scale`` only sets
the softmax temperature so that softmax-based attack losses (cross-entropy) are well conditioned
(the ranking does not depend on it). The module is differentiable with respect to its input and
has no trainable parameters, so the attacks that take a ``model(x) -> (N, C)`` logit classifier
(L-BFGS, DeepFool, C&W, K-anonymity) run on it unchanged.

Used by the K-anonymity chapter (``notebooks/09_k_anonymity.py``), its face-identification setting.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional


def templates(embeddings: Tensor, labels: Tensor, n_classes: int | None = None) -> Tensor:
    """Unit-norm identity templates (C, D): per class, the normalised mean of the normalised
    ``embeddings`` (N, D) of its gallery photos (``labels`` (N,) int64 in 0..C-1).

    Every class needs at least one gallery photo.
    """
    if embeddings.ndim != 2 or labels.shape != (len(embeddings),) or labels.dtype != torch.int64:
        raise ValueError(
            f"embeddings must be (N, D) and labels (N,) int64, got {tuple(embeddings.shape)} and "
            f"{tuple(labels.shape)} {labels.dtype}"
        )
    c = int(labels.max()) + 1 if n_classes is None else n_classes
    counts = torch.bincount(labels, minlength=c)
    if len(counts) > c or int(labels.min()) < 0:
        raise ValueError(f"labels must lie in 0..{c - 1}")
    if (counts == 0).any():
        raise ValueError(f"classes without a gallery photo: {torch.nonzero(counts == 0).flatten().tolist()}")
    e = functional.normalize(embeddings.detach().double(), dim=1)
    sums = torch.zeros(c, e.shape[1], dtype=e.dtype, device=e.device).index_add_(0, labels, e)
    return functional.normalize(sums, dim=1).to(embeddings.dtype)


class GalleryClassifier(nn.Module):
    """``x`` -> ``scale * cos(embedder(x), templates)`` (N, C): identities ranked by cosine similarity.

    ``templates`` (C, D) are normalised again here and stored as a buffer; the embedder is put
    in eval mode with its parameters frozen. Input checks are the embedder's.
    """

    templates: Tensor

    def __init__(self, embedder: nn.Module, templates: Tensor, scale: float = 20.0) -> None:
        super().__init__()
        if templates.ndim != 2 or len(templates) < 2:
            raise ValueError(f"templates must be (C, D) with C >= 2, got {tuple(templates.shape)}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.embedder = embedder.eval().requires_grad_(False)
        self.scale = float(scale)
        self.register_buffer("templates", functional.normalize(templates.detach().float(), dim=1))

    @property
    def n_classes(self) -> int:
        return len(self.templates)

    def cosine(self, x: Tensor) -> Tensor:
        """Cosine similarity (N, C) of each image's embedding to every identity template."""
        return self.cosine_of(self.embedder(x))

    def cosine_of(self, embeddings: Tensor) -> Tensor:
        """:meth:`cosine` from embeddings (N, D) already computed (no embedder pass)."""
        return functional.normalize(embeddings, dim=1) @ self.templates.T

    def forward(self, x: Tensor) -> Tensor:
        return self.scale * self.cosine(x)


__all__ = ["GalleryClassifier", "templates"]
