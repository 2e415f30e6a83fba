"""Reductions over one axis, several axes or all: sum, mean, max, min, var, std, logsumexp.

Each takes ``axis`` (None, an int or a tuple of ints) and ``keepdims`` as in NumPy; backward
spreads the output gradient back over the reduced axes.

>>> import descend as dc
>>> x = dc.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
>>> x.max(axis=1).sum().backward()
>>> x.grad.numpy()
array([[0., 1.],
       [1., 0.]], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from descend.autograd.function import Function
from descend.autograd.mode import no_grad
from descend.backend import array_module
from descend.ops.elementwise import Exp, where
from descend.ops.shape import BroadcastTo, normalize_axis, reshape
from descend.tensors import INTEGER, Tensor

Axis = int | Sequence[int] | None


def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """The reduced axes as a sorted tuple of non-negative ints (all axes for ``None``)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, INTEGER):
        return (normalize_axis(axis, ndim, op),)
    normalized = tuple(sorted(normalize_axis(a, ndim, op) for a in axis))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names the same axis twice")
    return normalized


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` set to 1 (the ``keepdims=True`` result shape)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def spread(gy: Tensor, shape: tuple[int, ...], axes: tuple[int, ...]) -> Tensor:
    """Broadcast a reduction's output gradient back over the reduced ``axes`` of ``shape``.

    A total's gradient (0-d) broadcasts as it is; otherwise the reduced axes are put back
    with size 1 first.
    """
    kept = gy if gy.ndim == 0 else reshape(gy, kept_shape(shape, axes))
    return kept if kept.shape == shape else BroadcastTo.apply(kept, shape=shape)


class _Reduction(Function):
    reads_inputs = False

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes, self.keepdims = axes, keepdims


class Sum(_Reduction):
    """Σ over the axes; the gradient is the output gradient copied to every summed element."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Tensor) -> Tensor:
        return spread(gy, self.inputs[0].shape, self.axes)


class Mean(_Reduction):
    """Average over the axes; each element gets the output gradient divided by the count."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Tensor) -> Tensor:
        shape = self.inputs[0].shape
        count = math.prod([shape[a] for a in self.axes])
        return spread(gy, shape, self.axes) * (1.0 / count)


class _Extreme(_Reduction):
    """max or min; tied elements share the gradient equally (like torch's amax/amin)."""

    reduce = "max"
    """The array method that reduces."""
    reads_inputs = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return getattr(x, self.reduce)(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Tensor) -> Tensor:
        x = self.inputs[0].data
        best = getattr(x, self.reduce)(axis=self.axes, keepdims=True)
        winners = x == best
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return spread(gy, x.shape, self.axes) * share.astype(x.dtype)


class Max(_Extreme):
    """Largest element over the axes."""

    reduce = "max"


class Min(_Extreme):
    """Smallest element over the axes."""

    reduce = "min"


class LogSumExp(_Reduction):
    """log Σ exp(x), computed as m + log Σ exp(x − m) with m the maximum (no overflow)."""

    save_output = True
    reads_inputs = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        m = x.max(axis=self.axes, keepdims=True)
        m = array_module(m).where(np.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
        out = np.log(np.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        return out if self.keepdims else out.squeeze(axis=self.axes)

    def backward(self, gy: Tensor) -> Tensor:
        (x,) = self.inputs
        kept = kept_shape(x.shape, self.axes)
        softmax = Exp.apply(x - reshape(self.output, kept))
        return spread(gy, x.shape, self.axes) * softmax


class Std(Function):
    """√var from the variance; its gradient is 0 where the variance is 0 (equal values: torch's
    convention, where 1 / (2√var) would give NaN)."""

    save_output = True
    reads_inputs = False

    def forward(self, variance: np.ndarray) -> np.ndarray:
        return np.sqrt(variance)

    def backward(self, gy: Tensor) -> Tensor:
        y = self.output
        flat = y.data == 0
        return where(flat, 0.0, gy / where(flat, 1.0, y * 2.0))


def _reduce(cls: type[_Reduction], x: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    axes = normalize_axes(axis, x.data.ndim, cls.name)
    if cls is not Sum and x.size == 0:
        raise ValueError(f"{cls.name}: cannot reduce an empty tensor of shape {x.shape}")
    return cls.apply(x, axes=axes, keepdims=keepdims)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum of the elements over ``axis`` (all by default).

    >>> import descend as dc
    >>> dc.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).numpy()
    array([4., 6.], dtype=float32)
    """
    return _reduce(Sum, x, axis, keepdims)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Average of the elements over ``axis`` (all by default).

    >>> import descend as dc
    >>> dc.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1).numpy()
    array([1.5, 3.5], dtype=float32)
    """
    return _reduce(Mean, x, axis, keepdims)


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Largest element over ``axis`` (all by default); ties share the gradient.

    >>> import descend as dc
    >>> dc.tensor([[1.0, 7.0], [3.0, 4.0]]).max(axis=0).numpy()
    array([3., 7.], dtype=float32)
    """
    return _reduce(Max, x, axis, keepdims)


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Smallest element over ``axis`` (all by default); ties share the gradient.

    >>> import descend as dc
    >>> dc.tensor([[1.0, 7.0], [3.0, 4.0]]).min().item()
    1.0
    """
    return _reduce(Min, x, axis, keepdims)


def var(x: Tensor, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis``: mean squared deviation, divided by ``n - ddof`` (NumPy's rule).

    >>> import descend as dc
    >>> dc.tensor([1.0, 2.0, 3.0, 4.0]).var().item()
    1.25
    """
    axes = normalize_axes(axis, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:
        raise ValueError(
            f"var: {count} value(s) per reduction and ddof={ddof} leave no degrees of freedom"
        )
    deviation = x - mean(x, axes, keepdims=True)
    return sum(deviation * deviation, axes, keepdims=keepdims) * (1.0 / (count - ddof))


def std(x: Tensor, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation over ``axis``: the square root of :func:`var`.

    >>> import descend as dc
    >>> dc.tensor([1.0, 3.0]).std().item()
    1.0
    """
    return Std.apply(var(x, axis, ddof=ddof, keepdims=keepdims))


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis``, stable for large values.

    >>> import descend as dc
    >>> round(dc.tensor([1000.0, 1000.0], dtype="float64").logsumexp().item(), 4)
    1000.6931
    """
    return _reduce(LogSumExp, x, axis, keepdims)


class ArgMax(Function):
    """The index of the largest element along an axis: an integer, with no gradient (it is
    applied without recording, so its output never requires grad; an op still, so that a
    compiled step computes it anew on every replay)."""

    pick = "argmax"
    """The array method that picks."""

    def __init__(self, axis: int | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return getattr(x, self.pick)(axis=self.axis, keepdims=self.keepdims)


class ArgMin(ArgMax):
    """The index of the smallest element along an axis (see :class:`ArgMax`)."""

    pick = "argmin"


def _arg(x: Tensor, axis: int | None, keepdims: bool, op: type[ArgMax]) -> Tensor:
    if x.size == 0:
        raise ValueError(f"{op.pick}: cannot take the {op.pick} of an empty tensor")
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, op.pick)
    with no_grad():
        return op.apply(x, axis=axis, keepdims=keepdims)


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element along ``axis`` (of the flattened tensor when None).

    >>> import descend as dc
    >>> dc.tensor([[1.0, 9.0], [8.0, 2.0]]).argmax(axis=1).numpy()
    array([1, 0])
    """
    return _arg(x, axis, keepdims, ArgMax)


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element along ``axis`` (of the flattened tensor when None).

    >>> import descend as dc
    >>> dc.tensor([3.0, 1.0, 2.0]).argmin().item()
    1
    """
    return _arg(x, axis, keepdims, ArgMin)
