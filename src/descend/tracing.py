"""The one hook through which ``dc.jit`` watches a training step being traced.

The core calls the :data:`active` tracer, when there is one, at each thing a compiled step
must replay: an op applied, an op's backward begun and ended, a gradient added into
``.grad``, an in-place update, ``zero_grad``, an optimizer's parameter update, a constant made
by ``dc.zeros``/``dc.ones``/``dc.arange``..., a check of the step's data (:func:`check`), host
code run on the step's values (:func:`on_host`: a metric's update or result), and a value read back
into Python (which a replay cannot repeat). Nothing is watched when it is
``None``.

>>> import descend as dc
>>> from descend import tracing
>>> tracing.active is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

active: Any = None
"""The tracer recording a step (``descend.compiler.trace.Tracer``), or ``None``."""

Result = TypeVar("Result")


def check(fn: Callable[..., Result], *args: Any) -> Result:
    """``fn(*args)``: a check of a step's data that raises on bad values, and may return the
    data converted (labels checked to lie in range, as ``int64``). A Tensor among ``args``
    reaches ``fn`` as its array.

    While a step is traced, the tracer keeps the call, so that every replay of the compiled
    step checks (and converts) its own batch and fails on bad data as the eager step does.

    >>> import numpy as np, descend as dc
    >>> check(np.ndim, np.zeros((2, 3))), check(np.shape, dc.ones(4))
    (2, (4,))
    """
    args = arrays(args)
    result = fn(*args)
    if active is not None:
        active.check(fn, args, result)
    return result


def on_host(fn: Callable[..., Result], *args: Any) -> Result:
    """``fn(*args)``: host code run on the step's values for what it does to Python state (a
    metric's ``update_state``, ``reset``) or reads from it (its ``result()``), on arrays (a
    Tensor among ``args`` reaches ``fn`` as its array); returns what ``fn`` returns.

    While a step is traced, the tracer records the call, so that every replay of the compiled
    step makes it again on that replay's arrays; a value ``fn`` returns comes back as a
    placeholder that the step may return (each call then returns its own value) but not
    compute with.

    >>> import numpy as np
    >>> seen = []
    >>> on_host(seen.append, np.ones(2)), seen
    (None, [array([1., 1.])])
    """
    args = arrays(args)
    if active is None:
        return fn(*args)
    return active.on_host(fn, args)


def arrays(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with each Tensor among them given as its array (what host code reads).

    >>> import descend as dc
    >>> arrays((dc.ones(2), 3))
    (array([1., 1.], dtype=float32), 3)
    """
    from descend.tensors import Tensor  # imported here: Tensor lies above this hook

    return tuple([arg.data if isinstance(arg, Tensor) else arg for arg in args])
