"""Where a sliding window reads an NCHW image: its geometry, padding and im2col/col2im.

Shared by convolution (``descend.ops.conv``) and pooling (``descend.ops.pooling``). A window has
a size, strides, a dilation and a border; ``view`` gives every window of a (padded) input as a
strided view without copying, ``im2col`` lays them out as the rows of one matrix, and
``col2im`` adds window-shaped values back onto an image, one vectorised add per kernel offset.

Images keep the NCHW shape, but what the window makes (a padded copy, a gradient image, the
matrix of windows) is laid out *channels last* in memory, as ``(N, H, W, C)`` seen through a
transpose: one pixel's channels sit side by side. Then each row of ``im2col`` (one window: its
kh·kw pixels' channel vectors) is copied in runs of ``C`` values, a convolution's matrix
product gives ``(N·out_h·out_w, F)``, already an ``(N, out_h, out_w, F)`` image, and the bias
adds along rows; the ops that follow (ReLU, pooling) keep that layout.

>>> window = make_window((1, 1, 5, 5), 3, 2, "same", 1, "conv2d")
>>> window.pads, window.out_hw
(((1, 1), (1, 1)), (3, 3))
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from descend.backend import array_module

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
        """``x`` with the border added, channels last (``x`` itself when there is none)."""
        if not any(sum(p) for p in self.pads):
            return x
        out = self.blank(x.shape[0], x.shape[1], x, value)
        self.crop(out)[...] = x
        return out

    def view(self, padded: np.ndarray) -> np.ndarray:
        """Every window of a padded input as a view ``(N, C, out_h, out_w, kh, kw)``."""
        (sh, sw), (dh, dw) = self.strides, self.dilation
        stride_tricks = array_module(padded).lib.stride_tricks
        windows = stride_tricks.sliding_window_view(padded, self.span, axis=(2, 3))
        return windows[:, :, ::sh, ::sw, ::dh, ::dw]

    def windows(self, x: np.ndarray) -> np.ndarray:
        """Every window of ``x`` after zero padding (a view when there is no padding)."""
        return self.view(self.padded(x))

    def im2col(self, x: np.ndarray) -> np.ndarray:
        """The windows as rows: shape ``(N·out_h·out_w, kh·kw·C)``, each row one window's
        pixels in order, each pixel its ``C`` channels (one copy).

        The copy runs along the image's contiguous axis: a pixel's channels when they sit side
        by side (the matrix is then stored row by row), else image rows (one channel, or an
        NCHW image: the matrix is then stored column by column, the transpose of a C-ordered
        array, which a matrix product reads as it is)."""
        xp, windows = array_module(x), self.windows(x)
        k = math.prod(self.size) * x.shape[1]
        if x.shape[1] > 1 and x.strides[1] == x.itemsize:  # channels side by side
            return xp.ascontiguousarray(windows.transpose(0, 2, 3, 4, 5, 1)).reshape(-1, k)
        return xp.ascontiguousarray(windows.transpose(4, 5, 1, 0, 2, 3)).reshape(k, -1).T

    def col2im(self, cols: np.ndarray) -> np.ndarray:
        """Add window values back onto an ``(N, C, H, W)`` image: ``cols`` ``(kh, kw, N, C,
        out_h, out_w)`` holds, for each kernel offset, the value of every window there."""
        out = self.blank(cols.shape[2], cols.shape[3], cols)
        kw = self.size[1]
        for k, (rows, columns) in enumerate(self.offsets()):
            out[:, :, rows, columns] += cols[k // kw, k % kw]
        return self.crop(out)

    def offsets(self) -> Iterator[tuple[slice, slice]]:
        """For each kernel offset, row by row: the slices of the padded image that hold that
        element of every window (one strided slice per offset, ``(out_h, out_w)`` elements)."""
        (sh, sw), (dh, dw), (oh, ow) = self.strides, self.dilation, self.out_hw
        for i in range(self.size[0]):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(self.size[1]):
                yield rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """The image inside the border of a padded ``(N, C, H', W')`` array."""
        (top, _), (left, _) = self.pads
        h, w = self.in_hw
        return padded[:, :, top : top + h, left : left + w]

    def blank(self, n: int, c: int, like: np.ndarray, value: float = 0.0) -> np.ndarray:
        """A padded ``(n, c, H, W)`` image filled with ``value``, channels last in memory, of
        ``like``'s dtype and device."""
        (top, bottom), (left, right) = self.pads
        h, w = self.in_hw
        shape = (n, h + top + bottom, w + left + right, c)
        return array_module(like).full(shape, value, dtype=like.dtype).transpose(0, 3, 1, 2)


def channels_last(x: np.ndarray) -> np.ndarray:
    """An ``(N, C, H, W)`` image laid out channels last and contiguous in memory (``x`` itself
    if it is; a crop of a padded image is copied, so that ufuncs over it run in long loops).

    >>> channels_last(np.zeros((2, 3, 4, 5), dtype=np.float32)).strides
    (240, 4, 60, 12)
    """
    return array_module(x).ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


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
