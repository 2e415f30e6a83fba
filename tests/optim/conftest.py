"""Shared problems for the optimizer tests: the same loss written with descend and with torch.

A :class:`Problem` runs an optimizer for a number of steps from fixed initial parameters and
returns a snapshot of the parameters after every step, so tests can compare descend with
torch.optim step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import descend as dc

torch = pytest.importorskip("torch")

Snapshots = list[list[np.ndarray]]


@dataclass
class Problem:
    """A scalar loss of a list of parameters, written once with descend and once with torch."""

    name: str
    initial: list[np.ndarray]
    descend_loss: Callable[[list[dc.Tensor]], dc.Tensor]
    torch_loss: Callable[[list[Any]], Any]

    def descend_params(self, dtype: Any = np.float64, device: str = "cpu") -> list[dc.Tensor]:
        return [dc.tensor(a, dtype=dtype, device=device, requires_grad=True)
                for a in self.initial]

    def descend_run(self, make: Callable[[list[dc.Tensor]], Any], steps: int = 100, *,
                    sign: float = 1.0, dtype: Any = np.float64,
                    params: list[dc.Tensor] | None = None,
                    on_step: Callable[[int, Any, list[dc.Tensor]], None] | None = None,
                    ) -> Snapshots:
        """Snapshots of the parameters after each of ``steps`` steps of ``make(params)``."""
        params = self.descend_params(dtype) if params is None else params
        return _run(make(params), params, self.descend_loss, steps, sign, on_step,
                    lambda p: p.numpy().copy())

    def torch_run(self, make: Callable[[list[Any]], Any], steps: int = 100, *,
                  sign: float = 1.0,
                  on_step: Callable[[int, Any, list[Any]], None] | None = None) -> Snapshots:
        """The same as :meth:`descend_run`, with torch tensors and a torch optimizer."""
        params = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                  for a in self.initial]
        return _run(make(params), params, self.torch_loss, steps, sign, on_step,
                    lambda p: p.detach().numpy().copy())


def _run(optimizer: Any, params: list[Any], loss: Callable[[list[Any]], Any], steps: int,
         sign: float, on_step: Callable[[int, Any, list[Any]], None] | None,
         snapshot: Callable[[Any], np.ndarray]) -> Snapshots:
    """Clear the gradients, backpropagate ``sign · loss`` and step, ``steps`` times."""
    snapshots = []
    for step in range(steps):
        if on_step is not None:
            on_step(step, optimizer, params)
        for p in params:
            p.grad = None
        (loss(params) * sign).backward()
        optimizer.step()
        snapshots.append([snapshot(p) for p in params])
    return snapshots


def _mlp() -> Problem:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
    initial = [0.5 * rng.standard_normal((4, 8)), 0.1 * rng.standard_normal(8),
               0.5 * rng.standard_normal((8, 1)), 0.1 * rng.standard_normal(1)]

    def descend_loss(p: list[dc.Tensor]) -> dc.Tensor:
        xs = dc.tensor(x, dtype=p[0].dtype, device=p[0].device)
        ys = dc.tensor(y, dtype=p[0].dtype, device=p[0].device)
        hidden = dc.linear(xs, p[0], p[1]).tanh()
        return ((dc.linear(hidden, p[2], p[3]) - ys) ** 2).mean()

    def torch_loss(p: list[Any]) -> Any:
        hidden = torch.tanh(torch.tensor(x) @ p[0] + p[1])
        return ((hidden @ p[2] + p[3] - torch.tensor(y)) ** 2).mean()

    return Problem("mlp", initial, descend_loss, torch_loss)


def _rosenbrock() -> Problem:
    def loss(p: list[Any]) -> Any:
        a, b = p[0][0], p[0][1]
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2

    return Problem("rosenbrock", [np.array([-1.5, 2.0])], loss, loss)


PROBLEMS = {"mlp": _mlp(), "rosenbrock": _rosenbrock()}


@pytest.fixture
def problems() -> dict[str, Problem]:
    """The MLP on fixed random data and the Rosenbrock function."""
    return PROBLEMS


@pytest.fixture
def torch_float64():
    """Torch's default dtype float64 (its optimizers keep scalar state such as NAdam's
    ``mu_product`` in the default dtype), restored afterwards."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def max_difference(ours: list[np.ndarray], theirs: list[np.ndarray]) -> float:
    """The largest absolute difference between matching arrays of two parameter lists."""
    return max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))


@pytest.fixture
def assert_same_trajectory() -> Callable[..., None]:
    """Assert two runs agree within ``tol`` after every step, naming the first step that not."""

    def check(ours: Snapshots, theirs: Snapshots, what: str, tol: float = 1e-8) -> None:
        assert len(ours) == len(theirs)
        for step, (a, b) in enumerate(zip(ours, theirs), start=1):
            diff = max_difference(a, b)
            assert diff <= tol, (f"{what}: parameters differ from torch by {diff:.3g} after "
                                 f"step {step} (tolerance {tol})")

    return check
