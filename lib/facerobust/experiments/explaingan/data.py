"""Binary pairs and the dissertation's four-way split (classifier-train / ExplainGAN-train /
validation / test), Sec. 4.4, for MNIST-5k, Fashion-MNIST and (``full`` only) CelebA.

The split is made on the whole data set (as the dissertation's 2k / 50k / 8k of MNIST's 60k) with a
seeded permutation, then each part keeps the pair's two classes, relabelled 0 and 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ...data import digits
from ...data.types import ImageSet

FASHION = {name.split("/")[0].lower(): i for i, name in enumerate(digits.FASHION_CLASSES)}
DATASETS = ("mnist5k", "fashion")


@dataclass(frozen=True)
class PairData:
    """One binary task: its four splits (labels 0/1) and the names of class 0 and class 1."""

    key: str
    dataset: str
    classes: tuple[str, str]
    clf_train: ImageSet
    gan_train: ImageSet
    val: ImageSet
    test: ImageSet

    @property
    def title(self) -> str:
        return f"{self.dataset} {self.classes[0]} vs {self.classes[1]}"

    def sizes(self) -> dict[str, int]:
        return {"classifier-train": len(self.clf_train), "ExplainGAN-train": len(self.gan_train),
                "validation": len(self.val), "test": len(self.test)}


def to_device(p: PairData, dev: torch.device) -> PairData:
    """The same pair with every split's tensors on ``dev``."""
    def mv(s: ImageSet) -> ImageSet:
        return ImageSet(s.x.to(dev), s.y.to(dev), s.classes, s.name)
    return PairData(p.key, p.dataset, p.classes, mv(p.clf_train), mv(p.gan_train), mv(p.val), mv(p.test))


def _class_index(dataset: str, name: str) -> int:
    if dataset == "mnist5k":
        if name not in digits.DIGITS:
            raise ValueError(f"MNIST class must be a digit 0-9, got {name!r}")
        return int(name)
    if name not in FASHION:
        raise ValueError(f"unknown Fashion-MNIST class {name!r}; known: {', '.join(FASHION)}")
    return FASHION[name]


def _keep_pair(s: ImageSet, a: int, b: int, classes: tuple[str, str]) -> ImageSet:
    idx = torch.nonzero((s.y == a) | (s.y == b)).flatten()
    return ImageSet(s.x[idx].contiguous(), (s.y[idx] == b).long(), classes, s.name)


def four_way(n: int, sizes: Sequence[int], seed: int) -> list[torch.Tensor]:
    """Disjoint index sets of the given sizes from a seeded permutation of range(n)."""
    if len(sizes) != 3 or any(k < 1 for k in sizes) or sum(sizes) > n:
        raise ValueError(f"need three positive split sizes summing to at most {n}, got {list(sizes)}")
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g, device=g.device)
    out, start = [], 0
    for k in sizes:
        out.append(torch.sort(perm[start:start + k]).values)
        start += k
    return out


def load_pair(dataset: str, pair: Sequence[str], sizes: Sequence[int], seed: int = 0) -> PairData:
    """The pair (class 0, class 1) of ``dataset`` with the whole-data-set split ``sizes``
    (classifier-train, ExplainGAN-train, validation), test = the data set's own test split."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ValueError(f"a pair is two different class names, got {list(pair)}")
    classes = (str(pair[0]), str(pair[1]))
    a, b = (_class_index(dataset, c) for c in classes)
    load = digits.mnist5k if dataset == "mnist5k" else digits.fashion_mnist
    train, test = load("train"), load("test")
    parts = [_keep_pair(train.subset(i), a, b, classes) for i in four_way(len(train), sizes, seed)]
    key = f"{dataset}-{classes[0]}-{classes[1]}".replace(" ", "_")
    return PairData(key, dataset, classes, parts[0], parts[1], parts[2], _keep_pair(test, a, b, classes))


def celeba_pair(root: str, attribute: str, sizes: Sequence[int], n_test: int) -> PairData:
    """CelebA without/with ``attribute`` at 28x28 RGB: classifier-train and validation from the
    official validation split (sizes[0], sizes[2]), ExplainGAN-train the first sizes[1] training
    images, test the first ``n_test`` test images (the dissertation's Sec. 4.4 layout)."""
    from ...data.celeba import celeba

    def part(split: str, lo: int, hi: int) -> ImageSet:
        s = celeba(root, split, attributes=[attribute], size=28, limit=hi)
        y = (s.a[lo:hi, 0] > 0).long()
        return ImageSet(s.x[lo:hi].contiguous(), y, (f"no {attribute}", attribute), f"celeba-{split}")

    clf, gan = part("valid", 0, sizes[0]), part("train", 0, sizes[1])
    val, test = part("valid", sizes[0], sizes[0] + sizes[2]), part("test", 0, n_test)
    return PairData(f"celeba-{attribute}", "celeba", (f"no {attribute}", attribute), clf, gan, val, test)
