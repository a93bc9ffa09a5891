"""A model wrapper that counts what an attack costs: the rows it evaluates and back-propagates.

``Counted(model)`` is the model; every forward call adds its batch size to ``forwards``, and
every backward pass through its output adds the output's batch size to ``backwards`` (a hook on
the output tensor, so gradients taken with ``torch.autograd.grad`` count too). The counts are
the attack's honest cost whatever it reports itself. Used by :mod:`.worst_case` and the benchmark.
"""

from __future__ import annotations

from torch import Tensor, nn


class Counted(nn.Module):
    """``model`` plus counters ``forwards`` / ``backwards`` (rows) and ``calls`` (forward calls)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.forwards = 0
        self.backwards = 0
        self.calls = 0

    def forward(self, x: Tensor) -> Tensor:
        z = self.model(x)
        self.forwards += len(x)
        self.calls += 1
        if isinstance(z, Tensor) and z.requires_grad:
            z.register_hook(self._backward)
        return z

    def _backward(self, g: Tensor) -> None:
        self.backwards += len(g)

    def take(self) -> tuple[int, int]:
        """``(forwards, backwards)`` since the last call, and reset the counters."""
        out = (self.forwards, self.backwards)
        self.forwards = self.backwards = self.calls = 0
        return out


__all__ = ["Counted"]
