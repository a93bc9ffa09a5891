"""Train the chapter's classifiers, pick the attacked samples and run every attack on them.

Used by ``notebooks/09_k_anonymity.py``: MNIST-5k + LeNet-5, Fashion-MNIST + a small
MobileNetV2 (in place of the paper's CIFAR-10 + MobileNetV2) and a face-identification setting
on the book's real faces ranked by dlib's descriptor (in place of Yale + LightCNN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from ... import cache, fanout
from ... import device as devices
from ...attacks import k_anonymity as ka_mod
from ...attacks.base import AttackResult
from ...data.digits import fashion_mnist, mnist5k
from ...data.faces import real_faces
from ...data.types import ImageSet
from ...metrics import ranking
from ...metrics.cw_ssim import cw_ssim, luma_cw_ssim
from ...models.base import accuracy, embed
from ...models.face_descriptor import MATCH_THRESHOLD, face_descriptor
from ...models.gallery import GalleryClassifier, templates
from . import training


@dataclass(frozen=True)
class Budget:
    """The attacks' settings of one setting (the digits', or the faces' ``face_*`` parameters)."""

    lbfgs_search: int
    lbfgs_iters: int
    cw_binary_steps: int
    cw_steps: int
    cw_lr: float
    deepfool_candidates: int
    ka_steps: int
    ka_lr: float


@dataclass(frozen=True)
class Config:
    """What the chapter's stages read: the two classifiers' training sets and epochs, the attacked
    sample sizes, the face classifier's scale, the K values, the attack budgets of the digit and
    the face settings, and where it all runs (``device``; ``cluster`` for the two trainings)."""

    seed: int
    mnist_train: int
    mnist_epochs: int
    fashion_train: int
    fashion_epochs: int
    n_attack: int
    n_attack_fashion: int
    face_n_attack: int
    face_scale: float
    Ks: tuple[int, ...]
    digits: Budget
    faces: Budget
    device: str | None = "cpu"
    cluster: str | None = None
    threads: int = 1  # CPU threads of a training task on a cluster (in-process: the session's)

    @classmethod
    def from_params(cls, params: Any) -> Config:
        """The configuration of a chapter profile (``params.load("09_k_anonymity", ...)``)."""
        p = params
        digits = Budget(lbfgs_search=p.lbfgs_search, lbfgs_iters=p.lbfgs_iters,
                        cw_binary_steps=p.cw_binary_steps, cw_steps=p.cw_steps, cw_lr=float(p.cw_lr),
                        deepfool_candidates=p.deepfool_candidates, ka_steps=p.ka_steps, ka_lr=p.ka_lr)
        faces = Budget(lbfgs_search=p.face_lbfgs_search, lbfgs_iters=p.face_lbfgs_iters,
                       cw_binary_steps=p.face_cw_binary_steps, cw_steps=p.face_cw_steps,
                       cw_lr=float(p.face_cw_lr), deepfool_candidates=p.face_deepfool_candidates,
                       ka_steps=p.face_ka_steps, ka_lr=p.face_ka_lr)
        return cls(
            seed=int(p.seed), mnist_train=int(p.mnist_train), mnist_epochs=int(p.mnist_epochs),
            fashion_train=int(p.fashion_train), fashion_epochs=int(p.fashion_epochs),
            n_attack=int(p.n_attack), n_attack_fashion=int(p.n_attack_fashion),
            face_n_attack=int(p.face_n_attack), face_scale=float(p.face_scale),
            Ks=tuple(int(k) for k in p.Ks), digits=digits, faces=faces,
            device=p.device, cluster=p.cluster, threads=int(p.threads),
        )


@dataclass
class Setting:
    """One dataset/model pair: the model (on the chapter's device), the attacked (correctly
    classified) samples (on the CPU), the attack budget, the results (on the CPU)."""

    name: str
    model: nn.Module
    x: Tensor
    y: Tensor
    classes: tuple[str, ...]
    similarity: str  # "SSIM" or "MS-SSIM"
    budget: Budget
    info: dict[str, Any] = field(default_factory=dict)
    cw_similarity: ka_mod.Similarity = cw_ssim  # s(x, x~) of Eq. (6)
    results: dict[str, AttackResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def classifier_unit(name: str, make: cache.Make, data: ImageSet, cfg: training.ClassifierConfig,
                    device: str | None = "cpu", threads: int = 1) -> fanout.Unit:
    """The cache entry of a classifier ``make()`` trained on ``cfg.n_train`` images of ``data``
    drawn with the seed (key: ``cfg``, the code of ``make`` and :mod:`.training`, the images), on
    ``device`` (with ``threads`` CPU threads as a task on a cluster)."""
    g = torch.Generator().manual_seed(cfg.seed)
    idx = torch.randperm(len(data), generator=g, device=g.device)[: cfg.n_train]
    fit = training.classifier_fit(data.x[idx], data.y[idx], cfg.epochs, cfg.lr, cfg.seed, device)
    gpus = 1 if devices.resolve(device).type == "cuda" else 0
    return fanout.Unit(name, cfg, cache.seeded(make, cfg.seed), fit, cpus=threads, gpus=gpus)


def _attacked(
    name: str, model: nn.Module, train: ImageSet, test: ImageSet, n: int, seed: int, similarity: str,
    budget: Budget,
) -> Setting:
    """``n`` correctly classified TRAINING samples (as in the paper), chosen at random."""
    dev = devices.of(model)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=g, device=g.device)[: 4 * n]
    with torch.no_grad():
        ok = (model(train.x[idx].to(dev)).argmax(1) == train.y[idx].to(dev)).cpu()
    pick = idx[ok][:n]
    info = {
        "test_accuracy": accuracy(model, test.x.to(dev), test.y.to(dev)),
        "train_accuracy": accuracy(model, train.x[idx].to(dev), train.y[idx].to(dev)),
    }
    return Setting(name, model, train.x[pick], train.y[pick], train.classes, similarity, budget, info)


def digit_settings(cfg: Config) -> list[Setting]:
    """LeNet-5 trained on MNIST-5k's training digits and a small MobileNetV2 on ``cfg.fashion_train``
    Fashion-MNIST images, from the cache or trained now (side by side with ``cfg.cluster`` set:
    :func:`facerobust.fanout.trained`) on ``cfg.device``; ``cfg.n_attack`` and
    ``cfg.n_attack_fashion`` training images to attack."""
    mnist, fashion = (mnist5k("train"), mnist5k("test")), (fashion_mnist("train"), fashion_mnist("test"))
    units = [
        classifier_unit("k-anon-lenet5", training.lenet5, mnist[0], training.ClassifierConfig(
            min(cfg.mnist_train, len(mnist[0])), cfg.mnist_epochs, 2e-3, cfg.seed), cfg.device, cfg.threads),
        classifier_unit("k-anon-mobilenetv2", training.mobilenet, fashion[0], training.ClassifierConfig(
            cfg.fashion_train, cfg.fashion_epochs, 3e-3, cfg.seed), cfg.device, cfg.threads),
    ]
    dev = devices.resolve(cfg.device)
    (lenet, _), (mobilenet, _) = fanout.trained(units, cfg.cluster)
    fashion_test = ImageSet(fashion[1].x[:2000], fashion[1].y[:2000], fashion[1].classes, fashion[1].name)
    return [
        _attacked("MNIST-5k / LeNet-5", lenet.to(dev), *mnist, cfg.n_attack, cfg.seed, "SSIM", cfg.digits),
        _attacked("Fashion-MNIST / MobileNetV2", mobilenet.to(dev), fashion[0], fashion_test,
                  cfg.n_attack_fashion, cfg.seed, "MS-SSIM", cfg.digits),
    ]


def face_split(labels: pd.DataFrame) -> pd.DataFrame:
    """Identities, gallery and probes of the face-identification setting, one row per face.

    A face's identity is its ``identity`` label where the label file gives one (Obama, Biden),
    else the face itself (its ``face_id``: nobody else in the photos is identified). An identity
    with several photos holds its first one out as a probe and enrols the others (the probe is
    then a different photo from every gallery photo); an identity with one photo enrols it and
    probes with the same photo. Columns: ``face_id``, ``identity``, ``label`` (class index, in
    order of first appearance), ``gallery`` and ``probe`` (bool).
    """
    name = labels["identity"].where(labels["identity"] != "", labels["face_id"])
    order = list(dict.fromkeys(name))
    label = name.map({n: i for i, n in enumerate(order)})
    count = name.map(name.value_counts())
    first = ~name.duplicated()
    return pd.DataFrame(
        {
            "face_id": labels["face_id"].to_numpy(),
            "identity": name.to_numpy(),
            "label": label.to_numpy(),
            "gallery": ((count == 1) | ~first).to_numpy(),
            "probe": first.to_numpy(),
        }
    )


def _close_pairs(emb: Tensor, y: Tensor, threshold: float = MATCH_THRESHOLD) -> int:
    """Pairs of faces with different identities whose descriptors lie within dlib's match distance."""
    d = torch.cdist(emb.double(), emb.double())
    diff = y[:, None] != y[None, :]
    return int(((d < threshold) & diff).triu(1).sum())


def face_setting(cfg: Config) -> Setting:
    """Face identification on the real faces, ranked by dlib's descriptor (in place of Yale/LightCNN).

    The classifier is :class:`~facerobust.models.gallery.GalleryClassifier`: logits
    ``cfg.face_scale * cos(descriptor(x), g_c)`` over the identities of :func:`face_split`, ``g_c``
    the mean normalised descriptor of identity c's gallery photos, on ``cfg.device``. The attacked
    images are ``cfg.face_n_attack`` probes (150x150 RGB dlib chips): the held-out probes first,
    then enrolled faces at random, all ranked first by the classifier. ``cfg.faces`` is the attack
    budget of this setting, since each step costs a ResNet pass. The CW-SSIM term of Eq. (6) is
    taken on the luminance (:func:`luma_cw_ssim`).
    """
    dev = devices.resolve(cfg.device)
    faces = real_faces(size=150, padding=0.25)
    split = face_split(faces.labels)
    desc = face_descriptor().to(dev)
    gal = torch.from_numpy(np.flatnonzero(split["gallery"].to_numpy()))
    emb = embed(lambda b: desc(b.to(dev)).cpu(), faces.x)
    y_all = torch.tensor(split["label"].tolist(), dtype=torch.int64, device=emb.device)
    model = GalleryClassifier(desc, templates(emb[gal], y_all[gal]), scale=cfg.face_scale)
    cos_all = model.cosine_of(emb)  # model(faces.x) / scale, from the embeddings already computed
    first = ranking.true_label_rank(cos_all, y_all) == 1
    probes = split.index[split["probe"]].to_numpy()
    held_out = probes[~split.loc[probes, "gallery"].to_numpy()]
    enrolled = probes[split.loc[probes, "gallery"].to_numpy()]
    g = torch.Generator().manual_seed(cfg.seed)
    shuffled = torch.randperm(len(enrolled), generator=g, device=g.device).numpy()
    order = np.concatenate([held_out, enrolled[shuffled]])
    pick = torch.from_numpy(order[first[order].numpy()][: cfg.face_n_attack])
    classes = tuple(split.drop_duplicates("label").sort_values("label")["identity"])
    cos, yp = cos_all[pick], y_all[pick]
    own = cos.gather(1, yp[:, None]).squeeze(1)
    other = cos.gather(1, ranking.runner_up(cos, yp)[:, None]).squeeze(1)
    info = {
        "test_accuracy": float(first[held_out].double().mean()) if len(held_out) else float("nan"),
        "identities": len(classes),
        "gallery photos": int(split["gallery"].sum()),
        "held-out probes": [split.face_id[i] for i in held_out],
        "attacked probes": [split.face_id[int(i)] for i in pick],
        "clean cosine to own template": float(own.mean()),
        "clean cosine margin to runner-up": float((own - other).mean()),
        "different-identity pairs closer than 0.6": _close_pairs(emb, y_all),
        "split": split,
    }
    name = "Real faces / dlib descriptor"
    return Setting(name, model.to(dev), faces.x[pick], yp, classes, "SSIM", cfg.faces, info, luma_cw_ssim)
