"""Run a training step eagerly and compiled on twin models, and compare their weights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import descend as dc

Build = Callable[[], tuple[Any, Any]]


def make_step(model: Any, optimizer: Any, loss: Callable[..., Any]) -> Callable[..., Any]:
    """The four-step loop on one batch, as users write it for ``dc.jit``."""

    def train_step(x: Any, y: Any) -> Any:
        optimizer.zero_grad()
        value = loss(y, model(x))
        value.backward()
        optimizer.step()
        return value

    return train_step


def twins(build: Build, loss: Callable[..., Any], seed: int = 0) -> tuple[Any, ...]:
    """Two identical (model, step) pairs from ``build`` (seeded alike)."""
    pairs = []
    for _ in range(2):
        dc.seed(seed)
        model, optimizer = build()
        pairs.append((model, make_step(model, optimizer, loss)))
    return (*pairs[0], *pairs[1])


def run(model: Any, step: Callable[..., Any], batches: list[tuple[np.ndarray, ...]],
        seed: int = 1) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The losses over ``batches`` and the weights after them (the RNG seeded first)."""
    dc.seed(seed)
    losses = [step(dc.Tensor._wrap(x), dc.Tensor._wrap(y)).data.copy() for x, y in batches]
    return losses, weights(model)


def weights(model: Any) -> list[np.ndarray]:
    """A copy of every array in the model's state (parameters and buffers), in order."""
    return [array.copy() for array in model.state_dict().values()]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Bit-for-bit equal lists of arrays."""
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def batches(x_shape: tuple[int, ...], classes: int, sizes: list[int],
            seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random float32 inputs with integer class labels, one batch per size."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, *x_shape)).astype(np.float32),
             rng.integers(0, classes, n)) for n in sizes]


def on_arrays(step: Callable[..., Any]) -> Callable[..., Any]:
    """``step`` called eagerly on arrays, as a compiled step is."""
    return lambda *arrays: step(*map(dc.Tensor._wrap, arrays))


def dense_twins(units: int, inputs: int) -> Iterator[tuple[bool, Any, Any]]:
    """``(compiled, model, optimizer)``: a ``Dense(units)`` layer of ``inputs`` features, built,
    with SGD (lr 0.1), made alike (seeded) for the eager run, then for the compiled one."""
    for compiled in (False, True):
        dc.seed(0)
        model = dc.nn.Dense(units, input_dim=inputs)
        model.build((None, inputs))
        yield compiled, model, dc.optim.SGD(model.parameters(), lr=0.1)


def squares_step(model: Any, optimizer: Any) -> Callable[..., Any]:
    """A step of ``optimizer`` on the mean square of ``model(x)`` (no targets), returning it."""

    def step(x: Any) -> Any:
        optimizer.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss

    return step
