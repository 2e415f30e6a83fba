"""A stand-in for CuPy, over NumPy, so the device seam is tested on machines without a GPU.

It holds the part of CuPy's API that descend uses, and is strict where CuPy is strict (or
stricter), so a leak to the host fails here as it would on a GPU:

- its ``ndarray`` is not a ``numpy.ndarray``; converting one to NumPy implicitly
  (``np.asarray(a)``, ``__array__``) raises ``TypeError``, as CuPy does: use ``asnumpy``;
- mixing it with a host ``numpy.ndarray`` in an operator or a function raises ``TypeError``
  (CuPy: ``Unsupported type <class 'numpy.ndarray'>``); Python and NumPy scalars are fine;
- NumPy ufuncs (``np.exp(a)``, ``a + b``) work on it through ``__array_ufunc__``, as on CuPy,
  but NumPy's other functions (``np.where(a, ...)``) raise, where CuPy would dispatch through
  ``__array_function__``: descend must call them on the array module (``xp.where``);
- reductions give 0-d arrays, not NumPy scalars, as CuPy's do.

Every value is computed by NumPy on the host, so results equal NumPy's bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


def _unwrap(value: Any) -> Any:
    """The NumPy array inside a fake array; a host array is refused, as CuPy refuses it."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)} (fake CuPy: a host array given to a "
                        "device operation)")
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v) for v in value)
    return value


def _wrap(value: Any) -> Any:
    """NumPy results as fake arrays (scalars from reductions become 0-d arrays, as in CuPy)."""
    if isinstance(value, np.ndarray | np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _index(key: Any) -> Any:
    """An index for a fake array: host integer or boolean arrays are accepted (CuPy copies them)."""
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    out = kwargs.get("out")
    result = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    if out is None:
        return _wrap(result)
    return out[0] if isinstance(out, tuple) and len(out) == 1 else out


class Device:
    """``cupy.cuda.Device``: an id, and a context that makes it current."""

    def __init__(self, device: int | None = None) -> None:
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise ValueError(f"fake CuPy has one device (0), got {self.id}")

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


class ndarray(NDArrayOperatorsMixin):  # noqa: N801 (CuPy's name)
    """A device array: a NumPy array that refuses to become one implicitly."""

    __slots__ = ("_a",)

    def __init__(self, array: np.ndarray) -> None:
        self._a = array

    device = property(lambda self: Device(0))
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    T = property(lambda self: ndarray(self._a.T))
    flags = property(lambda self: SimpleNamespace(  # CuPy's flags have no 'writeable'
        c_contiguous=self._a.flags.c_contiguous, f_contiguous=self._a.flags.f_contiguous,
        owndata=self._a.flags.owndata))

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"fake CuPy: numpy.{func.__name__} was called on a device array; "
                        f"call it on the array module (xp.{func.__name__})")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "at":
            a, index, *rest = inputs
            getattr(ufunc, method)(_unwrap(a), _index(index), *_unwrap(tuple(rest)))
            return None
        return _call(getattr(ufunc, method), inputs, kwargs)

    def get(self) -> np.ndarray:
        """A host copy (``cupy.ndarray.get``)."""
        return self._a.copy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # __array_interface__ and the like: not a NumPy array
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return _wrap(attribute)
        return lambda *args, **kwargs: _call(attribute, args, kwargs)

    def __getitem__(self, key: Any) -> ndarray:
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_index(key)] = _unwrap(value)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (ndarray(row) for row in self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __repr__(self) -> str:
        return repr(self._a)


class _Ufunc:
    """A CuPy ufunc: NumPy's, refusing host arrays, with ``at`` and ``reduce``."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._ufunc, args, kwargs)

    def reduce(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._ufunc.reduce, args, kwargs)

    def at(self, a: ndarray, index: Any, b: Any = None) -> None:
        self._ufunc.at(_unwrap(a), _index(index), _unwrap(b))


def _function(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return _call(fn, args, kwargs)

    call.__name__ = fn.__name__
    return call


def asarray(value: Any, dtype: Any = None) -> ndarray:
    """``value`` on the device (a host array is copied there)."""
    if isinstance(value, ndarray):
        return value if dtype is None else value.astype(dtype, copy=False)
    return ndarray(np.array(value, dtype=dtype))


def array(value: Any, dtype: Any = None, copy: bool = True) -> ndarray:
    """A new device array holding ``value``."""
    source = value._a if isinstance(value, ndarray) else value
    return ndarray(np.array(source, dtype=dtype, copy=copy))


def asnumpy(value: Any) -> np.ndarray:
    """A host copy of a device array (``cupy.asnumpy``)."""
    return value.get() if isinstance(value, ndarray) else np.asarray(value)


def get_array_module(*args: Any) -> Any:
    """This module when an argument is a device array, else NumPy."""
    import sys

    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else np


cuda = SimpleNamespace(Device=Device, runtime=SimpleNamespace(getDeviceCount=lambda: 1))
lib = SimpleNamespace(stride_tricks=SimpleNamespace(
    sliding_window_view=_function(np.lib.stride_tricks.sliding_window_view)))
linalg = SimpleNamespace(qr=_function(np.linalg.qr), norm=_function(np.linalg.norm))


def __getattr__(name: str) -> Any:
    target = getattr(np, name)
    if isinstance(target, np.ufunc):
        return _Ufunc(target)
    if callable(target) and not isinstance(target, type):
        return _function(target)
    return target
