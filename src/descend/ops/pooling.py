"""Pooling of NCHW images: ``max_pool2d`` and ``avg_pool2d``, each a pair of ops.

Max pooling takes the largest element of each window with one ``np.maximum`` pass per kernel
offset (no copy of the windows, no argmax); its gradient goes to the first largest element of
each window (torch's rule), found in backward by comparing each offset's elements with the
output. Average pooling sums windows. Each op's backward is another op (scatter/gather,
sum/spread) of arrays only, so pooling can be differentiated twice and a compiled step
replays it op by op.

>>> import descend as dc
>>> max_pool2d(dc.arange(16.0).reshape(1, 1, 4, 4)).numpy()
array([[[[ 5.,  7.],
         [13., 15.]]]], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.window import Pair, Window, channels_last, pool_window
from descend.tensors import ArrayLike, Tensor, constant, ensure_tensor


class MaxPool2d(Function):
    """The largest element of each window (the border, if any, is −inf and never wins)."""

    name = "max_pool2d"
    save_output = True

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, x: np.ndarray) -> np.ndarray:
        xp, padded = array_module(x), self.window.padded(x, -np.inf)
        out = None
        for rows, columns in self.window.offsets():
            part = padded[:, :, rows, columns]
            # the copy keeps the input's memory order (channels last after a convolution)
            out = part.copy(order="K") if out is None else xp.maximum(out, part, out=out)
        return out

    def backward(self, gy: Tensor) -> Tensor:
        return MaxPoolScatter.apply(gy, self.inputs[0], self.output, window=self.window)


def first_maxima(window: Window, x: np.ndarray, best: np.ndarray
                 ) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """For each kernel offset, its slices of the padded image and the boolean mask
    ``(N, C, out_h, out_w)`` of the windows whose first maximum ``best`` lies there (torch's rule:
    of equal maxima the first, row by row, wins)."""
    padded = window.padded(x, -np.inf)
    taken = array_module(best).zeros_like(best, dtype=bool)  # in best's memory order
    for rows, columns in window.offsets():
        hit = (padded[:, :, rows, columns] == best) > taken  # a maximum, and the first one
        taken |= hit
        yield rows, columns, hit


class MaxPoolScatter(Function):
    """Each window's gradient ``g`` added onto its first maximum in ``x`` (max pooling's
    backward; ``best`` is the pooled ``x``). Linear in ``g``; the masks have no gradient.

    >>> import descend as dc
    >>> window = pool_window((1, 1, 2, 2), 2, None, "valid", "max_pool2d")
    >>> x = dc.tensor([[[[1.0, 3.0], [3.0, 0.0]]]])
    >>> MaxPoolScatter.apply(dc.ones((1, 1, 1, 1)), x, dc.full((1, 1, 1, 1), 3.0),
    ...                      window=window).numpy()[0, 0]
    array([[0., 1.],
           [0., 0.]], dtype=float32)
    """

    name = "max_pool2d_grad"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, g: np.ndarray, x: np.ndarray, best: np.ndarray) -> np.ndarray:
        xp, g = array_module(g), channels_last(g)
        out = self.window.blank(g.shape[0], g.shape[1], g)
        apart = all(s >= k for s, k in zip(self.window.strides, self.window.size))
        for rows, columns, hit in first_maxima(self.window, x, best):
            if apart:  # windows do not overlap: each element is written once, in place
                xp.multiply(g, hit, out=out[:, :, rows, columns])
            else:
                out[:, :, rows, columns] += g * hit
        return self.window.crop(out)

    def backward(self, gg: Tensor) -> tuple[Tensor, None, None]:
        _, x, best = self.inputs
        return MaxPoolGather.apply(gg, x, best, window=self.window), None, None


class MaxPoolGather(Function):
    """Each window's first maximum's element of an image ``g`` (the scatter's backward)."""

    name = "max_pool2d_gather"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, g: np.ndarray, x: np.ndarray, best: np.ndarray) -> np.ndarray:
        padded = self.window.padded(g)
        out = array_module(g).zeros_like(best, dtype=g.dtype)
        for rows, columns, hit in first_maxima(self.window, x, best):
            out += padded[:, :, rows, columns] * hit
        return out

    def backward(self, gy: Tensor) -> tuple[Tensor, None, None]:
        _, x, best = self.inputs
        return MaxPoolScatter.apply(gy, x, best, window=self.window), None, None


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
        return self.window.col2im(array_module(g).broadcast_to(g, (*self.window.size, *g.shape)))

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
    return total * constant(1.0 / counts, "(1 / window_counts)")
