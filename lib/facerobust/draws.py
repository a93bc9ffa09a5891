"""Initial weights drawn from the global torch generator in sequence, made reproducible anywhere.

Some chapters build their networks one after the other from the global generator (seeded once at
the start of the chapter), so each network's initial weights depend on the draws before it.
:func:`drawn_now` records the generator's state for one build and advances it as the build would,
so the returned ``make`` gives the same network in this process or in a Ray task
(:mod:`facerobust.fanout`). New code seeds each build instead (:func:`facerobust.cache.seeded`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import nn


def _restored_build(build: Callable[[], nn.Module], state: torch.Tensor) -> nn.Module:
    torch.set_rng_state(state)
    return build()


def drawn_now(build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    """``build`` as the global torch generator would run it now: the generator's state is recorded
    and advanced past one build (as calling ``build`` here would), and the returned ``make``
    restores that state first, so its initial weights are those a build at this point draws,
    wherever it runs. The recorded state is a tensor the ``make`` holds: part of its cache key."""
    state = torch.get_rng_state()
    build()
    return partial(_restored_build, build, state)
