"""Indexing: ``x[i]``, ``x[1:3]``, ``x[mask]``, ``x[[0, 0, 2]]``, and the scatter that undoes it.

Backward of indexing puts the gradient back where the values came from; an element picked
twice by an integer array receives both gradients (accumulation, ``np.add.at``).

>>> import descend as dc
>>> x = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x[[0, 0, 2]].sum().backward()
>>> x.grad.numpy()
array([2., 0., 1.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.tensors import Tensor

Index = Any
"""Anything NumPy accepts inside ``[]``; Tensors inside it are used by value."""


def _plain_index(index: Index) -> Index:
    """Replace Tensors and lists inside an index by NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _may_repeat(index: Index) -> bool:
    """Whether the index can pick one element twice (integer arrays can; slices, masks can't)."""
    return any(_is_array(p) and p.dtype.kind in "iu" for p in _parts(index))


def picks_by_mask(index: Index) -> bool:
    """Whether the index holds a boolean mask: the values it picks are as many as the mask
    holds True, so the result's shape depends on the mask's values.

    >>> import numpy as np
    >>> picks_by_mask((np.array([True, False]), 0)), picks_by_mask(np.array([1, 0]))
    (True, False)
    """
    return any(_is_array(p) and p.dtype == bool for p in _parts(index))


def _parts(index: Index) -> tuple[Index, ...]:
    return index if isinstance(index, tuple) else (index,)


def _is_array(part: Index) -> bool:
    return isinstance(part, np.ndarray) or array_module(part) is not np


def _on_device(index: Index, xp: Any) -> Index:
    """``index`` with its host arrays copied to the device of ``xp`` (as it is on the CPU)."""
    if xp is np:
        return index
    if isinstance(index, tuple):
        return tuple(_on_device(i, xp) for i in index)
    return xp.asarray(index) if isinstance(index, np.ndarray) else index


class GetItem(Function):
    """The values at an index (basic or advanced)."""

    reads_inputs = False
    returns_view = True

    name = "getitem"

    def __init__(self, index: Index) -> None:
        self.index = index

    def forward(self, x: np.ndarray) -> np.ndarray:
        try:  # (here, not in getitem: a compiled step's replay runs only this)
            return x[_on_device(self.index, array_module(x))]
        except IndexError as err:
            raise IndexError(f"getitem: {err} (tensor shape {x.shape})") from None

    def backward(self, gy: Tensor) -> Tensor:
        return Scatter.apply(gy, index=self.index, shape=self.inputs[0].shape)


class Scatter(Function):
    """Zeros of ``shape`` with the input added at ``index`` (the backward of indexing)."""

    reads_inputs = False

    def __init__(self, index: Index, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def forward(self, g: np.ndarray) -> np.ndarray:
        xp = array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        index = _on_device(self.index, xp)
        if _may_repeat(index):
            xp.add.at(out, index, g)
        else:
            out[index] = g
        return out

    def backward(self, gy: Tensor) -> Tensor:
        return GetItem.apply(gy, index=self.index)


def getitem(x: Tensor, index: Index) -> Tensor:
    """``x[index]`` with NumPy's rules (ints, slices, None, ..., boolean masks, int arrays).

    >>> import descend as dc
    >>> x = dc.arange(6.0).reshape(2, 3)
    >>> x[:, 1].numpy(), x[x > 3].numpy()
    (array([1., 4.], dtype=float32), array([4., 5.], dtype=float32))
    """
    plain = _plain_index(index)
    if isinstance(plain, np.ndarray) and plain.dtype.kind == "f":
        raise IndexError("getitem: index arrays must be integers or booleans, got floats")
    return GetItem.apply(x, index=plain)
