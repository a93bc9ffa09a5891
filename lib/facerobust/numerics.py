"""Portable numerics: the same floating-point bits on every x86-64 CPU this book runs on.

torch picks its CPU kernels at run time: ATen's vectorised kernels by the CPU's instruction set
(AVX-512 on one machine, AVX2 on another), MKL's BLAS by processor vendor and cache sizes, oneDNN's
convolutions by instruction set and cache sizes. Each choice rounds differently, and training
amplifies a last-bit difference into another network (chapter 1's ci error moved from 8.0 to 7.92
between an AMD and an Intel machine of this project's kind). In *portable* mode every such choice is
pinned to one that both kinds of machine support:

* ``ATEN_CPU_CAPABILITY=avx2``: ATen's AVX2 kernels (every machine of ours has AVX2);
* ``MKL_CBWR=COMPATIBLE``: MKL's conditional-numerical-reproducibility branch that Intel documents as
  reproducible on Intel *and* non-Intel processors (the other branches are Intel-only and fall back to
  the CPU's own dispatch elsewhere); it also fixes MKL's reductions and scheduling;
* oneDNN (``torch.backends.mkldnn``) and NNPACK off, so convolutions go through ATen + MKL.

The two environment variables must be set before torch is imported (the Makefile's ``nbval`` and
``regen`` targets do it, see :data:`PORTABLE_ENV`); :func:`apply`, called by
:func:`facerobust.session.start`, switches the backends and checks that the variables took effect.
What it does not pin: numpy/scipy's OpenBLAS, OpenCV and onnxruntime dispatch on their own (the
chapters train nothing with them). Results still depend on the thread count, which every profile fixes.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

MODE_VAR = "FACEROBUST_NUMERICS"
PORTABLE = "portable"
PORTABLE_ENV = {MODE_VAR: PORTABLE, "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "COMPATIBLE"}
"""What a process must have in its environment, before torch is imported, for portable numerics."""


class NumericsError(RuntimeError):
    """Portable numerics asked for, but the process started without its environment variables."""


def mode() -> str:
    """``"portable"`` or ``"native"`` (the CPU's fastest kernels), from ``FACEROBUST_NUMERICS``."""
    value = os.environ.get(MODE_VAR, "native") or "native"
    if value not in ("native", PORTABLE):
        raise NumericsError(f"{MODE_VAR} must be 'native' or 'portable', got {value!r}")
    return value


def apply() -> str:
    """Switch torch's backends for the current mode and return a one-line description of it.

    In portable mode oneDNN and NNPACK are turned off and the ATen capability and MKL branch are
    checked; a process that was started without :data:`PORTABLE_ENV` raises :class:`NumericsError`
    naming the variables to set (they cannot take effect once torch is loaded)."""
    if mode() != PORTABLE:
        return f"numerics: native ({torch.backends.cpu.get_cpu_capability()} kernels)"
    missing = {k: v for k, v in PORTABLE_ENV.items() if os.environ.get(k) != v}
    cap = torch.backends.cpu.get_cpu_capability()
    if missing or cap != "AVX2":
        want = " ".join(f"{k}={v}" for k, v in PORTABLE_ENV.items())
        raise NumericsError(f"portable numerics need `{want}` in the environment before Python starts "
                            f"(ATen runs {cap} kernels here)")
    torch.backends.mkldnn.set_flags(False)
    torch.backends.nnpack.set_flags(False)
    return "numerics: portable (ATen AVX2, MKL CBWR COMPATIBLE, oneDNN and NNPACK off)"


def adopt(wanted: str) -> None:
    """Work in the numerics mode ``wanted`` of the process that asked for the work (a Ray task's
    driver): apply it if this process runs it, else raise :class:`NumericsError` saying how to start
    the workers (a mode is fixed when Python starts)."""
    here = mode()
    if wanted != here:
        raise NumericsError(f"the work is asked for in {wanted} numerics but this process runs {here}: start "
                            f"it (e.g. the Ray workers) with {MODE_VAR}={wanted} and that mode's variables")
    apply()


def cpu_kind() -> str:
    """This CPU's model name and the ATen kernels torch runs on it (e.g. "AMD EPYC, ATen AVX2"): what a
    kept study or benchmark records, since results may differ between CPU kinds in native numerics."""
    name = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, ATen {torch.backends.cpu.get_cpu_capability()}"
