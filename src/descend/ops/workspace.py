"""Large scratch arrays reused from one training step to the next (im2col matrices, borders).

A training step allocates the same large temporaries every time. Arrays of a megabyte or more
go back to the operating system when freed, so the next step pays a page fault for every 4 KiB
it gets again: on the small CNN benchmark that was about 4,000 faults and 40 % of the step.
:func:`take` hands out an array of the requested shape and dtype, reusing one given back with
:func:`give_back` when there is one; an op gives back only arrays that it alone holds, once
nothing needs them any more (a convolution gives its im2col matrix back after its backward).

The pool is per thread and holds at most :data:`LIMIT_BYTES`; arrays of shapes no longer
asked for stay until newer ones push them out (the oldest first) or :func:`clear` empties it.

>>> import numpy as np
>>> a = take((512, 256), np.float32)      # 512 KiB
>>> give_back(a)
>>> take((512, 256), np.float32) is a
True
>>> clear()
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

LIMIT_BYTES = 256 * 2**20
"""The most memory the pool keeps between uses."""
SMALL_BYTES = 64 * 2**10
"""Arrays smaller than this are not pooled: the allocator already reuses them cheaply."""


class _Pool(threading.local):
    def __init__(self) -> None:
        self.free: OrderedDict[tuple[tuple[int, ...], str], list[np.ndarray]] = OrderedDict()
        self.bytes = 0


_pool = _Pool()


def take(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reused from the pool when possible."""
    dtype = np.dtype(dtype)
    key = (tuple(shape), dtype.str)
    arrays = _pool.free.get(key)
    if arrays is None:
        return np.empty(shape, dtype)
    array = arrays.pop()
    if not arrays:
        del _pool.free[key]
    _pool.bytes -= array.nbytes
    return array


def give_back(array: np.ndarray) -> None:
    """Return an array from :func:`take` for reuse; the caller must not use it afterwards."""
    nbytes = array.nbytes
    if nbytes < SMALL_BYTES or nbytes > LIMIT_BYTES or array.base is not None:
        return
    key = (array.shape, array.dtype.str)
    free = _pool.free
    free.setdefault(key, []).append(array)
    free.move_to_end(key)
    _pool.bytes += nbytes
    while _pool.bytes > LIMIT_BYTES:
        oldest = next(iter(free))
        arrays = free[oldest]
        _pool.bytes -= arrays.pop(0).nbytes
        if not arrays:
            del free[oldest]


def clear() -> None:
    """Drop every pooled array (this thread's)."""
    _pool.free.clear()
    _pool.bytes = 0


def held_bytes() -> int:
    """How many bytes the pool holds for reuse (this thread's)."""
    return _pool.bytes
