"""Ops that rearrange values without changing them: reshape, transpose, squeeze, broadcast.

``sum_to`` is the one helper every broadcasting op calls in backward to undo the broadcast:
it sums a gradient over the axes that broadcasting added or stretched.

>>> import descend as dc
>>> x = dc.arange(6.0).reshape(2, 3)
>>> x.T.shape, x.unsqueeze(0).shape, x.flatten().shape
((3, 2), (1, 2, 3), (6,))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module, as_array
from descend.tensors import INTEGER, Tensor


def normalize_axis(axis: int, ndim: int, op: str) -> int:
    """``axis`` as a non-negative index into ``ndim`` axes, or a ``ValueError`` naming ``op``."""
    if isinstance(axis, bool) or not isinstance(axis, INTEGER):
        raise TypeError(f"{op}: axis must be an integer, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} dimension(s) "
            f"(valid: {-ndim}..{ndim - 1})" if ndim else f"{op}: a 0-d tensor has no axis {axis}"
        )
    return int(axis) % ndim


def _shape_arg(shape: tuple, op: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, INTEGER):
            raise TypeError(f"{op}: sizes must be integers, got {size!r}")
    return tuple(int(s) for s in shape)


class Reshape(Function):
    """The same values in a new shape (C order)."""

    reads_inputs = False
    returns_view = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.shape)

    def backward(self, gy: Tensor) -> Tensor:
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    """Axes permuted: output axis i is input axis ``axes[i]``."""

    reads_inputs = False
    returns_view = True

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(self.axes)

    def backward(self, gy: Tensor) -> Tensor:
        return transpose(gy, tuple(np.argsort(self.axes).tolist()))


class BroadcastTo(Function):
    """Values repeated along new or size-1 axes (a read-only view)."""

    reads_inputs = False
    returns_view = True

    name = "broadcast_to"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy: Tensor) -> Tensor:
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    """Sum over the axes that broadcasting from ``shape`` would have added or stretched."""

    reads_inputs = False

    name = "sum_to"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return sum_array_to(x, self.shape)

    def backward(self, gy: Tensor) -> Tensor:
        return broadcast_to(gy, self.inputs[0].shape)


def reshape(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """The same values in a new shape; one size may be -1 (inferred).

    >>> import descend as dc
    >>> dc.arange(6.0).reshape(3, -1).shape
    (3, 2)
    """
    target = _shape_arg(shape, "reshape")
    if target == x.shape:
        return x
    try:
        return Reshape.apply(x, shape=target)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {target}"
        ) from None


def transpose(x: Tensor, *axes: int | Sequence[int]) -> Tensor:
    """Permute the axes (NumPy semantics): no axes reverses them, like ``.T``.

    >>> import descend as dc
    >>> dc.zeros((2, 3, 4)).transpose(1, 0, 2).shape
    (3, 2, 4)
    """
    ndim = x.data.ndim
    if not axes or axes == ((),) or axes == (None,):
        order = tuple(range(ndim - 1, -1, -1))
    else:
        order = tuple(normalize_axis(a, ndim, "transpose") for a in _shape_arg(axes, "transpose"))
        if sorted(order) != list(range(ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes[0]) if len(axes) == 1 else axes} are not a "
                f"permutation of the {ndim} axes of a tensor of shape {x.shape}"
            )
    if order == tuple(range(ndim)):
        return x
    return Transpose.apply(x, axes=order)


permute = transpose


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Repeat values along new leading axes or size-1 axes to reach ``shape``.

    >>> import descend as dc
    >>> dc.tensor([1.0, 2.0]).broadcast_to((3, 2)).shape
    (3, 2)
    """
    target = _shape_arg((shape,), "broadcast_to") if not isinstance(shape, int) else (shape,)
    if target == x.shape:
        return x
    try:
        return BroadcastTo.apply(x, shape=target)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {target}") from None


def sum_array_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum the array ``x`` over the axes that broadcasting from ``shape`` added or stretched.

    The sum is an array of its own (not a view), so a leaf's ``.grad`` can keep it as it is.
    """
    lead = tuple(range(x.ndim - len(shape)))
    stretched = tuple(i for i, size in enumerate(shape)
                      if size == 1 and x.shape[len(lead) + i] != 1)
    summed = as_array(x.sum(axis=lead)) if lead else x
    return summed.sum(axis=stretched, keepdims=True) if stretched else summed


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum ``x`` down to ``shape``, undoing NumPy broadcasting (used by every binary backward).

    >>> import descend as dc
    >>> dc.ones((4, 2, 3)).sum_to((2, 1)).numpy().ravel()
    array([12., 12.], dtype=float32)
    """
    if x.data.shape == shape:
        return x
    return SumTo.apply(x, shape=tuple(shape))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Drop axes of size 1 (all of them, or the given ones).

    >>> import descend as dc
    >>> dc.zeros((1, 3, 1)).squeeze().shape, dc.zeros((1, 3, 1)).squeeze(0).shape
    ((3,), (3, 1))
    """
    if axis is None:
        target = tuple(s for s in x.shape if s != 1)
    else:
        axes = (axis,) if isinstance(axis, INTEGER) else tuple(axis)
        axes = tuple(normalize_axis(a, x.ndim, "squeeze") for a in axes)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} has size {x.shape[a]}, only axes of size 1 can be "
                    f"removed (shape {x.shape})"
                )
        target = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    return reshape(x, target)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of size 1 at position ``axis`` (negative counts from the end).

    >>> import descend as dc
    >>> dc.zeros((2, 3)).unsqueeze(-1).shape
    (2, 3, 1)
    """
    position = normalize_axis(axis, x.ndim + 1, "unsqueeze")
    target = (*x.shape[:position], 1, *x.shape[position:])
    return reshape(x, target)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes from ``start_dim`` to ``end_dim`` into one (all of them by default).

    >>> import descend as dc
    >>> dc.zeros((2, 3, 4)).flatten(1).shape
    (2, 12)
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_axis(start_dim, x.ndim, "flatten")
    end = normalize_axis(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start : end + 1]))
    return reshape(x, (*x.shape[:start], merged, *x.shape[end + 1 :]))
