"""The array namespace, the default floating dtype and the one random generator descend draws from.

Everything numerical in descend goes through ``xp`` (NumPy today), and every random draw
(``dc.rand``, initialisers, dropout masks, shuffling) comes from :func:`rng`, so one call to
:func:`seed` makes a whole run repeatable.

>>> import descend as dc
>>> dc.seed(0); a = dc.randn(3).numpy()
>>> dc.seed(0); b = dc.randn(3).numpy()
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

xp = np
"""The array module every op computes with."""

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


@contextlib.contextmanager
def using_rng(generator: np.random.Generator) -> Iterator[np.random.Generator]:
    """Draw from ``generator`` inside the block (the trainer gives each epoch its own).

    >>> import numpy as np, descend as dc
    >>> with dc.backend.using_rng(np.random.default_rng(3)):
    ...     a = dc.rand(2).numpy()
    >>> bool((a == np.random.default_rng(3).random(2).astype(np.float32)).all())
    True
    """
    global _rng
    previous, _rng = _rng, generator
    try:
        yield generator
    finally:
        _rng = previous


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
