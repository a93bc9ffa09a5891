"""Where the report card's models come from: the one module that asks other chapters for them.

Every model is loaded through the chapter's own cached training call (a missing one is trained by
that same call, never by a second recipe here), with the chapter's parameters for the card's own
profile, so the card reads exactly the models the chapter's pages show:

* :func:`digit_models` - chapter 7 (Defense-GAN): MNIST-5k, classifier A, the FGSM-trained A's,
  Defense-GAN-Rec's classifier, the generator, the attacker's substitutes and the MagNet reformer;
* :func:`attribute_banks` - chapter 1: the converged Euclidean and softmax attribute networks of
  the first training seed and the test split;
* :func:`face_models`, :func:`face_chips`, :func:`descriptor` - chapter 0's registry of pretrained
  face models, the real face photos and dlib's face descriptor.

The chapters' loaders take their chapter's parameters; this is the only place that reads another
chapter's parameter file, and it returns typed records (frozen dataclasses), so nothing else in
the card depends on how a chapter names its settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from torch import Tensor, nn

from ... import params
from ...data.faces import FaceSet, real_faces
from ...data.types import AttributeSet
from ...models.face_descriptor import face_descriptor
from ...models.registry import AttributeModel, attribute_models
from ..attributes import setup as attributes_setup
from ..defense_gan import zoo

DIGITS_CHAPTER = "07_defense_gan"
ATTRIBUTES_CHAPTER = "01_attribute_networks"
OFFICIAL_GAN = (64, 200_000)
"""The official Defense-GAN code's generator width and training iterations."""


@dataclass(frozen=True)
class DigitModels:
    """Chapter 7's MNIST-5k models and split. ``classifiers``: "A", "A-adv<eps>" (FGSM adversarial
    training), "A-rec" (Defense-GAN-Rec's classifier); ``L``, ``R``: the projection chapter 7
    evaluates Defense-GAN with; ``L_unrolled``, ``R_unrolled``: the smaller projection its
    unrolled white-box (CW-L2) runs through; ``adv_eps``, ``adv_epochs``: its FGSM training;
    ``gan_width``, ``gan_iters``: the generator's width and training iterations."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classifiers: dict[str, nn.Module]
    substitutes: dict[str, nn.Module]
    reformer: nn.Module
    generator: nn.Module
    L: int
    R: int
    L_unrolled: int
    R_unrolled: int
    adv_eps: tuple[float, ...]
    adv_epochs: int
    seed: int
    gan_width: int
    gan_iters: int

    @property
    def official_generator(self) -> bool:
        """Trained at the official code's width (64) and iterations (200,000)."""
        return self.gan_width >= OFFICIAL_GAN[0] and self.gan_iters >= OFFICIAL_GAN[1]

    @property
    def generator_text(self) -> str:
        return (f"generator of width {self.gan_width} trained {self.gan_iters} iterations "
                f"(official: {OFFICIAL_GAN[0]}, {OFFICIAL_GAN[1]})")


def digit_models(profile: str) -> DigitModels:
    """Chapter 7's MNIST-5k models for ``profile`` (from the cache, or trained by chapter 7's call)."""
    p = params.load(DIGITS_CHAPTER, profile, {})
    b = zoo.prepare("mnist5k", zoo.ZooConfig.from_params(p))  # on chapter 7's threads (its config's)
    assert b.reformer is not None
    return DigitModels(b.x_train, b.y_train, b.x_test, b.y_test, dict(b.classifiers), dict(b.substitutes),
                       b.reformer, b.G, int(p["L"]), int(p["R"]), int(p["L_cw"]), int(p["R_cw"]),
                       tuple(float(e) for e in p["adv_eps"]), int(p["adv_epochs"]), int(p["seed"]),
                       int(p["gan_width"]), int(p["gan_iters_mnist"]))


@dataclass(frozen=True)
class AttributeBanks:
    """Chapter 1's converged attribute networks of its first training seed, one bank per loss
    ("euclidean", "softmax"), and its test split: ``x`` (N, 1, 28, 28), ``a`` (N, A) in {-1, +1}."""

    x: Tensor
    a: Tensor
    names: tuple[str, ...]
    banks: dict[str, nn.Module]
    seed: int


def attribute_banks(profile: str) -> AttributeBanks:
    """Chapter 1's networks for ``profile`` (from the cache, or trained by chapter 1's call)."""
    p = params.load(ATTRIBUTES_CHAPTER, profile, {})
    data = attributes_setup.attribute_data(attributes_setup.DataConfig.from_params(p), arch=p["arch"])
    if not all(isinstance(d, AttributeSet) for d in data.values()):
        raise ValueError("the report card reads chapter 1's in-memory splits, not CelebA streamed from disk")
    splits = cast(dict[str, AttributeSet], data)
    compute = attributes_setup.Compute(threads=int(p.threads))  # chapter 1's threads: part of the banks' keys
    trained = attributes_setup.attribute_models(attributes_setup.TrainConfig.from_params(p), splits, compute)
    banks = {loss: snaps.converged.requires_grad_(False).eval() for loss, (snaps, _) in trained.items()}
    test = splits["test"]
    return AttributeBanks(test.x, test.a, tuple(test.names), banks, int(p["seed"]))


def face_models(names: tuple[str, ...]) -> dict[str, AttributeModel]:
    """Chapter 0's registry entries ``names`` (e.g. "Male/faceapi"), pretrained, frozen."""
    return attribute_models(list(names))


def face_chips(size: int, padding: float) -> FaceSet:
    """The real face photos' aligned chips at a model's ``size`` and ``padding``, with their labels."""
    return real_faces(size, padding)


def descriptor() -> nn.Module:
    """dlib's 128-d face descriptor (150 x 150 chips, padding 0.25)."""
    return face_descriptor()


__all__ = ["AttributeBanks", "DigitModels", "attribute_banks", "descriptor", "digit_models", "face_chips",
           "face_models"]
