"""Devices and their array modules, the default floating dtype and the one random generator.

A tensor's values live on a device: ``"cpu"`` holds a NumPy array, ``"cuda"`` (``"cuda:N"``)
a CuPy array. Code that needs a function of the array library (not just operators) asks
:func:`array_module` for the module of its inputs, as DeZero does: ``xp = array_module(x)``.
CuPy is imported only when a CUDA device is asked for or a CuPy array is seen.

Every random draw (``dc.rand``, initialisers, dropout masks, shuffling) comes from the one
NumPy generator :func:`rng`, and is copied to the device, so one call to :func:`seed` makes a
whole run repeatable and gives the same numbers on every device.

>>> import descend as dc
>>> dc.seed(0); a = dc.randn(3).numpy()
>>> dc.seed(0); b = dc.randn(3).numpy()
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from descend import tracing

_default_dtype: np.dtype = np.dtype(np.float32)
_rng: np.random.Generator = np.random.default_rng()

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def seed(n: int) -> None:
    """Seed every random draw descend makes (tensors, initialisers, dropout, shuffling).

    Args:
        n: a non-negative integer.

    >>> import descend as dc
    >>> dc.seed(42)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {n!r}")
    if tracing.active is not None:  # inside a compiled step (dc.jit): on every replay
        tracing.active.live_call(seed, (n,), f"dc.seed({n})")
        return
    global _rng
    _rng = np.random.default_rng(int(n))


def rng() -> np.random.Generator:
    """The generator descend draws from; reseeded by :func:`seed`.

    >>> import descend as dc
    >>> import numpy as np
    >>> dc.seed(1); dc.backend.rng().random() == np.random.default_rng(1).random()
    True
    """
    return _rng


def using_rng(generator: np.random.Generator) -> RngScope:
    """Draw from ``generator`` inside the block (the trainer gives each epoch its own).

    >>> import numpy as np, descend as dc
    >>> with dc.backend.using_rng(np.random.default_rng(3)):
    ...     a = dc.rand(2).numpy()
    >>> bool((a == np.random.default_rng(3).random(2).astype(np.float32)).all())
    True
    """
    return RngScope(generator)


class RngScope:
    """The block of :func:`using_rng`: descend draws from ``generator`` inside it, and from
    the generator it drew from before once it ends."""

    __slots__ = ("generator", "previous")

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator

    def __enter__(self) -> np.random.Generator:
        if tracing.active is not None:  # inside a compiled step (dc.jit): on every replay
            return tracing.active.live_call(self.__enter__, (), "using_rng(generator).__enter__()")
        global _rng
        self.previous, _rng = _rng, self.generator
        return self.generator

    def __exit__(self, *exc_info: object) -> None:
        if tracing.active is not None:
            tracing.active.live_call(self.__exit__, (), "using_rng(generator).__exit__()")
            return
        global _rng
        _rng = self.previous


def get_default_dtype() -> np.dtype:
    """The floating dtype new tensors get when none is given (float32 unless changed).

    >>> import descend as dc
    >>> dc.get_default_dtype()
    dtype('float32')
    """
    return _default_dtype


def set_default_dtype(dtype: str | type | np.dtype) -> None:
    """Set the floating dtype new tensors get when none is given.

    Args:
        dtype: ``"float32"`` or ``"float64"`` (or ``"float16"``).

    >>> import descend as dc
    >>> dc.set_default_dtype("float64"); dc.tensor([1.0]).dtype
    dtype('float64')
    >>> dc.set_default_dtype("float32")
    """
    global _default_dtype
    _default_dtype = floating_dtype(dtype, "set_default_dtype")


def floating_dtype(dtype: str | type | np.dtype, where: str) -> np.dtype:
    """Turn ``dtype`` into a NumPy floating dtype, or raise a ``TypeError`` naming ``where``."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: {dtype!r} is not a dtype; use 'float32' or 'float64'") from None
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{where}: expected a floating dtype (float32 or float64), got {resolved}")
    return resolved


@dataclass(frozen=True, eq=False)
class Device:
    """Where a tensor's values live: ``Device("cpu")`` or ``Device("cuda", 0)``.

    It compares equal to its name, so ``t.device == "cpu"`` works.

    >>> from descend.backend import Device, device
    >>> device("cuda:1"), str(device("cuda")), device("cpu") == "cpu"
    (Device(type='cuda', index=1), 'cuda:0', True)
    """

    type: str
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")
DeviceLike = str | Device


def device(spec: DeviceLike) -> Device:
    """Parse a device name: ``"cpu"``, ``"cuda"`` (device 0) or ``"cuda:N"``.

    >>> from descend.backend import device
    >>> device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device: expected 'cpu' or 'cuda[:N]', got 'gpu'
    """
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"device: expected 'cpu' or 'cuda[:N]', got {type(spec).__name__} "
                        f"{spec!r}")
    kind, colon, index = spec.strip().lower().partition(":")
    if kind == "cpu" and not colon:
        return CPU
    if kind == "cuda" and (index.isdigit() or not colon):
        return Device("cuda", int(index or 0))
    raise ValueError(f"device: expected 'cpu' or 'cuda[:N]', got {spec!r}")


def cupy() -> ModuleType:
    """The CuPy module, imported on first use; a clear error when it is not installed."""
    try:
        import cupy
    except ImportError:
        raise ModuleNotFoundError(
            "device 'cuda' needs CuPy, which is not installed; "
            "pip install 'descend[gpu]' (CuPy for CUDA 12.x)"
        ) from None
    return cupy


def array_module(*arrays: Any) -> ModuleType:
    """``numpy`` or ``cupy``: the module that computes on ``arrays`` (NumPy unless one is CuPy).

    >>> import numpy as np
    >>> from descend.backend import array_module
    >>> array_module(np.ones(2)) is np
    True
    """
    for a in arrays:
        if type(a) is np.ndarray:
            continue
        module = sys.modules.get("cupy")
        if module is not None and isinstance(a, module.ndarray):
            return module
    return np


def device_of(array: Any) -> Device:
    """The device ``array`` lives on.

    >>> import numpy as np
    >>> from descend.backend import device_of
    >>> str(device_of(np.zeros(1)))
    'cpu'
    """
    if array_module(array) is np:
        return CPU
    return Device("cuda", int(array.device.id))


def to_device(array: Any, where: DeviceLike) -> Any:
    """``array`` on device ``where`` (the same object when it is there already).

    >>> import numpy as np
    >>> from descend.backend import to_device
    >>> a = np.ones(2); to_device(a, "cpu") is a
    True
    """
    target = device(where)
    if target.type == "cpu":
        return to_host(array)
    if target == device_of(array):
        return array
    module = cupy()
    with module.cuda.Device(target.index):
        return module.asarray(array)


def to_host(array: Any) -> np.ndarray:
    """A NumPy copy of a device array; a NumPy array is returned as it is.

    >>> import numpy as np
    >>> from descend.backend import to_host
    >>> a = np.ones(2); to_host(a) is a
    True
    """
    module = array_module(array)
    return array if module is np else module.asnumpy(array)


def copy_into(target: Any, values: np.ndarray) -> None:
    """Write host ``values`` into ``target`` (an array on any device) in place, casting as
    ``np.copyto`` does with ``casting="same_kind"``.

    >>> import numpy as np
    >>> from descend.backend import copy_into
    >>> a = np.zeros(2, np.float32); copy_into(a, np.array([1.0, 2.0])); a
    array([1., 2.], dtype=float32)
    """
    if type(target) is np.ndarray:
        np.copyto(target, values, casting="same_kind")
        return
    if not np.can_cast(values.dtype, target.dtype, casting="same_kind"):
        raise TypeError(f"cannot copy {values.dtype} values into a {target.dtype} array "
                        "(same_kind casting)")
    target[...] = to_device(np.asarray(values, dtype=target.dtype), device_of(target))


def as_array(value: Any) -> Any:
    """``value`` as an array: a NumPy scalar (what NumPy's reductions give) becomes 0-d.

    >>> import numpy as np
    >>> from descend.backend import as_array
    >>> as_array(np.float32(2.0)).shape
    ()
    """
    return value if array_module(value) is not np else np.asarray(value)


def mixed_devices(where: str, arrays: Any) -> RuntimeError | None:
    """The error for an op given arrays on different devices (``None`` when they agree)."""
    found = list(dict.fromkeys(str(device_of(a)) for a in arrays))
    if len(found) < 2:
        return None
    return RuntimeError(  # torch's kind of error: no ValueError handler may take it for a shape
        f"{where}: expected all inputs on one device, got {found[0]} and {found[1]}; "
        f"move them with .to(device) first"
    )
