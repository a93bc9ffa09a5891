"""Binary "attributes" of Fashion-MNIST garments, the offline stand-in for CelebA's 40 attributes.

CelebA gives every face forty yes/no labels; Fashion-MNIST gives every image one of ten classes.
:data:`ATTRIBUTES` turns the class into several yes/no labels of the *same* image, each the
union of one or more classes, so that one network per attribute, the Table-I counts and the
cross-attribute portability heatmap of Rozsa et al. (2016) can all be computed in miniature.
Some attributes are correlated (Upper_Body, Long_Sleeves, Front_Opening, Warm share classes),
like CelebA's Goatee / No_Beard, which is what makes portability interesting.
Used by the chapters 01-03 (Rozsa et al.).
"""

from __future__ import annotations

import pandas as pd
import torch

from .digits import FASHION_CLASSES, fashion_mnist
from .types import AttributeSet

# attribute -> (classes where it is present (+1), one-line rationale). Every other class is -1.
ATTRIBUTES: dict[str, tuple[tuple[str, ...], str]] = {
    "Footwear": (("Sandal", "Sneaker", "Ankle boot"), "worn on the feet"),
    "Upper_Body": (("T-shirt/top", "Pullover", "Coat", "Shirt"), "worn on the torso only"),
    "Long_Sleeves": (("Pullover", "Coat", "Shirt"), "sleeves reach the wrist"),
    "Front_Opening": (("Coat", "Shirt"), "opens at the front (buttons or zip)"),
    "Warm": (("Pullover", "Coat", "Ankle boot"), "winter wear"),
    "Casual": (("T-shirt/top", "Trouser", "Sneaker"), "jeans-and-trainers wear"),
    "Covers_Legs": (("Trouser", "Dress"), "covers the legs"),
    "Textile": (("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Shirt"), "garment made of cloth"),
    "Open_Toe": (("Sandal",), "toes visible"),
    "Bag": (("Bag",), "a bag, not clothing"),
}

for _name, (_cls, _why) in ATTRIBUTES.items():
    if not set(_cls) <= set(FASHION_CLASSES):
        raise AssertionError(f"{_name}: unknown class in {_cls}")


def attribute_table() -> pd.DataFrame:
    """The attribute definitions as a table (one row per attribute, one column per class),
    with '+' where the attribute is present, and the rationale: rendered in chapter 01."""
    rows = {
        name: {c: ("+" if c in cls else "") for c in FASHION_CLASSES} | {"rationale": why}
        for name, (cls, why) in ATTRIBUTES.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def class_to_attributes(names: tuple[str, ...] | None = None) -> torch.Tensor:
    """(10, A) int64 matrix in {-1, +1}: row = Fashion-MNIST class, column = attribute."""
    names = tuple(ATTRIBUTES) if names is None else names
    unknown = [n for n in names if n not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"unknown attribute(s) {unknown}; known: {', '.join(ATTRIBUTES)}")
    m = torch.tensor([[1 if c in ATTRIBUTES[n][0] else -1 for n in names] for c in FASHION_CLASSES])
    return m.long()


def fashion_attributes(
    split: str = "train", names: tuple[str, ...] | None = None, limit: int | None = None, offset: int = 0
) -> AttributeSet:
    """Fashion-MNIST images (N, 1, 28, 28) in [0, 1] with attributes (N, A) in {-1, +1}.

    ``split``: 'train' (60 000) or 'test' (10 000); ``limit``/``offset``: the slice
    ``[offset, offset + limit)`` of the split, so disjoint train / validation parts can be cut.
    """
    data = fashion_mnist(split)
    names = tuple(ATTRIBUTES) if names is None else tuple(names)
    stop = len(data) if limit is None else offset + limit
    if offset < 0 or stop > len(data) or offset >= stop:
        raise ValueError(f"slice [{offset}, {stop}) is outside the {len(data)} {split} images")
    x, y = data.x[offset:stop], data.y[offset:stop]
    a = class_to_attributes(names)[y]
    return AttributeSet(x.contiguous(), a, names, f"fashion-attributes-{split}", y)
