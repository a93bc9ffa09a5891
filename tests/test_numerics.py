"""Portable numerics (facerobust.numerics): the mode is read and checked, and in portable mode a
small training run gives the same bits whatever instruction set MKL and oneDNN are allowed to use,
while the native kernels do not (which is why the nbval references are made in portable mode)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from facerobust import numerics

TRAIN = r"""
import hashlib, torch
from torch import nn
from facerobust import numerics
print(numerics.apply())
torch.set_num_threads(2)
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
opt = torch.optim.Adam(net.parameters(), 1e-3)
x, y = torch.rand(256, 1, 28, 28), torch.randint(0, 10, (256,))
for step in range(8):
    i = torch.arange(32 * step, 32 * step + 32)
    loss = nn.functional.cross_entropy(net(x[i]), y[i])
    opt.zero_grad(); loss.backward(); opt.step()
blob = b"".join(t.detach().numpy().tobytes() for t in net.state_dict().values())
print(hashlib.sha256(blob).hexdigest())
"""


def _train(env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items()
            if k not in numerics.PORTABLE_ENV and not k.startswith(("MKL_", "ONEDNN_", "ATEN_"))}
    out = subprocess.run([sys.executable, "-c", TRAIN], env=base | env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_mode_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(numerics.MODE_VAR, raising=False)
    assert numerics.mode() == "native" and numerics.apply().startswith("numerics: native")
    monkeypatch.setenv(numerics.MODE_VAR, "fast")
    with pytest.raises(numerics.NumericsError, match="native' or 'portable"):
        numerics.mode()


def test_portable_needs_its_environment_before_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    if torch.backends.cpu.get_cpu_capability() == "AVX2" and os.environ.get("MKL_CBWR") == "COMPATIBLE":
        pytest.skip("this process already runs with the portable environment")
    monkeypatch.setenv(numerics.MODE_VAR, numerics.PORTABLE)
    with pytest.raises(numerics.NumericsError, match="ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=COMPATIBLE"):
        numerics.apply()


@pytest.mark.slow
def test_portable_training_is_bitwise_the_same_whatever_the_isa_limits() -> None:
    """MKL and oneDNN are told to use other instruction sets (what another CPU would run): portable
    mode gives one hash; native kernels at two ATen capabilities give two."""
    port = numerics.PORTABLE_ENV
    hashes = {_train(port), _train(port | {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}),
              _train(port | {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "SSE41"})}
    assert len(hashes) == 1
    native = {_train({"ATEN_CPU_CAPABILITY": "avx2"}), _train({"ATEN_CPU_CAPABILITY": "default"})}
    assert len(native) == 2, "native kernels at two capabilities trained the same bits: test is blind"


def test_cache_key_holds_the_numerics_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model trained with native kernels is another entry than one trained in portable mode."""
    from facerobust import cache

    def make() -> torch.nn.Module:
        return torch.nn.Linear(2, 2)

    monkeypatch.setenv("FACEROBUST_NUMERICS", "native")
    native = cache.key("m", {"a": 1}, make)
    assert cache.key("m", {"a": 1}, make) == native
    monkeypatch.setenv("FACEROBUST_NUMERICS", "portable")
    assert cache.key("m", {"a": 1}, make) != native


def test_cache_key_holds_the_thread_count() -> None:
    """One configuration trained on 1 and on 2 threads is two entries: which model a chapter reads
    does not depend on which chapter trained it first."""
    from facerobust import cache
    from facerobust.device import threads

    def make() -> torch.nn.Module:
        return torch.nn.Linear(2, 2)

    with threads(1):
        one = cache.key("m", {"a": 1}, make)
    with threads(2):
        two = cache.key("m", {"a": 1}, make)
    with threads(1):
        assert cache.key("m", {"a": 1}, make) == one != two


def test_cpu_kind_names_the_model_and_the_aten_kernels():
    import torch
    from facerobust import numerics as nm

    kind = nm.cpu_kind()
    name, kernels = kind.rsplit(", ATen ", 1)
    assert name and kernels == torch.backends.cpu.get_cpu_capability()
