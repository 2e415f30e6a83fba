"""Checks of what ``fit`` is given that need no model: the callbacks, and batches against the
first batch.

``fit`` promises that bad input changes no weight: arrays, lists of batches and the first
batch of any iterable are checked whole before the first step. A one-shot iterator (a
generator) cannot be read ahead, so each of its later batches is checked when it is read,
before its own step: a bad batch changes nothing, but the good batches before it have
already trained (see :class:`descend.train.adapter.BatchSource`).

>>> import numpy as np
>>> first = (np.zeros((4, 2)), np.zeros((4, 1)))
>>> check_like_first(first, (np.zeros((4, 3)), np.zeros((4, 1))), 2, "fit")
Traceback (most recent call last):
...
ValueError: fit: batch 2 has x of shape (4, 3) but the first batch's x has shape (4, 2); ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.train.callbacks import Callback


def callbacks_as_list(callbacks: Any, where: str = "fit") -> list[Callback]:
    """``callbacks`` as a list: one callback is accepted as well as a list of them.

    Args:
        callbacks: None, one ``dc.callbacks`` object, or a list or tuple of them.
        where: the caller, which starts the messages.

    Raises:
        TypeError: anything else, naming the item that is not a callback.

    >>> import descend as dc
    >>> len(callbacks_as_list(dc.callbacks.TerminateOnNaN()))
    1
    >>> callbacks_as_list([print])
    Traceback (most recent call last):
    ...
    TypeError: fit: callbacks[0] is a builtin_function_or_method, not a callback; wrap a ...
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, list | tuple):
        raise TypeError(f"{where}: callbacks must be a callback or a list of callbacks, got "
                        f"{_what(callbacks)}")
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(f"{where}: callbacks[{i}] is {_what(callback)}, not a callback; "
                            "wrap a function as dc.callbacks.LambdaCallback(on_epoch_end=f), "
                            "or subclass dc.callbacks.Callback")
    return list(callbacks)


def _what(value: Any) -> str:
    """How a message names a wrong value; a callback class gets a hint to make one."""
    if isinstance(value, type) and issubclass(value, Callback):
        return f"the class {value.__name__} (make one: {value.__name__}())"
    return f"a {type(value).__name__}"


def check_like_first(first: tuple[Any, ...] | None, batch: tuple[Any, ...], index: int,
                     where: str) -> tuple[Any, ...]:
    """Check that ``batch`` has the first batch's parts and shapes past the batch axis.

    Args:
        first: the first batch ``(x, y[, sample_weight])``, or None when ``batch`` is it.
        batch: the batch read now.
        index: its position (0 for the first).
        where: the caller, which starts the message.

    Returns:
        The first batch (``batch`` itself when ``first`` is None), to pass in next time.

    Raises:
        ValueError: naming the batch, the part and both shapes.
    """
    if first is None:
        return batch
    if len(batch) != len(first):
        parts = ("(x,)", "(x, y)", "(x, y, sample_weight)")
        raise ValueError(f"{where}: batch {index} is {parts[len(batch) - 1]} but the first "
                         f"batch is {parts[len(first) - 1]}; every batch needs the same parts")
    for name, value, reference in zip(("x", "y", "sample_weight"), batch, first):
        shape, expected = np.shape(value), np.shape(reference)
        if shape[1:] != expected[1:]:
            raise ValueError(f"{where}: batch {index} has {name} of shape {shape} but the "
                             f"first batch's {name} has shape {expected}; every batch needs "
                             f"the same shape past the batch axis (it was checked before its "
                             "step, so it changed no weight)")
    return first
