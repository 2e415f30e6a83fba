"""Metrics inside a traced step: their ``update_state``, ``result`` and ``reset`` are recorded.

A metric keeps its running sums in Python, on the host, so a replay, which repeats array
operations and recorded calls only, would not update it, read it or reset it. While a step
is traced, every metric class's ``update_state``, ``result`` and ``reset`` (the methods a
subclass implements, as in Keras) record themselves when the step calls them
(:func:`descend.tracing.on_host`): each replay makes the call again, on its own batch, and
the number ``result()`` returns is that replay's. So a Keras-style step that returns
``{m.name: m.result() for m in metrics}``, or that resets a metric, or makes one
(``dc.metrics.accuracy(y, logits)``), gives on every call what the eager step gives.

>>> import numpy as np, descend as dc
>>> w = dc.tensor([[1.0], [-1.0]], requires_grad=True, name="w")
>>> mae = dc.metrics.MeanAbsoluteError()
>>> def step(x, y):
...     prediction = x @ w
...     mae.update(y, prediction)
...     return {"mae": mae.result()}
>>> step = dc.jit(step)
>>> x = np.array([[1.0, 0.0]], np.float32)
>>> [step(x, np.array([[k]], np.float32))["mae"] for k in (0.0, 3.0)]   # traced, replayed
[1.0, 1.5]
>>> print(step.program(x, np.zeros((1, 1), np.float32)))
def step(x, y):
    t3 = x @ w
    MeanAbsoluteError.update_state(y, t3, None)
    h4 = MeanAbsoluteError.result()
    return {'mae': h4}
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from descend import tracing
from descend.compiler.trace import TraceError
from descend.metrics import Metric

RECORDED = ("update_state", "result", "reset")
"""The metric methods a step's calls to are recorded (what a subclass implements)."""


@contextlib.contextmanager
def watching_metrics() -> Iterator[None]:
    """While a step is traced, each metric class's own :data:`RECORDED` methods record the
    step's calls to them (a call made inside a recorded one, such as ``super().result()``,
    or while no step is traced, runs as it is)."""
    swapped = [(cls, name, cls.__dict__[name]) for cls in _metric_classes()
               for name in RECORDED if inspect.isfunction(cls.__dict__.get(name))]
    for cls, name, method in swapped:
        setattr(cls, name, _recording(method))
    try:
        yield
    finally:
        for cls, name, method in swapped:
            setattr(cls, name, method)


def _recording(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` as the step calls it while it is traced: through ``tracing.on_host``."""
    @functools.wraps(method)
    def recorded(metric: Metric, *args: Any, **kwargs: Any) -> Any:
        if kwargs:  # (a recorded call takes its arguments in order)
            bound = inspect.signature(method).bind(metric, *args, **kwargs)
            if bound.kwargs:
                raise TraceError(f"jit: {type(metric).__name__}.{method.__name__} was given "
                                 f"keyword-only arguments {sorted(bound.kwargs)}; a recorded "
                                 "call takes its arguments in order")
            args = bound.args[1:]
        return tracing.on_host(method.__get__(metric), *args)
    return recorded


def _metric_classes() -> list[type]:
    """``Metric`` and every subclass of it defined so far."""
    found, waiting = {}, [Metric]
    while waiting:
        cls = waiting.pop()
        found[cls] = None
        waiting.extend(cls.__subclasses__())
    return list(found)
