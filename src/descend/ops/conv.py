"""2-D convolution and pooling on NCHW images: ``conv2d``, ``max_pool2d``, ``avg_pool2d``.

Convolution is im2col + one GEMM: every receptive field of the (padded) input is read through
a strided view (``sliding_window_view``, no copy), laid out as one column of a matrix by a
single copy, and the flattened kernel ``(filters, C·kh·kw)`` multiplies that matrix. Backward
is the same idea in reverse: col2im adds each window's gradient back onto the input, one
vectorised add per kernel offset (never a loop over pixels), so overlapping windows accumulate
correctly with any stride and dilation.

The three linear maps of a convolution (output from input, input gradient, kernel gradient)
are ops whose backwards are each other, so convolutions can be differentiated twice.

>>> import descend as dc
>>> x = dc.ones((1, 1, 4, 4)); k = dc.ones((2, 1, 3, 3), requires_grad=True)
>>> y = conv2d(x, k, padding="same")
>>> y.shape, y.numpy()[0, 0, 0]
((1, 2, 4, 4), array([4., 6., 6., 4.], dtype=float32))
>>> max_pool2d(dc.arange(16.0).reshape(1, 1, 4, 4)).numpy()
array([[[[ 5.,  7.],
         [13., 15.]]]], dtype=float32)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from descend.autograd.function import Function
from descend.ops.index import getitem
from descend.ops.join import pad
from descend.tensor import ArrayLike, Tensor, ensure_tensor

Pair = int | tuple[int, int]
Padding = str | int | tuple[int, int]


@dataclass(frozen=True)
class Window:
    """How a window slides over the last two axes: its size, strides, dilation and padding.

    ``pads`` is ``((top, bottom), (left, right))``; ``in_hw`` the unpadded (height, width).

    >>> w = Window((3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)), (7, 7))
    >>> w.span, w.out_hw
    ((3, 3), (4, 4))
    """

    size: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    in_hw: tuple[int, int]

    @property
    def span(self) -> tuple[int, int]:
        """The extent of one (dilated) window on the input."""
        return tuple((k - 1) * d + 1 for k, d in zip(self.size, self.dilation))

    @property
    def out_hw(self) -> tuple[int, int]:
        """The number of window positions along height and width."""
        return tuple((n + before + after - span) // s + 1 for n, (before, after), span, s
                     in zip(self.in_hw, self.pads, self.span, self.strides))

    def padded(self, x: np.ndarray, value: float = 0.0) -> np.ndarray:
        """``x`` with the border added (``x`` itself when there is none)."""
        if not any(sum(p) for p in self.pads):
            return x
        return np.pad(x, ((0, 0), (0, 0), *self.pads), constant_values=value)

    def view(self, padded: np.ndarray) -> np.ndarray:
        """Every window of a padded input as a view ``(N, C, out_h, out_w, kh, kw)``."""
        (sh, sw), (dh, dw) = self.strides, self.dilation
        windows = sliding_window_view(padded, self.span, axis=(2, 3))
        return windows[:, :, ::sh, ::sw, ::dh, ::dw]

    def windows(self, x: np.ndarray) -> np.ndarray:
        """Every window of ``x`` after zero padding (a view when there is no padding)."""
        return self.view(self.padded(x))

    def im2col(self, x: np.ndarray) -> np.ndarray:
        """The windows as columns: shape ``(C·kh·kw, N·out_h·out_w)`` (one copy).

        This layout copies along the input's contiguous width axis, which is several times
        faster than one window per row.
        """
        columns = x.shape[0] * math.prod(self.out_hw)
        return self.windows(x).transpose(1, 4, 5, 0, 2, 3).reshape(-1, columns)

    def col2im(self, cols: np.ndarray) -> np.ndarray:
        """Add windows ``(N, C, out_h, out_w, kh, kw)`` back onto an ``(N, C, H, W)`` image."""
        n, c, oh, ow = cols.shape[:4]
        (top, bottom), (left, right) = self.pads
        h, w = self.in_hw
        out = np.zeros((n, c, h + top + bottom, w + left + right), dtype=cols.dtype)
        (sh, sw), (dh, dw) = self.strides, self.dilation
        for i in range(self.size[0]):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(self.size[1]):
                out[:, :, rows, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += cols[..., i, j]
        return out[:, :, top : top + h, left : left + w]


def _per_filter(g: np.ndarray) -> np.ndarray:
    """An output (gradient) ``(N, F, out_h, out_w)`` as a matrix ``(F, N·out_h·out_w)``."""
    return g.transpose(1, 0, 2, 3).reshape(g.shape[1], -1)


class Conv2d(Function):
    """Cross-correlation of ``(N, C, H, W)`` images with ``(F, C, kh, kw)`` kernels (+ bias).

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> Conv2d.apply(dc.ones((1, 1, 3, 3)), dc.ones((1, 1, 2, 2)), window=window).numpy()
    array([[[[4., 4.],
             [4., 4.]]]], dtype=float32)
    """

    saved_arrays = ("cols",)

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, x: np.ndarray, kernel: np.ndarray, *bias: np.ndarray) -> np.ndarray:
        self.cols = self.window.im2col(x)
        filters = kernel.shape[0]
        y = kernel.reshape(filters, -1) @ self.cols
        if bias:
            b = bias[0].reshape(filters, 1)
            y = y + b if y.dtype != np.result_type(y, b) else np.add(y, b, out=y)
        return y.reshape(filters, x.shape[0], *self.window.out_hw).transpose(1, 0, 2, 3)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, ...]:
        x, kernel = self.operands(gy)[:2]
        need = self.needs_input_grad
        gx = ConvInputGrad.apply(gy, kernel, window=self.window) if need[0] else None
        gk = ConvKernelGrad.apply(x, gy, window=self.window, cols=self.cols) if need[1] else None
        if len(need) == 2:
            return gx, gk
        return gx, gk, gy.sum(axis=(0, 2, 3)) if need[2] else None


class ConvInputGrad(Function):
    """The input gradient of a convolution (a transposed convolution): linear in both inputs.

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> ConvInputGrad.apply(dc.ones((1, 1, 2, 2)), dc.ones((1, 1, 2, 2)),
    ...                     window=window).numpy()[0, 0]        # windows covering each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """

    name = "conv2d_input_grad"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, gy: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        n, _, oh, ow = gy.shape
        _, c, kh, kw = kernel.shape
        cols = kernel.reshape(kernel.shape[0], -1).T @ _per_filter(gy)
        return self.window.col2im(cols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 4, 5, 1, 2))

    def backward(self, ggx: Tensor) -> tuple[Tensor | None, Tensor | None]:
        gy, kernel = self.operands(ggx)
        need_gy, need_k = self.needs_input_grad
        return (Conv2d.apply(ggx, kernel, window=self.window) if need_gy else None,
                ConvKernelGrad.apply(ggx, gy, window=self.window) if need_k else None)


class ConvKernelGrad(Function):
    """The kernel gradient of a convolution: windows of the input weighted by the output grad.

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> ConvKernelGrad.apply(dc.ones((1, 1, 3, 3)), dc.ones((1, 1, 2, 2)),
    ...                      window=window).shape
    (1, 1, 2, 2)
    """

    name = "conv2d_kernel_grad"
    saved_arrays = ("cols",)

    def __init__(self, window: Window, cols: np.ndarray | None = None) -> None:
        self.window, self.cols = window, cols

    def forward(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        cols = self.window.im2col(x) if self.cols is None else self.cols
        self.cols = None
        return (_per_filter(gy) @ cols.T).reshape(gy.shape[1], x.shape[1], *self.window.size)

    def backward(self, ggk: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, gy = self.operands(ggk)
        need_x, need_gy = self.needs_input_grad
        return (ConvInputGrad.apply(gy, ggk, window=self.window) if need_x else None,
                Conv2d.apply(x, ggk, window=self.window) if need_gy else None)


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
        spread = np.broadcast_to(g[..., None, None], (*g.shape, *self.window.size))
        return self.window.col2im(spread)

    def backward(self, gg: Tensor) -> Tensor:
        return WindowSum.apply(gg, window=self.window)


def as_pair(value: Pair, name: str, op: str) -> tuple[int, int]:
    """``value`` as a (height, width) pair of positive ints, or a ValueError naming ``name``.

    >>> as_pair(3, "strides", "conv2d"), as_pair((2, 1), "strides", "conv2d")
    ((3, 3), (2, 1))
    """
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int | np.integer) or v <= 0
                             for v in pair):
        raise ValueError(
            f"{op}: {name} must be a positive integer or a (height, width) pair of them, "
            f"got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def check_padding(padding: Padding, op: str, *, numeric: bool = True) -> str | tuple[int, int]:
    """``"valid"``, ``"same"`` or (with ``numeric``) a (height, width) pair of border sizes.

    >>> check_padding("same", "conv2d"), check_padding(1, "conv2d")
    ('same', (1, 1))
    """
    if isinstance(padding, str) and padding in ("valid", "same"):
        return padding
    if numeric and not isinstance(padding, str | bool):
        pair = (padding, padding) if isinstance(padding, int | np.integer) else padding
        if isinstance(pair, tuple) and len(pair) == 2 and all(
                isinstance(p, int | np.integer) and not isinstance(p, bool) and p >= 0
                for p in pair):
            return int(pair[0]), int(pair[1])
    expected = ("'valid', 'same', a non-negative int or a (height, width) pair of them"
                if numeric else "'valid' or 'same'")
    raise ValueError(f"{op}: padding must be {expected}, got {padding!r}")


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras/TF ``"same"`` padding along one axis: (before, after), the extra one after.

    >>> same_padding(5, 3, 2), same_padding(6, 3, 2), same_padding(4, 4, 1)
    ((1, 1), (0, 1), (1, 2))
    """
    total = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def make_window(shape: tuple[int, ...], size: Pair, strides: Pair, padding: Padding,
                dilation: Pair, op: str, *, size_name: str = "kernel_size") -> Window:
    """The window of an op on NCHW inputs of ``shape``; a readable error for bad options.

    >>> make_window((8, 3, 28, 28), 3, 2, "same", 1, "conv2d").pads
    ((0, 1), (0, 1))
    """
    if len(shape) != 4:
        raise ValueError(
            f"{op}: input must be 4-D (batch, channels, height, width), got shape {shape}"
        )
    size = as_pair(size, size_name, op)
    strides, dilation = as_pair(strides, "strides", op), as_pair(dilation, "dilation", op)
    in_hw = (int(shape[2]), int(shape[3]))
    padding = check_padding(padding, op)
    if isinstance(padding, tuple):
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    else:
        pads = tuple(same_padding(*args) if padding == "same" else (0, 0)
                     for args in zip(in_hw, size, strides, dilation))
    window = Window(size, strides, dilation, pads, in_hw)
    if min(window.out_hw) < 1:
        raise ValueError(
            f"{op}: the input's height and width {in_hw} (padding {pads}) are smaller than the "
            f"window {window.span} (size {size}, dilation {dilation}); use a smaller window or "
            "padding='same'"
        )
    return window


def pool_window(shape: tuple[int, ...], pool_size: Pair, strides: Pair | None, padding: str,
                op: str) -> Window:
    """The window of a pooling op (``strides`` defaults to ``pool_size``).

    >>> pool_window((8, 3, 28, 28), 2, None, "valid", "max_pool2d").out_hw
    (14, 14)
    """
    check_padding(padding, op, numeric=False)
    return make_window(shape, pool_size, pool_size if strides is None else strides, padding, 1,
                       op, size_name="pool_size")


def conv2d(x: ArrayLike, kernel: Tensor, bias: Tensor | None = None, *, strides: Pair = 1,
           padding: Padding = "valid", dilation: Pair = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in torch and Keras) of NCHW images.

    Args:
        x: images ``(batch, in_channels, height, width)``.
        kernel: ``(filters, in_channels, kh, kw)``.
        bias: ``(filters,)`` or None.
        strides: step between windows, an int or (height, width).
        padding: ``"valid"`` (none), ``"same"`` (output size ceil(in / stride), the odd extra
            row/column at the bottom/right, as in Keras/TF), or zeros on each side (an int or
            (height, width)).
        dilation: spacing between kernel taps, an int or (height, width).

    Returns:
        ``(batch, filters, out_h, out_w)`` with ``out = (in + pads − (k − 1)·dilation − 1)
        // stride + 1``.

    >>> import descend as dc
    >>> conv2d(dc.ones((2, 3, 8, 8)), dc.ones((4, 3, 3, 3)), strides=2, padding=1).shape
    (2, 4, 4, 4)
    """
    x = ensure_tensor(x, "conv2d")
    if kernel.ndim != 4:
        raise ValueError(
            f"conv2d: kernel must be 4-D (filters, in_channels, kh, kw), got shape {kernel.shape}"
        )
    window = make_window(x.shape, kernel.shape[2:], strides, padding, dilation, "conv2d")
    if x.shape[1] != kernel.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but the kernel "
            f"{kernel.shape} expects {kernel.shape[1]}"
        )
    if bias is None:
        return Conv2d.apply(x, kernel, window=window)
    if bias.shape != (kernel.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({kernel.shape[0]},), got {bias.shape}")
    return Conv2d.apply(x, kernel, bias, window=window)


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
    (top, bottom), (left, right) = window.pads
    if top or bottom or left or right:
        x = pad(x, ((0, 0), (0, 0), *window.pads), constant_values=-np.inf)
    windows = window.view(x.data)
    n, c, oh, ow, kh, kw = windows.shape
    best = windows.reshape(n, c, oh, ow, kh * kw).argmax(axis=-1)
    rows = np.arange(oh).reshape(oh, 1) * window.strides[0] + best // kw
    cols = np.arange(ow) * window.strides[1] + best % kw
    return getitem(x, (np.arange(n).reshape(n, 1, 1, 1), np.arange(c).reshape(c, 1, 1), rows,
                       cols))


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
    ones = np.ones((1, 1, *window.in_hw), dtype=x.dtype)
    counts = window.windows(ones).sum(axis=(-2, -1))
    return total * (1.0 / counts)
