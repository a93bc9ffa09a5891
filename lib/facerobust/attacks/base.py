"""The attack contract shared by every attack in the book (CleverHans' call, Foolbox's result).

Every attack is one function

    attack(model, x, y=None, *, targeted=False, <attack parameters>, generator=None) -> AttackResult

* ``x`` (N, C, H, W) float32 in [0, 1], finite, non-empty; everything runs on ``x.device``.
* ``y`` (N,) int64 labels in [0, n_classes): the true labels (untargeted; default: the model's
  own prediction on ``x``, as CleverHans does to avoid label leaking) or, with
  ``targeted=True``, the target labels (then required).
* every parameter after ``y`` is keyword-only, and one name means one thing everywhere
  (``eps``, ``steps``, ``lr``, ``c``, ``kappa``, ``generator``).
* the result: ``x_adv`` is the adversarial image where ``success`` and the *original* image
  where not; ``success`` is decided by re-classifying ``x_adv``; ``info`` holds only
  per-sample tensors (first dimension N) under the keys each attack documents. Where a
  chapter needs what the attack produced for a failed sample (a transfer attack, a rank
  distribution), it is ``info["x_last"]`` (:data:`X_LAST`): the attack's final iterate for
  every sample.
* the caller's model is left as found: training/eval mode of every module, parameter
  ``requires_grad`` and ``.grad``, and every buffer (BatchNorm running statistics and
  ``num_batches_tracked``) are as before, over the whole call (:func:`untouched`, which every
  attack carries); a NaN or infinite model output is an error (``ValueError``), never a success.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import torch
from torch import Tensor, nn

from ..validation import check_batch, check_int, check_labels, check_logits

X_LAST = "x_last"
"""``info`` key of the attack's final iterate for every sample (failed ones included)."""

__all__ = ["X_LAST", "AttackResult", "check_batch", "check_output", "classify", "decide", "finish",
           "in_chunks", "labels_for", "model_untouched", "prepare", "untouched"]


@dataclass(frozen=True)
class AttackResult:
    """``x_adv`` (N, ...) in the model's input range, ``success`` (N,) bool, per-sample ``info``.

    For a bank of A attribute networks attacked at once (:func:`~.attribute_directions.flip_attack`)
    a "sample" is a (sample, attribute) pair: ``x_adv`` (N, A, C, H, W) and ``success`` (N, A).
    ``info`` maps documented keys to tensors whose leading dimensions are ``success.shape`` (e.g.
    the step weight of a line search, the iterations used, the constant ``c`` of a binary search,
    ``x_last``).
    """

    x_adv: Tensor
    success: Tensor
    info: dict[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.success, Tensor) or self.success.dtype != torch.bool:
            raise ValueError("success must be a bool tensor")
        lead = tuple(self.x_adv.shape[: self.success.ndim])
        if self.success.ndim not in (1, 2) or tuple(self.success.shape) != lead:
            raise ValueError(f"success must have one entry per sample: shape {lead}, "
                             f"got {tuple(self.success.shape)}")
        for k, v in self.info.items():
            if not isinstance(v, Tensor) or tuple(v.shape[: len(lead)]) != lead:
                raise ValueError(f"info[{k!r}] must be a per-sample tensor with leading shape {lead}")

    @property
    def rate(self) -> float:
        """Fraction of samples turned (0.0 for an empty batch)."""
        return float(self.success.float().mean()) if len(self.success) else 0.0

    def perturbation_norms(self, x: Tensor, p: float = 2.0) -> Tensor:
        """Per-sample ``||x_adv - x||_p`` (shape of ``success``; ``x`` (N, C, H, W))."""
        ref = x.unsqueeze(1) if self.x_adv.ndim == x.ndim + 1 else x
        return (self.x_adv - ref).flatten(self.success.ndim).norm(p=p, dim=-1)


@contextmanager
def model_untouched(model: object) -> Iterator[None]:
    """Run an attack without changing the caller's model: the mode of every module, the
    ``requires_grad`` and ``.grad`` of every parameter and the values of every buffer (BatchNorm
    running statistics, ``num_batches_tracked``: a model in training mode updates them on every
    forward pass) are as before on exit. Parameters do not require grad inside (the attack
    differentiates with respect to its input only)."""
    if not isinstance(model, nn.Module):
        yield
        return
    modes = [(m, m.training) for m in model.modules()]
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    grads = [p.grad for p in params]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        for p in params:
            p.requires_grad_(False)
        yield
    finally:
        for p, f, g in zip(params, flags, grads, strict=True):
            p.requires_grad_(f)
            p.grad = g
        for m, t in modes:
            m.training = t
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)


Attack = TypeVar("Attack", bound=Callable[..., AttackResult])


def untouched(attack: Attack) -> Attack:
    """Decorate an attack ``attack(model, x, ...)``: the whole call (validation and the clean
    forward pass included) runs under :func:`model_untouched` of ``model`` and of every module
    passed by keyword (e.g. a substitute)."""
    @functools.wraps(attack)
    def run(model: object, *args: Any, **kwargs: Any) -> AttackResult:
        with ExitStack() as stack:
            for m in (model, *kwargs.values()):
                if isinstance(m, nn.Module):
                    stack.enter_context(model_untouched(m))
            return attack(model, *args, **kwargs)

    return cast(Attack, run)


def classify(model: Callable[[Tensor], Tensor], x: Tensor, *, name: str = "model") -> Tensor:
    """``model(x)`` checked to be finite (N, C) logits."""
    return check_logits(model(x), len(x), name=name)


def prepare(model: Callable[[Tensor], Tensor], x: object, y: object, targeted: bool,
            *, clean: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
    """Validate ``x`` and ``y`` for an attack; returns ``(x.detach(), y, clean logits)``.

    ``y=None`` means the model's own prediction (untargeted only). With ``clean`` (or when
    ``y`` is None) the clean logits are computed, checked finite, and the labels range-checked
    against the number of classes; with ``clean=False`` the attack must call
    :func:`check_output` on the first logits it computes (saves one forward pass).
    """
    xb = check_batch(x).detach()
    if not isinstance(targeted, bool):
        raise ValueError(f"targeted must be a bool, got {targeted!r}")
    if y is None and targeted:
        raise ValueError("y (the target labels) is required when targeted=True")
    labels = None if y is None else check_labels(y, len(xb), name="y").to(xb.device)
    if not clean and labels is not None:
        return xb, labels, None
    with torch.no_grad():
        try:
            z = classify(model, xb)
        except RuntimeError as exc:  # e.g. a shape the model cannot take: say which argument
            raise ValueError(f"model: cannot classify x of shape {tuple(xb.shape)}: "
                             f"{str(exc).splitlines()[0]}") from exc
    if labels is None:
        return xb, z.argmax(1), z
    return xb, check_output(z, labels), z


def check_output(logits: Tensor, y: Tensor, *, name: str = "model") -> Tensor:
    """Finite (N, K) logits and labels ``y`` in [0, K); returns ``y``."""
    check_logits(logits, len(y), name=name)
    return check_labels(y, len(y), logits.shape[1], name="y")


def labels_for(model: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The model's prediction on ``x`` (the default ``y`` of an untargeted attack)."""
    with torch.no_grad():
        return classify(model, x).argmax(1)


def decide(logits: Tensor, y: Tensor, targeted: bool) -> Tensor:
    """Success of a classification attack: ``argmax == y`` (targeted) or ``argmax != y``."""
    pred = logits.argmax(1)
    return pred == y if targeted else pred != y


def finish(model: Callable[[Tensor], Tensor], x: Tensor, y: Tensor, targeted: bool,
           info: dict[str, Tensor]) -> AttackResult:
    """Re-classify ``info["x_last"]``; successful samples keep it, failed ones return ``x``."""
    last = info[X_LAST]
    with torch.no_grad():
        success = decide(classify(model, last), y, targeted)
    x_adv = torch.where(success.view(-1, *[1] * (x.ndim - 1)), last, x).detach()
    return AttackResult(x_adv, success, info)


def in_chunks(attack: Callable[..., AttackResult], model: Callable[[Tensor], Tensor], x: Tensor,
              y: Tensor | None, chunk: int, **params: Any) -> AttackResult:
    """``attack(model, x, y, **params)`` run on ``chunk`` samples at a time, the results concatenated
    (the same result for an attack that treats samples independently; what it bounds is memory, e.g.
    the graph of an attack through an unrolled Defense-GAN projection)."""
    check_int(chunk, "chunk", lo=1)
    if len(x) == 0:
        raise ValueError("x: empty batch (N = 0)")
    parts = [attack(model, x[i:i + chunk], None if y is None else y[i:i + chunk], **params)
             for i in range(0, len(x), chunk)]
    info = {k: torch.cat([p.info[k] for p in parts]) for k in parts[0].info}
    return AttackResult(torch.cat([p.x_adv for p in parts]), torch.cat([p.success for p in parts]), info)
