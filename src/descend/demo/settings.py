"""Checking a demo's settings, and holding out the last rows of the training data.

Each check raises a ``ValueError`` that names the demo, the setting, what was given and what
is expected, so ``run(epochs=0)`` fails at once and says why.

>>> from descend.demo.settings import positive_int
>>> positive_int(0, "epochs", "demo boston")
Traceback (most recent call last):
...
ValueError: demo boston: epochs must be a positive integer, got 0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.train.adapter import validation_start

Arrays = tuple[np.ndarray, np.ndarray]


def positive_int(value: Any, name: str, where: str, *, most: int | None = None) -> int:
    """``value`` as an int if it is a whole number from 1 to ``most``, else a ValueError.

    >>> positive_int(5, "limit", "demo mnist", most=10)
    5
    >>> positive_int(50, "limit", "demo mnist", most=10)
    Traceback (most recent call last):
    ...
    ValueError: demo mnist: limit must be a positive integer at most 10, got 50
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0 or \
            (most is not None and value > most):
        bound = "" if most is None else f" at most {most:,}"
        raise ValueError(f"{where}: {name} must be a positive integer{bound}, got {value!r}")
    return int(value)


def positive_number(value: Any, name: str, where: str) -> float:
    """``value`` as a float if it is a finite number above 0, else a ValueError.

    >>> positive_number(0.01, "lr", "demo boston")
    0.01
    >>> positive_number(float("nan"), "lr", "demo boston")
    Traceback (most recent call last):
    ...
    ValueError: demo boston: lr must be a positive number, got nan
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or \
            not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")
    return float(value)


def between_0_and_1(value: Any, name: str, where: str) -> float:
    """``value`` as a float if it is strictly between 0 and 1, else a ValueError.

    >>> between_0_and_1(1, "validation_split", "demo mnist")
    Traceback (most recent call last):
    ...
    ValueError: demo mnist: validation_split must be a fraction between 0 and 1, got 1
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"{where}: {name} must be a fraction between 0 and 1, got {value!r}")
    return float(value)


def hold_out(x: np.ndarray, y: np.ndarray, fraction: Any, where: str) -> tuple[Arrays, Arrays]:
    """Split off the last ``fraction`` of the rows for validation, as Keras's
    ``validation_split`` does (before any shuffling).

    Returns:
        ``(x_fit, y_fit), (x_validation, y_validation)``; the first ``floor(n * (1 -
        fraction))`` rows train.

    Raises:
        ValueError: if ``fraction`` is not between 0 and 1, or either part would be empty.

    >>> import numpy as np
    >>> (x_fit, _), (x_val, _) = hold_out(np.arange(10), np.arange(10), 0.2, "demo")
    >>> x_fit.tolist(), x_val.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    fraction = between_0_and_1(fraction, "validation_split", where)
    cut = validation_start(len(x), fraction)
    if not 0 < cut < len(x):
        raise ValueError(f"{where}: {len(x)} training rows cannot be split into training and "
                         f"validation rows with validation_split {fraction}; use more rows")
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
