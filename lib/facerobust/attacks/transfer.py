"""An attack crafted on another model (a surrogate) and judged on the target.

``transfer(model, x, y, source=s, attack=a, **params)`` runs the attack ``a`` (any attack of the
book's contract, :mod:`.base`) on the surrogate ``s`` and sends its final iterate of every sample
(``info["x_last"]``: the successful image, or for a failed sample the attack's best point) to the
target ``model``, which decides success by re-classifying. One function covers three threat models:

* a **transfer** attack: ``s`` is a substitute the attacker trained (Papernot et al.'s black box);
* an **adaptive** attack on a defense with a non-differentiable or random part (Athalye et al. 2018):
  ``s`` is the defended classifier with BPDA and EOT (:mod:`.adaptive`) and ``model`` the defense
  itself, so a success on the smoothed surrogate counts only if the real defense is fooled;
* a white-box attack through a cheaper copy of the defense (Defense-GAN unrolled at a smaller L, R).

Budget: the surrogate attack's own projection keeps the image in its ``eps``-ball within [0, 1].
Contract: :mod:`.base`; ``info``: ``x_last`` (what was sent), ``queries`` / ``gradients`` (N,) the
surrogate's passes as the inner attack reports them (absent when it reports none; an EOT
surrogate's passes count once per draw), ``source_success``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from .base import X_LAST, AttackResult, finish, model_untouched, prepare


def transfer(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    source: nn.Module,
    attack: Callable[..., AttackResult],
    generator: torch.Generator | None = None,
    **params: Any,
) -> AttackResult:
    """``x' = attack(source, x, y, **params).info["x_last"]``; success iff ``model(x')`` is wrong
    (untargeted) or the target (targeted).

    Args:
        model: the target classifier (N, C, H, W) -> logits (N, K); only forward passes.
        x: (N, C, H, W) float32 in [0, 1]; ``y``: (N,) int64 true labels (default: the target's
        prediction) or targets with ``targeted=True``. ``source``: the surrogate classifier with
        the same label set; ``attack``: an attack function of the book's contract; ``params``: its
        keyword parameters (the budget: ``eps``, ``norm``, ``steps``, ...); ``generator``: passed
        to the inner attack. With ``functools.partial(transfer, source=s, attack=a)`` it is an
        :class:`~.worst_case.AttackSpec` whose parameters are the inner attack's budget.
    Returns:
        :class:`AttackResult` judged on ``model``; ``info``: ``x_last``, ``source_success`` (N,)
        bool (the surrogate was fooled), and the inner attack's ``queries`` / ``gradients``.

    Example::

        res = transfer(target, x, y, source=substitute, attack=apgd, eps=0.3, norm="Linf")
    """
    if not isinstance(source, nn.Module):
        raise ValueError(f"source must be an nn.Module (the surrogate), got {type(source).__name__}")
    if not callable(attack):
        raise ValueError("attack must be an attack function (model, x, y, **params) -> AttackResult")
    x, y, _ = prepare(model, x, y, targeted)
    with model_untouched(model):
        inner = attack(source, x, y, targeted=targeted, **params, generator=generator)
        if not isinstance(inner, AttackResult) or tuple(inner.success.shape) != (len(x),):
            raise ValueError("attack must return an AttackResult with one entry per sample")
        sent = inner.info.get(X_LAST, inner.x_adv).detach()
        info = {X_LAST: sent, "source_success": inner.success.clone()}
        draws = int(getattr(source, "draws", 1))  # an EOT surrogate: each pass is `draws` passes
        info.update({k: draws * inner.info[k] for k in ("queries", "gradients") if k in inner.info})
        return finish(model, x, y, targeted, info)


__all__ = ["transfer"]
