"""Weights made while a model file is loaded: zeros within the file's budget, not initial values.

:func:`descend.load` rebuilds a model from the file's architecture and then overwrites every
weight with the file's tensors. Drawing random initial values for them would be wasted work
(and would move the random generator), and a crafted architecture could declare a layer far
larger than the file (a 20000 x 20000 Dense in a file of a few kilobytes). Inside
:func:`placeholder_weights`, every weight a layer creates (``Layer.add_weight``) is instead a
block of zeros taken from a budget: the number of values the file's tensors hold. A layer that
asks for more raises a ``ValueError`` before anything is allocated.

>>> import descend as dc
>>> with placeholder_weights(10):
...     dc.nn.Dense(2, input_dim=3).kernel.numpy()
array([[0., 0.],
       [0., 0.],
       [0., 0.]], dtype=float32)
>>> with placeholder_weights(10):
...     dc.nn.Dense(20000, input_dim=20000)
Traceback (most recent call last):
...
ValueError: the architecture declares a weight of shape (20000, 20000) (400000000 values), ...
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np


class _Budget:
    """How many weight values may still be made, and who is making them."""

    def __init__(self, values: int) -> None:
        self.left = values

    def take(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        count = math.prod(int(size) for size in shape)
        if count > self.left:
            raise ValueError(f"the architecture declares a weight of shape "
                             f"{tuple(shape)} ({count} values), far more than the file's "
                             f"tensors hold ({self.left} values left); the file's architecture "
                             "does not match its weights")
        self.left -= count
        return np.zeros(shape, dtype)


_BUDGET: ContextVar[_Budget | None] = ContextVar("descend_weight_budget", default=None)


@contextlib.contextmanager
def placeholder_weights(values: int) -> Iterator[None]:
    """Inside the block, new layer weights are zeros, at most ``values`` of them in all.

    Args:
        values: the number of weight values the block may create; a layer asking for more
            raises a ``ValueError`` naming the weight's shape.

    >>> import descend as dc
    >>> with placeholder_weights(7):    # the kernel takes 6, the bias would need 2
    ...     layer = dc.nn.Dense(2, input_dim=3)
    Traceback (most recent call last):
    ...
    ValueError: the architecture declares a weight of shape (2,) (2 values), far more than ...
    """
    token = _BUDGET.set(_Budget(values))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def initial_weight(shape: Sequence[int], dtype: Any,
                   initializer: Callable[[tuple[int, ...], Any], np.ndarray]) -> np.ndarray:
    """A new weight's values: ``initializer(shape, dtype)``, or zeros from the budget while
    :func:`placeholder_weights` is active.

    >>> initial_weight((2,), "float32", lambda shape, dtype: np.ones(shape, dtype))
    array([1., 1.], dtype=float32)
    """
    budget = _BUDGET.get()
    if budget is None:
        return initializer(shape, dtype)  # type: ignore[arg-type]
    return budget.take((shape,) if isinstance(shape, int | np.integer) else tuple(shape), dtype)
