"""Ops that join, cut or pad tensors: concat, stack, split, pad.

>>> import descend as dc
>>> a, b = dc.ones((2, 3)), dc.zeros((1, 3))
>>> dc.concat([a, b]).shape, dc.stack([a, a], axis=1).shape
((3, 3), (2, 2, 3))
>>> [p.shape for p in dc.split(dc.arange(6.0), 3)]
[(2,), (2,), (2,)]
>>> dc.pad(dc.ones((2, 2)), 1).shape
(4, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.index import getitem
from descend.ops.shape import normalize_axis
from descend.tensors import ArrayLike, Tensor, ensure_tensor


def _along(axis: int, piece: slice | int) -> tuple:
    """An index that applies ``piece`` on ``axis`` and keeps every other axis whole."""
    return (slice(None),) * axis + (piece,)


class Concat(Function):
    """Tensors joined end to end along an existing axis."""

    reads_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, ...]:
        grads: list[Tensor | None] = []
        start = 0
        for x, needed in zip(self.inputs, self.needs_input_grad):
            stop = start + x.shape[self.axis]
            grads.append(getitem(gy, _along(self.axis, slice(start, stop))) if needed else None)
            start = stop
        return tuple(grads)


class Stack(Function):
    """Tensors of one shape joined along a new axis."""

    reads_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, ...]:
        return tuple(
            getitem(gy, _along(self.axis, i)) if needed else None
            for i, needed in enumerate(self.needs_input_grad)
        )


class Pad(Function):
    """A tensor surrounded by a constant border; backward cuts the border off again."""

    reads_inputs = False

    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths, self.value = widths, value

    def forward(self, x: np.ndarray) -> np.ndarray:
        return array_module(x).pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy: Tensor) -> Tensor:
        inner = tuple(slice(before, size - after)
                      for (before, after), size in zip(self.widths, gy.shape))
        return getitem(gy, inner)


def _tensors(tensors: Sequence[ArrayLike], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a list of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor, got an empty list")
    return [ensure_tensor(t, op) for t in tensors]


def concat(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the other axes must match.

    >>> import descend as dc
    >>> dc.concat([dc.ones((2, 1)), dc.zeros((2, 2))], axis=1).shape
    (2, 3)
    """
    xs = _tensors(tensors, "concat")
    axis = normalize_axis(axis, xs[0].ndim, "concat")
    for x in xs[1:]:
        if x.ndim != xs[0].ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis
        ):
            raise ValueError(
                f"concat: shapes {xs[0].shape} and {x.shape} differ outside axis {axis}; "
                "every axis except the joined one must match"
            )
    return Concat.apply(*xs, axis=axis)


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors of the same shape along a new ``axis``.

    >>> import descend as dc
    >>> dc.stack([dc.ones(3), dc.zeros(3)]).shape
    (2, 3)
    """
    xs = _tensors(tensors, "stack")
    axis = normalize_axis(axis, xs[0].ndim + 1, "stack")
    for x in xs[1:]:
        if x.shape != xs[0].shape:
            raise ValueError(f"stack: all tensors must have the same shape, got {xs[0].shape} "
                             f"and {x.shape}")
    return Stack.apply(*xs, axis=axis)


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Cut ``x`` along ``axis`` into equal sections (an int) or at the given indices (NumPy).

    >>> import descend as dc
    >>> [p.shape for p in dc.split(dc.arange(5.0), [1, 3])]
    [(1,), (2,), (2,)]
    """
    axis = normalize_axis(axis, x.ndim, "split")
    length = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        sections = int(indices_or_sections)
        if sections <= 0 or length % sections:
            raise ValueError(
                f"split: axis {axis} has length {length}, which cannot be cut into {sections} "
                "equal sections; pass a list of cut indices instead"
            )
        cuts = [length // sections * i for i in range(1, sections)]
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0, *cuts, length]
    return [getitem(x, _along(axis, slice(start, stop))) for start, stop in pairwise(bounds)]


def pad(x: Tensor, pad_width: int | Sequence, constant_values: float = 0.0,
        mode: str = "constant") -> Tensor:
    """Surround ``x`` with a constant border; ``pad_width`` as in ``np.pad``.

    >>> import descend as dc
    >>> dc.pad(dc.ones((1, 2)), ((0, 0), (1, 2))).numpy()
    array([[0., 1., 1., 0., 0.]], dtype=float32)
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor with {x.ndim} dimension(s); "
            "give an int, (before, after), or one (before, after) pair per axis"
        ) from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative integers, got {pad_width!r}")
    pairs = tuple((int(b), int(a)) for b, a in widths)
    return Pad.apply(x, widths=pairs, value=constant_values)
