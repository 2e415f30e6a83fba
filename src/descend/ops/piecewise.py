"""Piecewise-linear ops: ``abs``, ``clip``, ``maximum``, ``minimum``.

Their gradients are 0 or 1 (or ±1) depending on which piece an input falls on; at the joins
they follow torch: ``abs`` has gradient 0 at 0, ``clip`` passes the gradient at its bounds, and
``maximum``/``minimum`` share it equally between tied inputs.

>>> import descend as dc
>>> x = dc.tensor([-2.0, 0.5, 3.0], requires_grad=True)
>>> dc.clip(x, -1, 1).sum().backward()
>>> x.grad.numpy()
array([0., 1., 0.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.elementwise import binary, unary
from descend.ops.shape import sum_to
from descend.tensors import ArrayLike, Tensor


class Abs(Function):
    """|x|; d/dx = sign(x) (0 at 0)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * np.sign(self.inputs[0].data)


class Clip(Function):
    """x limited to [low, high]; the gradient passes where low ≤ x ≤ high (as in torch)."""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low, self.high = low, high

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.clip(self.low, self.high)

    def backward(self, gy: Tensor) -> Tensor:
        x = self.inputs[0].data
        inside = array_module(x).ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return gy * inside


class Maximum(Function):
    """Elementwise max(a, b); on ties each side gets half the gradient (as in torch)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return _split_by_winner(self, gy, np.greater)


class Minimum(Function):
    """Elementwise min(a, b); on ties each side gets half the gradient (as in torch)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return _split_by_winner(self, gy, np.less)


def _split_by_winner(fn: Function, gy: Tensor, wins: Any) -> tuple[Tensor | None, Tensor | None]:
    a, b = fn.inputs
    need_a, need_b = fn.needs_input_grad
    a_wins = wins(a.data, b.data)
    tie = a.data == b.data
    share_a = (a_wins + 0.5 * tie).astype(gy.dtype)
    ga = sum_to(gy * share_a, a.shape) if need_a else None
    gb = sum_to(gy * (1.0 - share_a), b.shape) if need_b else None
    return ga, gb


def abs(x: ArrayLike) -> Tensor:
    """|x| elementwise.

    >>> import descend as dc
    >>> dc.abs(dc.tensor([-1.5, 2.0])).numpy()
    array([1.5, 2. ], dtype=float32)
    """
    return unary(Abs, x)


def clip(x: ArrayLike, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit every element to [min, max] (either bound may be None).

    >>> import descend as dc
    >>> dc.clip(dc.tensor([-2.0, 0.5, 3.0]), -1, 1).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min ({min}) must not be greater than max ({max})")
    return unary(Clip, x, low=min, high=max)


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise larger of a and b, with broadcasting.

    >>> import descend as dc
    >>> dc.maximum(dc.tensor([1.0, 5.0]), 3).numpy()
    array([3., 5.], dtype=float32)
    """
    return binary(Maximum, a, b)


def minimum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise smaller of a and b, with broadcasting.

    >>> import descend as dc
    >>> dc.minimum(dc.tensor([1.0, 5.0]), 3).numpy()
    array([1., 3.], dtype=float32)
    """
    return binary(Minimum, a, b)
