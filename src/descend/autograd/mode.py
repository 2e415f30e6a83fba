"""Switches that change how ops record the graph: grad mode and anomaly detection.

Both work as context managers and as decorators.

>>> import descend as dc
>>> x = dc.tensor([1.0], requires_grad=True)
>>> with dc.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """The two process-wide switches (grad recording and anomaly detection)."""

    __slots__ = ("anomaly", "grad_enabled")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False


state = _State()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph for backward.

    >>> import descend as dc
    >>> dc.is_grad_enabled()
    True
    """
    return state.grad_enabled


def is_anomaly_enabled() -> bool:
    """Whether :class:`detect_anomaly` is active.

    >>> import descend as dc
    >>> dc.autograd.is_anomaly_enabled()
    False
    """
    return state.anomaly


class _Switch(contextlib.ContextDecorator):
    """Set one attribute of ``state`` inside a ``with`` block or a decorated function."""

    _attribute = ""
    _value = True

    def __enter__(self) -> _Switch:
        self._previous = getattr(state, self._attribute)
        setattr(state, self._attribute, self._value)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(state, self._attribute, self._previous)

    def __call__(self, func: F) -> F:  # type: ignore[override]
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Switch):  # noqa: N801 - named like torch.no_grad, which users know
    """Do not record the graph: results of ops do not require grad (inference, updates).

    >>> import descend as dc
    >>> @dc.no_grad()
    ... def predict(x):
    ...     return x * 3
    >>> predict(dc.tensor([1.0], requires_grad=True)).requires_grad
    False
    """

    _attribute = "grad_enabled"
    _value = False


class enable_grad(_Switch):  # noqa: N801
    """Record the graph again inside a :class:`no_grad` block.

    >>> import descend as dc
    >>> x = dc.tensor([1.0], requires_grad=True)
    >>> with dc.no_grad():
    ...     with dc.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    _attribute = "grad_enabled"
    _value = True


class detect_anomaly(_Switch):  # noqa: N801
    """Check every op's output and gradient for NaN/inf and name the first op that made one.

    Slower (each op records where it was created and checks its arrays); use it to debug.

    >>> import descend as dc
    >>> x = dc.tensor([0.0], requires_grad=True)
    >>> with dc.detect_anomaly():
    ...     try:
    ...         (x.log() * 0).sum().backward()
    ...     except FloatingPointError as err:
    ...         print(str(err).splitlines()[0])
    anomaly: the forward value of 'log' is not finite (1 of 1 values are NaN/inf)
    """

    _attribute = "anomaly"
    _value = True
