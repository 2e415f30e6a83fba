"""In-place changes of a Tensor's values: ``+=``, ``-=``, ``*=``, ``/=`` and ``x[i] = value``.

They are not recorded in the graph. Each bumps the tensor's version, so a backward that
would read the old values (an op saved the tensor before the change) raises instead of
returning a wrong gradient, as in torch.

>>> import descend as dc
>>> w = dc.tensor([1.0, 2.0], requires_grad=True)
>>> with dc.no_grad():
...     w -= 0.5
>>> w, w.version
(tensor([0.5, 1.5], requires_grad=True), 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend import backend, tracing
from descend.autograd.mode import is_grad_enabled
from descend.tensors import ArrayLike, Tensor


def update(x: Tensor, ufunc: Callable[..., Any], other: ArrayLike, symbol: str) -> Tensor:
    """``x = ufunc(x, other)`` written into ``x``'s own array; returns ``x``."""
    _check_allowed(x, other, f"{symbol}=")
    if tracing.active is not None:
        tracing.active.inplace(x, ufunc, other)
    ufunc(x.data, other.data if isinstance(other, Tensor) else other, out=x.data)
    x.bump_version()
    return x


def setitem(x: Tensor, index: Any, value: ArrayLike) -> None:
    """``x[index] = value``, in place."""
    _check_allowed(x, value, "[...] =")
    if tracing.active is not None:
        tracing.active.refuse("x[index] = value")
    x.data[index.data if isinstance(index, Tensor) else index] = (
        value.data if isinstance(value, Tensor) else value)
    x.bump_version()


def _check_allowed(x: Tensor, other: ArrayLike, what: str) -> None:
    if isinstance(other, Tensor) and type(other.data) is not type(x.data):
        mixed = backend.mixed_devices(f"in-place '{what}'", [x.data, other.data])
        if mixed is not None:
            raise mixed
    if is_grad_enabled() and (x.requires_grad or getattr(other, "requires_grad", False)):
        raise RuntimeError(
            f"in-place '{what}' on a tensor that takes part in the graph would break its "
            "gradients; update parameters inside `with dc.no_grad():` or compute a new "
            "tensor (x = x - y)"
        )


def iadd(x: Tensor, other: ArrayLike) -> Tensor:
    """``x += other``."""
    return update(x, np.add, other, "+")


def isub(x: Tensor, other: ArrayLike) -> Tensor:
    """``x -= other``."""
    return update(x, np.subtract, other, "-")


def imul(x: Tensor, other: ArrayLike) -> Tensor:
    """``x *= other``."""
    return update(x, np.multiply, other, "*")


def itruediv(x: Tensor, other: ArrayLike) -> Tensor:
    """``x /= other``."""
    return update(x, np.divide, other, "/")
