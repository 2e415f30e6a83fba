"""Search spaces for sweeps: a grid of listed values, or random draws from distributions.

A space maps each hyperparameter's name to the values it takes:

* a list or tuple: every value in turn (a grid), or one drawn at random in a random search;
* a distribution — :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform` — drawn from in
  a random search (a grid cannot list them: give ``n_trials``).

:func:`trial_settings` turns a space into the settings of each trial. With ``n_trials=None``
it is the grid (the Cartesian product, in the order the names are given); with ``n_trials`` it
is that many random draws from a generator seeded by ``seed``, so the same call gives the same
trials everywhere.

>>> space = {"lr": [0.1, 0.01], "optimizer": ["sgd", "adam"]}
>>> trial_settings(space)
[{'lr': 0.1, 'optimizer': 'sgd'}, {'lr': 0.1, 'optimizer': 'adam'},
 {'lr': 0.01, 'optimizer': 'sgd'}, {'lr': 0.01, 'optimizer': 'adam'}]
>>> draws = trial_settings({"lr": LogUniform(1e-4, 1e-1), "units": [16, 32]}, n_trials=3)
>>> len(draws), all(1e-4 <= d["lr"] <= 1e-1 and d["units"] in (16, 32) for d in draws)
(3, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

WHERE = "sweep"

Value = bool | int | float | str | None
"""What a hyperparameter can be set to: plain values that print, compare and go to CSV."""


@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from ``[low, high]``.

    >>> Uniform(0.0, 0.5).sample(np.random.default_rng(0)) <= 0.5
    True
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_bounds(self, self.low, self.high)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class LogUniform:
    """A positive float whose logarithm is uniform on ``[log low, log high]`` (learning rates).

    >>> 1e-3 <= LogUniform(1e-3, 1.0).sample(np.random.default_rng(0)) <= 1.0
    True
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_bounds(self, self.low, self.high)
        if self.low <= 0:
            raise ValueError(f"{WHERE}: LogUniform needs 0 < low, got low={self.low!r}")

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


@dataclass(frozen=True)
class IntUniform:
    """An integer drawn uniformly from ``low, low + 1, ..., high`` (both ends included).

    >>> IntUniform(1, 3).sample(np.random.default_rng(0)) in (1, 2, 3)
    True
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        for end in (self.low, self.high):
            if not isinstance(end, int | np.integer) or isinstance(end, bool):
                raise TypeError(f"{WHERE}: IntUniform takes integers, got {end!r}")
        _check_bounds(self, self.low, self.high)

    def sample(self, rng: np.random.Generator) -> int:
        """One draw."""
        return int(rng.integers(self.low, self.high, endpoint=True))


Distribution = Uniform | LogUniform | IntUniform


def _check_bounds(dist: Any, low: Any, high: Any) -> None:
    name = type(dist).__name__
    for end in (low, high):
        if isinstance(end, bool) or not isinstance(end, int | float | np.number):
            raise TypeError(f"{WHERE}: {name} takes numbers, got {end!r}")
        if not math.isfinite(end):
            raise ValueError(f"{WHERE}: {name} takes finite bounds, got {end!r}")
    if low > high:
        raise ValueError(f"{WHERE}: {name} needs low <= high, got low={low!r}, high={high!r}")


def check_space(space: Any) -> dict[str, list[Value] | Distribution]:
    """``space`` checked: names are strings, each value a non-empty list of plain values or a
    distribution. Returns it as a dict with lists.

    >>> check_space({"lr": (0.1, 0.01)})
    {'lr': [0.1, 0.01]}
    >>> check_space({"lr": 0.1})
    Traceback (most recent call last):
    ...
    TypeError: sweep: space['lr'] must be a list of values or a distribution ..., got float 0.1
    """
    if not isinstance(space, Mapping) or not space:
        raise TypeError(f"{WHERE}: space must be a non-empty dict of hyperparameter names to "
                        f"lists of values, got {type(space).__name__} {space!r}")
    checked: dict[str, list[Value] | Distribution] = {}
    for name, values in space.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{WHERE}: hyperparameter names must be non-empty strings, got "
                            f"{name!r}")
        if isinstance(values, Distribution):
            checked[name] = values
            continue
        if isinstance(values, np.ndarray) and values.ndim == 1:
            values = values.tolist()
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise TypeError(f"{WHERE}: space[{name!r}] must be a list of values or a "
                            "distribution (Uniform, LogUniform, IntUniform), got "
                            f"{type(values).__name__} {values!r}")
        if not values:
            raise ValueError(f"{WHERE}: space[{name!r}] is empty; give at least one value")
        checked[name] = [_plain(name, v) for v in values]
    return checked


def _plain(name: str, value: Any) -> Value:
    """A listed value as a plain Python value (NumPy scalars become numbers)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{WHERE}: space[{name!r}] may list numbers, strings, booleans or None, "
                    f"got {type(value).__name__} {value!r}")


def trial_settings(space: Mapping[str, Any], n_trials: int | None = None, *,
                   seed: int = 0) -> list[dict[str, Value]]:
    """The settings of every trial: the grid (``n_trials=None``) or ``n_trials`` random draws.

    Args:
        space: hyperparameter names to lists of values or distributions.
        n_trials: ``None`` for every combination of the listed values; a positive number for a
            random search of that many trials (lists are then drawn from, uniformly).
        seed: seeds the random search's draws.

    >>> trial_settings({"lr": Uniform(0, 1)})
    Traceback (most recent call last):
    ...
    ValueError: sweep: 'lr' is a distribution, which a grid cannot list; give n_trials ...
    """
    checked = check_space(space)
    if n_trials is None:
        for name, values in checked.items():
            if not isinstance(values, list):
                raise ValueError(f"{WHERE}: {name!r} is a distribution, which a grid cannot "
                                 "list; give n_trials for a random search")
        names = list(checked)
        return [dict(zip(names, combo)) for combo in itertools.product(*checked.values())]
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"{WHERE}: n_trials must be a positive integer or None (a grid), got "
                         f"{n_trials!r}")
    rng = np.random.default_rng(seed)
    return [{name: _draw(values, rng) for name, values in checked.items()}
            for _ in range(n_trials)]


def _draw(values: list[Value] | Distribution, rng: np.random.Generator) -> Value:
    if isinstance(values, list):
        return values[int(rng.integers(len(values)))]
    return values.sample(rng)
