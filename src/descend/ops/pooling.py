"""Pooling of NCHW images: ``max_pool2d`` and ``avg_pool2d``, each a pair of ops.

Max pooling takes the largest element of each window with one ``np.maximum`` pass per kernel
offset (no copy of the windows, no argmax); its gradient goes to the first largest element of
each window (torch's rule), found in backward from the output. Average pooling sums windows.
Each op's backward is another op (scatter/gather, sum/spread), so pooling can be
differentiated twice.

>>> import descend as dc
>>> max_pool2d(dc.arange(16.0).reshape(1, 1, 4, 4)).numpy()
array([[[[ 5.,  7.],
         [13., 15.]]]], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.window import Pair, Window, pool_window
from descend.tensors import ArrayLike, Tensor, ensure_tensor


class MaxPool2d(Function):
    """The largest element of each window (the border, if any, is −inf and never wins)."""

    name = "max_pool2d"
    save_output = True

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, x: np.ndarray) -> np.ndarray:
        padded = self.window.padded(x, -np.inf)
        out = None
        for rows, columns in self.window.offsets():
            part = padded[:, :, rows, columns]
            out = part.copy() if out is None else np.maximum(out, part, out=out)
        return out

    def backward(self, gy: Tensor) -> Tensor:
        padded = self.window.padded(self.inputs[0].data, -np.inf)
        best = self.output.data
        taken = array_module(best).zeros(best.shape, dtype=bool)
        hits = []
        for rows, columns in self.window.offsets():  # the first maximum of each window wins
            hit = padded[:, :, rows, columns] == best
            hit &= ~taken
            taken |= hit
            hits.append(hit)
        return PoolScatter.apply(gy, window=self.window, hits=hits)


class PoolScatter(Function):
    """Each window's value added onto the image element its mask picks (max pooling's backward).

    ``hits`` holds one boolean ``(N, C, out_h, out_w)`` mask per kernel offset.
    """

    name = "pool_scatter"
    saved_arrays = ("hits",)

    def __init__(self, window: Window, hits: list[np.ndarray]) -> None:
        self.window, self.hits = window, hits

    def forward(self, g: np.ndarray) -> np.ndarray:
        out = self.window.padded_zeros(g.shape[0], g.shape[1], g)
        apart = all(s >= k for s, k in zip(self.window.strides, self.window.size))
        for (rows, columns), hit in zip(self.window.offsets(), self.hits):
            if apart:  # windows do not overlap: each element is written once, in place
                np.multiply(g, hit, out=out[:, :, rows, columns])
            else:
                out[:, :, rows, columns] += g * hit
        return self.window.crop(out)

    def backward(self, gg: Tensor) -> Tensor:
        return PoolGather.apply(gg, window=self.window, hits=self.hits)


class PoolGather(Function):
    """Each window's masked element of an image, summed over the window (scatter's backward)."""

    name = "pool_gather"
    saved_arrays = ("hits",)

    def __init__(self, window: Window, hits: list[np.ndarray]) -> None:
        self.window, self.hits = window, hits

    def forward(self, g: np.ndarray) -> np.ndarray:
        padded = self.window.padded(g)
        out = array_module(g).zeros(self.hits[0].shape, dtype=g.dtype)
        for (rows, columns), hit in zip(self.window.offsets(), self.hits):
            out += padded[:, :, rows, columns] * hit
        return out

    def backward(self, gy: Tensor) -> Tensor:
        return PoolScatter.apply(gy, window=self.window, hits=self.hits)


class WindowSum(Function):
    """The sum of every window (zero padding): ``(N, C, H, W)`` to ``(N, C, out_h, out_w)``.

    >>> import descend as dc
    >>> window = pool_window((1, 1, 4, 4), 2, None, "valid", "sum")
    >>> WindowSum.apply(dc.ones((1, 1, 4, 4)), window=window).numpy()[0, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
    """

    name = "window_sum"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.window.windows(x).sum(axis=(-2, -1))

    def backward(self, gy: Tensor) -> Tensor:
        return WindowSpread.apply(gy, window=self.window)


class WindowSpread(Function):
    """Each value copied onto every element of its window and summed (window_sum's backward).

    >>> import descend as dc
    >>> window = pool_window((1, 1, 3, 3), 2, 1, "valid", "spread")
    >>> WindowSpread.apply(dc.ones((1, 1, 2, 2)), window=window).numpy()[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """

    name = "window_spread"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, g: np.ndarray) -> np.ndarray:
        spread = array_module(g).broadcast_to(g[..., None, None], (*g.shape, *self.window.size))
        return self.window.col2im(spread)

    def backward(self, gg: Tensor) -> Tensor:
        return WindowSum.apply(gg, window=self.window)


def max_pool2d(x: ArrayLike, pool_size: Pair = 2, strides: Pair | None = None,
               padding: str = "valid") -> Tensor:
    """The largest value of each window of NCHW images (padding never wins).

    The gradient goes to the (first) largest element of each window; overlapping windows add.

    Args:
        x: ``(batch, channels, height, width)``.
        pool_size: window size, an int or (height, width).
        strides: step between windows; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (Keras/TF).

    >>> import descend as dc
    >>> max_pool2d(dc.ones((2, 3, 5, 5)), 2, padding="same").shape
    (2, 3, 3, 3)
    """
    x = ensure_tensor(x, "max_pool2d")
    window = pool_window(x.shape, pool_size, strides, padding, "max_pool2d")
    return MaxPool2d.apply(x, window=window)


def avg_pool2d(x: ArrayLike, pool_size: Pair = 2, strides: Pair | None = None,
               padding: str = "valid") -> Tensor:
    """The mean of each window of NCHW images; with ``"same"`` padding only real values count.

    Args:
        x: ``(batch, channels, height, width)``.
        pool_size: window size, an int or (height, width).
        strides: step between windows; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (Keras/TF: the border is left out of each mean).

    >>> import descend as dc
    >>> avg_pool2d(dc.arange(16.0).reshape(1, 1, 4, 4)).numpy()
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]], dtype=float32)
    """
    x = ensure_tensor(x, "avg_pool2d")
    window = pool_window(x.shape, pool_size, strides, padding, "avg_pool2d")
    total = WindowSum.apply(x, window=window)
    if padding == "valid":
        return total * (1.0 / math.prod(window.size))
    ones = array_module(x.data).ones((1, 1, *window.in_hw), dtype=x.dtype)
    counts = window.windows(ones).sum(axis=(-2, -1))
    return total * (1.0 / counts)
