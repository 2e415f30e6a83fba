"""one_hot: integer class labels to one-hot rows, for categorical cross-entropy.

>>> from descend.data import one_hot
>>> one_hot([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.backend import floating_dtype, get_default_dtype
from descend.data.validation import as_numeric


def _position(mask: np.ndarray) -> str:
    """`` at position i`` (or ``(i, j)``) for the first True entry of ``mask``."""
    if mask.ndim == 0:
        return ""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f" at position {index[0] if len(index) == 1 else index}"


def one_hot(labels: Any, num_classes: int | None = None, *, dtype: Any = None) -> np.ndarray:
    """Turn integer labels into one-hot vectors: label ``k`` becomes a row with a 1 at ``k``.

    Args:
        labels: integer class labels in ``[0, num_classes)``, any shape ``s`` (usually
            ``(n,)``). Floats are accepted if they are whole numbers (``3.0``).
        num_classes: the number of classes; ``labels.max() + 1`` if None.
        dtype: a floating dtype for the result (default: descend's default, float32).

    Returns:
        An array of shape ``(*s, num_classes)``.

    Raises:
        TypeError: if ``labels`` are not numbers or ``num_classes`` is not an int.
        ValueError: if a label is negative, not a whole number, or ``>= num_classes``
            (the message names the label and its position).

    >>> one_hot([3], num_classes=3)
    Traceback (most recent call last):
    ...
    ValueError: one_hot: label 3 at position 0 is out of range; with num_classes=3 labels ...
    """
    array = as_numeric(labels, "labels", "one_hot")
    out_dtype = get_default_dtype() if dtype is None else floating_dtype(dtype, "one_hot")
    if array.dtype.kind == "f":
        fractional = array != np.round(array)
        if fractional.any() or not np.isfinite(array).all():
            bad = fractional | ~np.isfinite(array)
            raise ValueError(
                f"one_hot: labels must be whole numbers, got {array[bad].flat[0]}{_position(bad)}"
            )
    if num_classes is None:
        if array.size == 0:
            raise ValueError("one_hot: labels is empty, so num_classes cannot be inferred; pass it")
        num_classes = int(array.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be at least 1, got {num_classes}")
    outside = (array < 0) | (array >= num_classes)
    if outside.any():
        raise ValueError(
            f"one_hot: label {array[outside].flat[0]:g}{_position(outside)} is out of range; "
            f"with num_classes={num_classes} labels must be between 0 and {num_classes - 1}"
        )
    out = np.zeros((*array.shape, num_classes), dtype=out_dtype)
    np.put_along_axis(out, array.astype(np.int64)[..., None], 1, axis=-1)
    return out
