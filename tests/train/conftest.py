"""Shared data and models for the trainer tests (small, so the suite stays fast)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import descend as dc


@pytest.fixture
def regression() -> tuple[np.ndarray, np.ndarray]:
    """40 samples of a noisy linear function of 3 features: x (40, 3), y (40, 1), float32."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(40, 1)))
    return x, y.astype(np.float32)


@pytest.fixture
def make_model() -> Callable[..., dc.Sequential]:
    """A factory: a compiled 3-8-1 tanh MLP, the same weights for the same ``init_seed``."""

    def make(*, lr: float = 0.05, optimizer: str = "sgd", dropout: float = 0.0,
             metrics: list | None = None, init_seed: int = 0) -> dc.Sequential:
        dc.seed(init_seed)
        layers = [dc.nn.Dense(8, activation="tanh", input_dim=3)]
        if dropout:
            layers.append(dc.nn.Dropout(dropout))
        model = dc.Sequential([*layers, dc.nn.Dense(1)])
        model.compile(dc.optim.get(optimizer, lr=lr), "mse", metrics=metrics or [])
        return model

    return make


@pytest.fixture
def same_weights() -> Callable[[list[np.ndarray], list[np.ndarray]], bool]:
    """Whether two weight lists are bit-for-bit equal (same dtypes, shapes and values)."""

    def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
        return len(a) == len(b) and all(
            u.dtype == v.dtype and u.shape == v.shape and np.array_equal(u, v)
            for u, v in zip(a, b))

    return same
