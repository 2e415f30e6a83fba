"""Ways to make tensors: from data, filled with constants, ranges, identities, random draws.

Floating tensors are float32 unless ``dtype`` says otherwise (see
:func:`descend.set_default_dtype`); random ones draw from the generator that
:func:`descend.seed` seeds. Every function takes ``device=`` (``"cpu"``, the default, or
``"cuda[:N]"``); values are made on the host and copied there, so one seed draws the same
numbers on every device.

>>> import descend as dc
>>> dc.zeros((2, 3)).shape, dc.eye(2).numpy().tolist(), dc.arange(3).dtype
((2, 3), [[1.0, 0.0], [0.0, 1.0]], dtype('int64'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Number
from typing import Any

import numpy as np

from descend import backend, tracing
from descend.backend import DeviceLike
from descend.tensors import ArrayLike, Tensor, constant

Shape = int | Sequence[int]


def _shape(shape: Shape | tuple, where: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape, tuple):
        shape = shape[0]
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 0:
            raise ValueError(f"{where}: shape must be non-negative integers, got {shape!r}")
    return tuple(int(d) for d in dims)


def _dtype(dtype: Any) -> np.dtype:
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _make(array: np.ndarray, requires_grad: bool, device: DeviceLike | None) -> Tensor:
    t = Tensor._wrap(array if device is None else backend.to_device(array, device))
    return t.requires_grad_(True) if requires_grad else t


def _constant(array: np.ndarray, requires_grad: bool, device: DeviceLike | None,
              call: str) -> Tensor:
    """``_make`` for values the arguments fix (zeros, ones, ranges): while ``dc.jit`` traces
    a step, a constant of the step, printed as ``call``."""
    t = constant(array if device is None else backend.to_device(array, device), call)
    return t.requires_grad_(True) if requires_grad else t


def _listed(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape))


def _random(draw: Callable[[], np.ndarray], requires_grad: bool, device: DeviceLike | None,
            call: str) -> Tensor:
    """``_make(draw())``: while ``dc.jit`` traces a step, each replay draws anew with
    ``draw``, as the eager step would (printed as ``call``)."""
    t = _make(draw(), False, device)
    if tracing.active is not None:
        tracing.active.random(t.data, draw, call)
    return t.requires_grad_(True) if requires_grad else t


PYTHON_VALUES = (Number, list, tuple)
"""What ``dc.tensor`` makes a constant of a traced step from: numbers, lists, tuples."""


def tensor(data: ArrayLike, *, dtype: Any = None,
           device: DeviceLike | None = None, requires_grad: bool = False,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype`` is set).

    Made from Python numbers or lists while ``dc.jit`` traces a step, it is a constant of the
    step (as ``dc.zeros`` is); from an array, it is refused there if it enters an op (the
    array was made outside the step, and could change).

    >>> import descend as dc
    >>> dc.tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    >>> dc.tensor([1.5], dtype="float64")
    tensor([1.5], dtype=float64)
    """
    t = Tensor(data, dtype=dtype, device=device, name=name)
    if tracing.active is not None and isinstance(data, PYTHON_VALUES):
        text = repr(data)
        tracing.active.constant(t.data, f"dc.tensor({text if len(text) <= 40 else '...'})")
    return t.requires_grad_(True) if requires_grad else t


def zeros(*shape: Shape, dtype: Any = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    >>> import descend as dc
    >>> dc.zeros(2, 2).numpy()
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """
    dims = _shape(shape, "zeros")
    return _constant(np.zeros(dims, dtype=_dtype(dtype)), requires_grad, device,
                     f"dc.zeros({dims})")


def ones(*shape: Shape, dtype: Any = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> import descend as dc
    >>> dc.ones(3).numpy()
    array([1., 1., 1.], dtype=float32)
    """
    dims = _shape(shape, "ones")
    return _constant(np.ones(dims, dtype=_dtype(dtype)), requires_grad, device,
                     f"dc.ones({dims})")


def full(shape: Shape, fill_value: float, *, dtype: Any = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor with every element equal to ``fill_value``.

    >>> import descend as dc
    >>> dc.full((2,), 7.0).numpy()
    array([7., 7.], dtype=float32)
    """
    dims = _shape((shape,), "full")
    return _constant(np.full(dims, fill_value, dtype=_dtype(dtype)), requires_grad, device,
                     f"dc.full({dims}, {fill_value!r})")


def arange(start: float, stop: float | None = None, step: float = 1, *, dtype: Any = None,
           device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop) (NumPy's ``arange``; float arguments give floats).

    >>> import descend as dc
    >>> dc.arange(0.0, 1.0, 0.25).numpy()
    array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    if step == 0:
        raise ValueError("arange: step must not be zero")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = backend.get_default_dtype()
    call = f"dc.arange({start!r})" if stop is None else f"dc.arange({start!r}, {stop!r}, {step!r})"
    return _constant(values.astype(dtype) if dtype is not None else values, requires_grad,
                     device, call)


def eye(n: int, m: int | None = None, *, dtype: Any = None,
        device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (ones on the diagonal), ``n`` × ``m``.

    >>> import descend as dc
    >>> dc.eye(2, 3).shape
    (2, 3)
    """
    _shape((n,) if m is None else (n, m), "eye")
    return _constant(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, device,
                     f"dc.eye({n}, {m})")


def rand(*shape: Shape, dtype: Any = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform random values in [0, 1), drawn from the seeded generator.

    >>> import descend as dc
    >>> dc.seed(0); x = dc.rand(1000)
    >>> bool(0 <= x.numpy().min() and x.numpy().max() < 1)
    True
    """
    size, kind = _shape(shape, "rand"), _dtype(dtype)
    return _random(lambda: backend.rng().random(size).astype(kind), requires_grad, device,
                   f"dc.rand({_listed(size)})")


def randn(*shape: Shape, dtype: Any = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal random values (mean 0, std 1), drawn from the seeded generator.

    >>> import descend as dc
    >>> dc.seed(0); round(float(dc.randn(100_000).numpy().std()), 2)
    1.0
    """
    size, kind = _shape(shape, "randn"), _dtype(dtype)
    return _random(lambda: backend.rng().standard_normal(size).astype(kind), requires_grad,
                   device, f"dc.randn({_listed(size)})")


def _like(make: Any, like: Tensor, dtype: Any, device: DeviceLike | None, requires_grad: bool,
          *args: Any) -> Tensor:
    source = like if isinstance(like, Tensor) else np.asarray(like)
    return make(source.shape, *args, dtype=source.dtype if dtype is None else dtype,
                device=_device_of(like, device), requires_grad=requires_grad)


def _device_of(like: ArrayLike, device: DeviceLike | None) -> DeviceLike | None:
    """``device`` when given, else the device of ``like`` (as torch's ``*_like`` do)."""
    return like.device if device is None and isinstance(like, Tensor) else device


def zeros_like(like: ArrayLike, *, dtype: Any = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of ``like``.

    >>> import descend as dc
    >>> dc.zeros_like(dc.ones((2, 3))).shape
    (2, 3)
    """
    return _like(zeros, like, dtype, device, requires_grad)


def ones_like(like: ArrayLike, *, dtype: Any = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of ``like``.

    >>> import descend as dc
    >>> dc.ones_like(dc.zeros(2)).numpy()
    array([1., 1.], dtype=float32)
    """
    return _like(ones, like, dtype, device, requires_grad)


def full_like(like: ArrayLike, fill_value: float, *, dtype: Any = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape (and dtype) of ``like``.

    >>> import descend as dc
    >>> dc.full_like(dc.zeros(2), 3.0).numpy()
    array([3., 3.], dtype=float32)
    """
    return _like(full, like, dtype, device, requires_grad, fill_value)


def _float_dtype_of(like: ArrayLike, dtype: Any) -> Any:
    if dtype is not None:
        return dtype
    kind = like.dtype if isinstance(like, Tensor) else np.asarray(like).dtype
    return kind if kind.kind == "f" else None


def rand_like(like: ArrayLike, *, dtype: Any = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform random values in [0, 1) with the shape of ``like``.

    >>> import descend as dc
    >>> dc.rand_like(dc.zeros((2, 2))).shape
    (2, 2)
    """
    return rand(like.shape if isinstance(like, Tensor) else np.shape(like),
                dtype=_float_dtype_of(like, dtype), device=_device_of(like, device),
                requires_grad=requires_grad)


def randn_like(like: ArrayLike, *, dtype: Any = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal random values with the shape of ``like``.

    >>> import descend as dc
    >>> dc.randn_like(dc.zeros(4)).shape
    (4,)
    """
    return randn(like.shape if isinstance(like, Tensor) else np.shape(like),
                 dtype=_float_dtype_of(like, dtype), device=_device_of(like, device),
                 requires_grad=requires_grad)
