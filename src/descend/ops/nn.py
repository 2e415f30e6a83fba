"""Neural-network ops with fused, numerically stable backwards: softmax and log_softmax.

>>> import descend as dc
>>> p = dc.softmax(dc.tensor([[1000.0, 1000.0]]))   # no overflow
>>> p.numpy()
array([[0.5, 0.5]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function
from descend.ops.shape import normalize_axis
from descend.tensors import ArrayLike, Tensor, ensure_tensor


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x minus its maximum along ``axis`` (so exp never overflows; a row without a finite
    maximum, all −inf or with +inf or NaN, gives NaN, as in torch)."""
    return x - x.max(axis=axis, keepdims=True)


class Softmax(Function):
    """exp(x) / Σ exp(x) along an axis; backward y · (g − Σ g·y)."""

    save_output = True
    reads_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(_shifted(x, self.axis))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, gy: Tensor) -> Tensor:
        y = self.output
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """x − logsumexp(x) along an axis; backward g − softmax · Σ g."""

    name = "log_softmax"
    save_output = True
    reads_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = _shifted(x, self.axis)
        z -= np.log(np.exp(z).sum(axis=self.axis, keepdims=True))
        return z

    def backward(self, gy: Tensor) -> Tensor:
        return gy - self.output.exp() * gy.sum(axis=self.axis, keepdims=True)


def softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: exp(x) / Σ exp(x), stable for any input size.

    >>> import descend as dc
    >>> dc.softmax(dc.tensor([0.0, 0.0, 0.0, 0.0])).numpy()
    array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """
    x = ensure_tensor(x, "softmax")
    return Softmax.apply(x, axis=normalize_axis(axis, x.ndim, "softmax"))


def log_softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    """Log-probabilities along ``axis``: x − logsumexp(x), stable for any input size.

    >>> import descend as dc
    >>> dc.log_softmax(dc.tensor([0.0, 0.0])).numpy().round(4)
    array([-0.6931, -0.6931], dtype=float32)
    """
    x = ensure_tensor(x, "log_softmax")
    return LogSoftmax.apply(x, axis=normalize_axis(axis, x.ndim, "log_softmax"))
