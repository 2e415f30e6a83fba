"""Grad mode: whether ops record the graph. Its switches work as context managers and decorators.

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
    """The process-wide switch: whether ops record the graph."""

    __slots__ = ("grad_enabled",)

    def __init__(self) -> None:
        self.grad_enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph for backward.

    >>> import descend as dc
    >>> dc.is_grad_enabled()
    True
    """
    return state.grad_enabled


class _Switch(contextlib.ContextDecorator):
    """Set grad mode inside a ``with`` block or a decorated function."""

    _value = True

    def __enter__(self) -> _Switch:
        self._previous = state.grad_enabled
        state.grad_enabled = self._value
        return self

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._previous

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

    _value = True


class set_grad_enabled(_Switch):  # noqa: N801
    """Record the graph (``True``) or not (``False``) inside the block, as torch's.

    >>> import descend as dc
    >>> x = dc.tensor([1.0], requires_grad=True)
    >>> with dc.autograd.set_grad_enabled(False):
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self._value = bool(mode)

    def __call__(self, func: F) -> F:  # type: ignore[override]
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self._value):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
