"""Which device a chapter computes on: the ``device`` parameter of every profile.

``auto`` is CUDA if available, else Apple's MPS, else the CPU; an explicit name (``cpu``,
``cuda``, ``cuda:1``, ``mps``) is used as given and refused if that backend is not there.
Models are moved to the device once; data, attacks, defenses and metrics follow the device of
their inputs (``x.device``), so nothing else in the library names a device.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

AUTO = "auto"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def auto() -> torch.device:
    """CUDA if available, else MPS, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve(name: str | torch.device | None = AUTO) -> torch.device:
    """The ``torch.device`` for a ``device`` parameter (``None`` means ``auto``)."""
    if isinstance(name, torch.device):
        name = str(name)
    if name is None or name == AUTO:
        return auto()
    if not isinstance(name, str):
        raise ValueError(f"device must be 'auto' or a device name such as 'cpu' or 'cuda', got {name!r}")
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device {name!r} is not a device name (use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps')") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available here (use 'auto' or 'cpu')")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        n = torch.cuda.device_count()
        raise ValueError(f"device {name!r} asked for, but only {n} CUDA device(s) exist")
    if dev.type == "mps" and not _mps_available():
        raise ValueError(f"device {name!r} asked for, but MPS is not available here (use 'auto' or 'cpu')")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r}: only cpu, cuda and mps are supported")
    return dev


def of(module: torch.nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer (CPU for a module without any)."""
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return torch.device("cpu")


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads, then restore the previous count. Small models
    (CRISPR's 32x32 networks) train faster on one thread than on two: the per-operation work is
    too small to share."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
