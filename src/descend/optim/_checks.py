"""Validation of optimizer hyperparameters: one checker per hyperparameter name.

A name means the same thing in every optimizer (``eps`` is always a small non-negative number,
``betas`` always a pair in ``[0, 1)``), so one table serves them all. Each checker returns the
cleaned value (Python ``float``/``bool``/``tuple``, so float32 parameters stay float32) or raises a
``ValueError``/``TypeError`` that names the optimizer, the argument, the accepted range and what
was given.

>>> from descend.optim._checks import check_hyperparameter
>>> check_hyperparameter("SGD", "lr", 0.1)
0.1
>>> check_hyperparameter("SGD", "lr", -1)
Traceback (most recent call last):
...
ValueError: SGD: lr must be a non-negative number (lr >= 0), got -1
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value}")
    return value


def non_negative(owner: str, name: str, value: Any) -> float:
    """A finite number ``>= 0`` (learning rates, eps, momentum, weight decay, ...)."""
    number = _number(owner, name, value)
    if number < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number ({name} >= 0), "
                         f"got {value!r}")
    return number


def unit_interval(owner: str, name: str, value: Any) -> float:
    """A number in ``[0, 1]`` (Adadelta's ``rho``)."""
    number = _number(owner, name, value)
    if not 0 <= number <= 1:
        raise ValueError(f"{owner}: {name} must be in [0, 1], got {value!r}")
    return number


def any_number(owner: str, name: str, value: Any) -> float:
    """Any finite number (SGD's ``dampening``, as in torch)."""
    return _number(owner, name, value)


def betas(owner: str, name: str, value: Any) -> tuple[float, float]:
    """A pair ``(beta1, beta2)``, each in ``[0, 1)``."""
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (beta1, beta2) of numbers in [0, 1), "
                         f"got {value!r}")
    cleaned = []
    for i, beta in enumerate(value):
        number = _number(owner, f"{name}[{i}]", beta)
        if not 0 <= number < 1:
            raise ValueError(f"{owner}: {name}[{i}] must be in [0, 1), got {beta!r}")
        cleaned.append(number)
    return cleaned[0], cleaned[1]


def flag(owner: str, name: str, value: Any) -> bool:
    """``True`` or ``False``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    "lr": non_negative,
    "eps": non_negative,
    "weight_decay": non_negative,
    "momentum": non_negative,
    "dampening": any_number,
    "alpha": non_negative,
    "rho": unit_interval,
    "lr_decay": non_negative,
    "initial_accumulator_value": non_negative,
    "momentum_decay": non_negative,
    "betas": betas,
    "nesterov": flag,
    "maximize": flag,
    "centered": flag,
    "amsgrad": flag,
    "decoupled_weight_decay": flag,
}
"""The checker for every hyperparameter name any descend optimizer takes."""


def check_hyperparameter(owner: str, name: str, value: Any) -> Any:
    """Check one hyperparameter by its name; names not in :data:`CHECKS` pass unchanged."""
    checker = CHECKS.get(name)
    return value if checker is None else checker(owner, name, value)
