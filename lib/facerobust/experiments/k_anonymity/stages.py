"""Train the chapter's classifiers, pick the attacked samples and run every attack on them.

Used by ``notebooks/09_k_anonymity.py``: MNIST-5k + LeNet-5, Fashion-MNIST + a small
MobileNetV2 (in place of the paper's CIFAR-10 + MobileNetV2) and a face-identification setting
on the book's real faces ranked by dlib's descriptor (in place of Yale + LightCNN).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import cw as cw_mod
from ...attacks import deepfool as df_mod
from ...attacks import k_anonymity as ka_mod
from ...attacks import lbfgs as lb_mod
from ...attacks.base import X_LAST, AttackResult
from ...data.digits import fashion_mnist, mnist5k
from ...data.faces import real_faces
from ...data.types import ImageSet
from ...metrics import ranking, ssim
from ...metrics.cw_ssim import cw_ssim, luma_cw_ssim
from ...models import small_nets
from ...models.base import accuracy, embed
from ...models.face_descriptor import MATCH_THRESHOLD, face_descriptor
from ...models.gallery import GalleryClassifier, templates
from ...progress import progress


@dataclass
class Setting:
    """One dataset/model pair: the model, the attacked (correctly classified) samples, the results."""

    name: str
    model: nn.Module
    x: Tensor
    y: Tensor
    classes: tuple[str, ...]
    similarity: str  # "SSIM" or "MS-SSIM"
    info: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # attack parameters overriding the chapter's
    cw_similarity: ka_mod.Similarity = cw_ssim  # s(x, x~) of Eq. (6)
    results: dict[str, AttackResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def classifier_fit(x: Tensor, y: Tensor, epochs: int, lr: float, seed: int) -> cache.Fit:
    """How a setting's classifier trains: :func:`small_nets.fit_classifier` on ``(x, y)``."""
    return partial(small_nets.fit_classifier, x=x, y=y, epochs=epochs, lr=lr, seed=seed)


def _train(name: str, make: Callable[[], nn.Module], data: ImageSet, cfg: Mapping[str, Any]) -> nn.Module:
    """The classifier ``make()`` trained on ``cfg['n_train']`` images of ``data`` drawn with the seed,
    cached (key: ``cfg``, the code of ``make`` and :func:`small_nets.fit_classifier`, the images)."""
    n = int(cfg["n_train"])
    g = torch.Generator().manual_seed(int(cfg["seed"]))
    idx = torch.randperm(len(data), generator=g, device=g.device)[:n]
    fit = classifier_fit(data.x[idx], data.y[idx], int(cfg["epochs"]), float(cfg["lr"]), int(cfg["seed"]))
    model, _ = cache.cached_module(name, cfg, make, fit)
    return model


def _attacked(
    name: str, model: nn.Module, train: ImageSet, test: ImageSet, n: int, seed: int, similarity: str
) -> Setting:
    """``n`` correctly classified TRAINING samples (as in the paper), chosen at random."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=g, device=g.device)[: 4 * n]
    with torch.no_grad():
        ok = model(train.x[idx]).argmax(1) == train.y[idx]
    pick = idx[ok][:n]
    info = {
        "test_accuracy": accuracy(model, test.x, test.y),
        "train_accuracy": accuracy(model, train.x[idx], train.y[idx]),
    }
    return Setting(name, model, train.x[pick], train.y[pick], train.classes, similarity, info)


def mnist_setting(P: Mapping[str, Any]) -> Setting:
    """LeNet-5 trained on MNIST-5k's 4000 training digits; ``P.n_attack`` digits to attack."""
    tr, te = mnist5k("train"), mnist5k("test")
    cfg = {
        "n_train": min(P["mnist_train"], len(tr)),
        "epochs": P["mnist_epochs"],
        "lr": 2e-3,
        "seed": P["seed"],
    }
    model = _train("k-anon-lenet5", small_nets.lenet5, tr, cfg)
    return _attacked("MNIST-5k / LeNet-5", model, tr, te, P["n_attack"], P["seed"], "SSIM")


def fashion_setting(P: Mapping[str, Any]) -> Setting:
    """A small MobileNetV2 trained on ``P.fashion_train`` Fashion-MNIST images."""
    tr, te = fashion_mnist("train"), fashion_mnist("test")
    cfg = {
        "n_train": P["fashion_train"],
        "epochs": P["fashion_epochs"],
        "lr": 3e-3,
        "seed": P["seed"],
        "width": 16,
    }
    model = _train("k-anon-mobilenetv2", small_nets.mobilenet_v2_small, tr, cfg)
    te = ImageSet(te.x[:2000], te.y[:2000], te.classes, te.name)
    return _attacked(
        "Fashion-MNIST / MobileNetV2", model, tr, te, P["n_attack_fashion"], P["seed"], "MS-SSIM"
    )


FACE_PARAMS = (
    "lbfgs_search",
    "lbfgs_iters",
    "cw_binary_steps",
    "cw_steps",
    "cw_lr",
    "deepfool_candidates",
    "ka_steps",
    "ka_lr",
)


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


def face_setting(P: Mapping[str, Any]) -> Setting:
    """Face identification on the real faces, ranked by dlib's descriptor (in place of Yale/LightCNN).

    The classifier is :class:`~facerobust.models.gallery.GalleryClassifier`: logits
    ``P.face_scale * cos(descriptor(x), g_c)`` over the identities of :func:`face_split`, ``g_c``
    the mean normalised descriptor of identity c's gallery photos. The attacked images are
    ``P.face_n_attack`` probes (150x150 RGB dlib chips): the held-out probes first, then
    enrolled faces at random, all ranked first by the classifier. ``face_*`` parameters set the
    attack budgets of this setting (:data:`FACE_PARAMS`), since each step costs a ResNet pass.
    The CW-SSIM term of Eq. (6) is taken on the luminance (:func:`luma_cw_ssim`).
    """
    faces = real_faces(size=150, padding=0.25)
    split = face_split(faces.labels)
    desc = face_descriptor()
    gal = torch.from_numpy(np.flatnonzero(split["gallery"].to_numpy()))
    emb = embed(desc, faces.x)
    y_all = torch.tensor(split["label"].tolist(), dtype=torch.int64, device=emb.device)
    model = GalleryClassifier(desc, templates(emb[gal], y_all[gal]), scale=float(P["face_scale"]))
    cos_all = model.cosine_of(emb)  # model(faces.x) / scale, from the embeddings already computed
    first = ranking.true_label_rank(cos_all, y_all) == 1
    probes = split.index[split["probe"]].to_numpy()
    held_out = probes[~split.loc[probes, "gallery"].to_numpy()]
    enrolled = probes[split.loc[probes, "gallery"].to_numpy()]
    g = torch.Generator().manual_seed(int(P["seed"]))
    shuffled = torch.randperm(len(enrolled), generator=g, device=g.device).numpy()
    order = np.concatenate([held_out, enrolled[shuffled]])
    pick = torch.from_numpy(order[first.cpu()[order].numpy()][: int(P["face_n_attack"])])
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
    params = {k: P[f"face_{k}"] for k in FACE_PARAMS}
    name = "Real faces / dlib descriptor"
    return Setting(name, model, faces.x[pick], yp, classes, "SSIM", info, params, luma_cw_ssim)


def attack_all(s: Setting, P: Mapping[str, Any]) -> Setting:
    """Run L-BFGS, DeepFool, C&W and the K-anonymity attack (each K, plus K=1 without CW-SSIM).

    ``s.params`` overrides the chapter parameters ``P`` for this setting (e.g. the face budgets).
    K values with K + 1 > number of classes are skipped.
    """
    m, x, y = s.model, s.x, s.y
    P = {**P, **s.params}
    with torch.no_grad():
        runner_up = ranking.runner_up(m(x), y)
    g = torch.Generator().manual_seed(int(P["seed"]))
    cw_l2 = partial(cw_mod.cw_l2, lr=float(P["cw_lr"]))
    jobs: dict[str, Callable[[], AttackResult]] = {
        "L-BFGS": lambda: lb_mod.lbfgs(
            m, x, runner_up, targeted=True, search_steps=P["lbfgs_search"], iters=P["lbfgs_iters"]
        ),
        "DeepFool": lambda: df_mod.deepfool(m, x, y, candidates=int(P["deepfool_candidates"])),
        "C&W": lambda: cw_l2(
            m, x, runner_up, targeted=True, binary_steps=P["cw_binary_steps"], steps=P["cw_steps"]
        ),
    }
    for K in P["Ks"]:
        if K + 1 > len(s.classes):
            continue
        k = ka_mod.assign_groups(len(x), K, g)
        jobs[f"K-anon. K={K}"] = partial(
            ka_mod.k_anonymity, m, x, y, k=k, steps=P["ka_steps"], lr=P["ka_lr"], similarity=s.cw_similarity
        )
    k1 = torch.full((len(x),), 2, dtype=torch.int64, device=x.device)
    jobs["K-anon. K=1, no CW-SSIM"] = lambda: ka_mod.k_anonymity(
        m, x, y, k=k1, steps=P["ka_steps"], lr=P["ka_lr"], sim_weight=0.0
    )
    for name, job in progress(jobs.items(), desc=s.name.split(" / ")[0]):
        t0 = time.perf_counter()
        s.results[name] = job()
        s.seconds[name] = time.perf_counter() - t0
    return s


def _similarity(s: Setting, x_adv: Tensor) -> Tensor:
    if s.similarity == "SSIM":
        return ssim.ssim(s.x, x_adv)
    return ssim.ms_ssim(s.x, x_adv, scales=3, win_size=7)


def summary_table(s: Setting) -> pd.DataFrame:
    """Per attack: ASR %, SSIM or MS-SSIM (x100), MSE, rank-2 recovery %, max pmf, success, time,
    the rank pmf, the sample size ``n`` and the per-image MSE and similarity (for paired tests)."""
    rows = []
    for name, r in s.results.items():
        x_last = r.info[X_LAST]  # failed samples count with their last iterate (rank distribution)
        with torch.no_grad():
            scores = s.model(x_last)
        ranks = ranking.true_label_rank(scores, s.y)
        pmf = ranking.rank_pmf(ranks, scores.shape[1])
        sim, mse = 100 * _similarity(s, x_last).detach(), ranking.mse(s.x, x_last).detach()
        rows.append(
            {
                "attack": name,
                "ASR %": 100 * ranking.attack_success_rate(scores, s.y),
                s.similarity: float(sim.mean()),
                "MSE": float(mse.mean()),
                "L2": float((x_last - s.x).flatten(1).norm(dim=1).mean()),
                "rank-2 recovery %": 100 * ranking.rank2_recovery(scores, s.y),
                "max p(j)": float(pmf.max()),
                "attack success %": 100 * r.rate,
                "seconds": s.seconds.get(name, float("nan")),
                "pmf": pmf.numpy(),
                "n": len(s.y),
                "MSE per image": mse.numpy(),
                f"{s.similarity} per image": sim.numpy(),
            }
        )
    return pd.DataFrame(rows).set_index("attack")


def pmf_frame(tables: Mapping[str, pd.DataFrame], ranks: int = 10) -> pd.DataFrame:
    """The rank pmfs of every (setting, attack) for ranks 1..``ranks``, the rest summed in ``>ranks``.

    The face setting has more classes (identities) than ranks shown; the digit settings have 10.
    """
    rows = {}
    for name, t in tables.items():
        for a in t.index:
            pmf = np.asarray(t.loc[a, "pmf"], dtype=float)
            rows[(name, a)] = [*pmf[:ranks], *([0.0] * (ranks - len(pmf))), pmf[ranks:].sum()]
    return pd.DataFrame(rows, index=[*range(1, ranks + 1), f">{ranks}"]).T
