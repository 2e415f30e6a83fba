"""``dc.jit``: compile a training step, tracing it once per input signature, then replaying it.

>>> import numpy as np, descend as dc
>>> w = dc.tensor([[0.5], [-0.5]], requires_grad=True, name="w")
>>> opt = dc.optim.SGD([w], lr=0.1)
>>> @dc.jit
... def step(x, y):
...     opt.zero_grad()
...     loss = ((x @ w - y) ** 2).mean()
...     loss.backward()
...     opt.step()
...     return loss
>>> x, y = np.ones((4, 2), dtype=np.float32), np.ones((4, 1), dtype=np.float32)
>>> [round(step(x, y).item(), 6) for _ in range(3)]   # traced, then replayed twice
[1.0, 0.36, 0.1296]
"""

from __future__ import annotations

import copy
import functools
import inspect
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from descend import backend, tracing
from descend.autograd.anomaly import is_anomaly_enabled
from descend.compiler.metrics import watching_metrics
from descend.compiler.program import NumberSlot, Outputs, Program, Slot, output_slots
from descend.compiler.trace import HostNumber, TraceError, Tracer, watching_tensors
from descend.tensors import Tensor

T = TypeVar("T")


class CompiledStep:
    """A step function with one traced :class:`Program` per signature of its arguments.

    Array arguments (NumPy arrays or Tensors) reach the step as Tensors; their shapes and
    dtypes make the signature. Other arguments (numbers, ``None``, strings) are part of the
    signature by value: the program bakes them in; so is ``key()``'s value, when given. Past
    :data:`WARN_AFTER` signatures it warns once; it keeps the :data:`KEPT` latest programs.
    """

    def __init__(self, fn: Callable[..., Any], key: Callable[[], Any] | None = None) -> None:
        self.fn, self.key = fn, key
        self.programs: dict[tuple[Any, ...], Program] = {}
        self._warned = False
        self._parameters = _parameters(fn)
        self._names = _parameter_names(self._parameters)
        functools.update_wrapper(self, fn)

    def __deepcopy__(self, memo: dict[int, Any]) -> CompiledStep:
        """A copy with no program yet: a program reads and writes the arrays of the step it
        was traced for, so a deep copy of a model compiled with ``jit_compile`` traces its
        own steps (``fn`` and ``key`` copied with the model they belong to)."""
        return CompiledStep(copy.deepcopy(self.fn, memo), copy.deepcopy(self.key, memo))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the step: replay its program for these shapes and dtypes, or trace it anew;
        under :class:`~descend.autograd.detect_anomaly`, or inside another step's trace, run
        it eagerly (see :func:`jit`). An argument given by name counts as given in its place
        (``step(x, y=y)`` is ``step(x, y)``)."""
        if kwargs:
            args = self._in_order(args, kwargs)
        if _inline():
            return self._eager(args)
        program = self._ready(args)
        if program is not None:
            return program.run(_arrays(args))
        return self._trace(args)

    def run_each(self, calls: Iterable[tuple[Any, ...]], read: Callable[[Any], T]) -> list[T]:
        """``[read(self(*args)) for args in calls]`` in a tighter loop: while the calls keep
        one signature, its program is looked up and checked (:meth:`Program.valid`) once.

        ``read`` takes each result before the next call runs (a replay may write its next
        results into the same arrays). The calls run in order; one that raises ends the loop
        as it would end a loop of calls, after the earlier calls' steps and before its own.
        Nothing may replace a parameter's array (``tensor.data = ...``) while ``calls`` is
        read: the trainer runs an epoch's batches this way when nothing watches single ones.

        >>> import numpy as np, descend as dc
        >>> w = dc.tensor([1.0], requires_grad=True)
        >>> opt = dc.optim.SGD([w], lr=0.5)
        >>> @dc.jit
        ... def step(x):
        ...     opt.zero_grad()
        ...     loss = (w * x).sum()
        ...     loss.backward()
        ...     opt.step()
        ...     return loss
        >>> step.run_each([(np.ones(2, np.float32),)] * 3 + [(np.ones(1, np.float32),)], float)
        [2.0, 0.0, -2.0, -2.0]
        >>> len(step.programs)    # traced at the first call and at the fourth (a new shape)
        2
        """
        if _inline():
            return [read(self._eager(args)) for args in calls]
        results: list[T] = []
        replaying, program = None, None
        for args in calls:
            signature_ = self._signature(args)
            if signature_ != replaying:
                program = self._ready(args)
                replaying = signature_ if program is not None else None
            if program is None:  # trace it (Python runs: the next call looks its program up)
                results.append(read(self._trace(args)))
                replaying = None
            else:
                results.append(read(program.run(_arrays(args))))
        return results

    def ready(self, *args: Any) -> bool:
        """Whether a call with ``args`` replays a program (``False``: it would trace one),
        outside anomaly mode (in it, every call runs eagerly)."""
        return self._ready(args) is not None

    def check(self, *args: Any) -> bool:
        """Check ``args`` as a replay would, without running the step: the data checks of the
        program that fits them (a loss's labels in range) run on their arrays and raise as the
        step would; True when that program exists and its checks read only the arguments
        (then a replay on ``args`` runs the traced shapes and passes its checks), else False.

        >>> import numpy as np, descend as dc
        >>> step = dc.jit(lambda p, y: dc.losses.sparse_categorical_crossentropy(y, p))
        >>> p = np.full((2, 3), 1 / 3, np.float32)
        >>> step.check(p, np.array([0, 2]))          # nothing traced yet
        False
        >>> round(step(p, np.array([0, 2])).item(), 4)
        1.0986
        >>> step.check(p, np.array([0, 2]))
        True
        >>> step.check(p, np.array([0, 3]))
        Traceback (most recent call last):
        ...
        ValueError: sparse_categorical_crossentropy: label 3 is outside the valid range 0..2 ...
        """
        program = self._ready(args)
        return program is not None and program.check(_arrays(args))

    def program(self, *args: Any, **kwargs: Any) -> Program:
        """The program for arguments like ``args`` (tracing it, so running the step once,
        when they have a new signature); ``print`` it to read the step as NumPy code."""
        if kwargs:
            args = self._in_order(args, kwargs)
        if self._signature(args) not in self.programs:
            self._trace(args)
        return self.programs[self._signature(args)]

    def _in_order(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """``args`` and ``kwargs`` as the positional arguments they bind to (a keyword-only
        parameter, which has no place, is refused)."""
        if self._parameters is None:
            raise TypeError("dc.jit: this step's parameters cannot be told, so its arguments "
                            "must be given in order")
        try:
            bound = self._parameters.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"dc.jit: {getattr(self.fn, '__name__', 'the step')}() {err}") \
                from None
        if bound.kwargs:
            raise TypeError(f"dc.jit: a compiled step takes its arguments in order; "
                            f"{sorted(bound.kwargs)} can only be given by name (make them "
                            "positional parameters)")
        return bound.args

    def _ready(self, args: tuple[Any, ...]) -> Program | None:
        program = self.programs.get(self._signature(args))
        return program if program is not None and program.valid() else None

    def _signature(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return signature(args) if self.key is None else (*signature(args), self.key())

    def _eager(self, args: tuple[Any, ...]) -> Any:
        """Run the step's function as the eager step, tracing and replaying nothing."""
        return self.fn(*_tensors(args))

    def _trace(self, args: tuple[Any, ...]) -> Any:
        if tracing.active is not None:
            raise TraceError("jit: program() cannot trace a step while another is traced")
        tracer = Tracer()
        slots = [tracer.argument(_array(arg), self._name(i))
                 for i, arg in enumerate(args) if _is_array(arg)]
        values = _tensors(args)
        tracing.active = tracer
        try:
            with watching_tensors(tracer), watching_metrics():
                result = self.fn(*values)
            tracer.watch_settings()
            outputs = _outputs(result, tracer)
            tracer.read_back_grads(set(output_slots(outputs)))
        finally:
            tracing.active = None
        self._keep(self._signature(args), Program(tracer, slots, outputs))
        return _traced_values(result)

    def _keep(self, signature_: tuple[Any, ...], program: Program) -> None:
        """Keep ``program`` for ``signature_``: at most :data:`KEPT` programs (each holds its
        trace's arrays), the one traced longest ago dropped first; past :data:`WARN_AFTER`
        signatures, warn once that the arguments keep changing what the step traces."""
        self.programs.pop(signature_, None)
        self.programs[signature_] = program
        if len(self.programs) > WARN_AFTER and not self._warned:
            self._warned = True
            warnings.warn(self._retracing(), RuntimeWarning, stacklevel=4)
        while len(self.programs) > KEPT:
            del self.programs[next(iter(self.programs))]

    def _retracing(self) -> str:
        """Why :meth:`_keep` warns, naming the arguments whose shapes or values changed."""
        signatures = list(self.programs)
        changing = [i for i in range(len(signatures[-1]))
                    if len({repr(s[i]) for s in signatures if len(s) > i}) > 1]
        names = [self._name(i) if i < len(signatures[-1]) - (self.key is not None) else "key()"
                 for i in changing]
        return (f"dc.jit: {getattr(self.fn, '__name__', 'the step')} was traced for "
                f"{len(signatures)} signatures of its arguments (changing: "
                f"{', '.join(names) or 'none'}); each new one traces the step again and keeps "
                f"one more program (at most {KEPT}). A number argument is part of the signature "
                "by value: pass one that changes from call to call as an array "
                "(np.asarray(value, np.float32)), which one program takes; arrays of many "
                "shapes trace once per shape")

    def _name(self, i: int) -> str:
        return self._names[i] if i < len(self._names) else f"arg{i}"


def jit(fn: Callable[..., Any], *, key: Callable[[], Any] | None = None) -> CompiledStep:
    """Compile a training step: ``step = dc.jit(train_step)``, then call ``step(x, y)``.

    The first call with arguments of new shapes or dtypes runs ``fn`` eagerly while recording
    every op (forward and backward), gradient accumulation, in-place update, ``zero_grad`` and
    optimizer update; later calls replay that record as NumPy calls, giving bit-for-bit the
    eager step's results. A step that reads values into Python (``loss.item()``, an ``if`` on
    a tensor) is refused with a :class:`~descend.compiler.trace.TraceError`. Python state the step
    reads is baked in when it is traced (a module's ``training`` flag, a number in a Python
    variable); the optimizer's ``param_groups`` (a learning rate a schedule changes) and
    ``.grad`` are read live on every replay, and the step's own code changing a group's
    settings is refused (a replay would not repeat it). ``key``, a function of no arguments,
    names the Python state a program depends on: its value joins the signature, so a new
    value traces a new program (``key=lambda: model.training`` for a step run in train and
    eval mode).

    While :class:`~descend.autograd.detect_anomaly` is on, a call runs ``fn`` eagerly instead
    (nothing traced or replayed, the programs kept for later calls), so every op is checked and
    a NaN or inf raises the eager step's ``FloatingPointError`` naming the op; a program traced
    in anomaly mode (by :meth:`~CompiledStep.program`) holds no check, as any other. A compiled
    step called inside another's trace runs ``fn`` too: its ops join the outer program.

    >>> import numpy as np, descend as dc
    >>> step = dc.jit(lambda x: (x * 2).sum())
    >>> step(np.ones(3, dtype=np.float32))
    tensor(6.)
    >>> print(step.program(np.ones(3, dtype=np.float32)))
    def step(x):
        t2 = x * 2.0
        t3 = t2.sum()
        return t3
    """
    return CompiledStep(fn, key)


def _inline() -> bool:
    """Whether a call runs the step's function as is: in anomaly mode (every op checked), and
    inside another step's trace (its ops then join that step's program)."""
    return is_anomaly_enabled() or tracing.active is not None


def signature(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What decides whether a program fits: each array's shape and dtype, other values as is.

    >>> import numpy as np
    >>> signature((np.zeros((2, 3), dtype=np.float32), None))
    (((2, 3), dtype('float32')), None)
    """
    return tuple([(arg.shape, arg.dtype) if _is_array(arg) else arg for arg in args])


WARN_AFTER = 8
"""Signatures a compiled step is traced for before it warns (once) that they keep changing."""

KEPT = 32
"""Programs a compiled step keeps (each holds the arrays of its trace); the oldest goes first."""

ARRAYS = (np.ndarray, Tensor)
"""The arguments a program takes as arrays (a Tensor's array is its ``.data``)."""


def _arrays(args: tuple[Any, ...]) -> list[Any]:
    """The arrays a program runs on: the array arguments, a Tensor's by its array."""
    return [a.data if isinstance(a, Tensor) else a for a in args if _is_array(a)]


def _tensors(args: tuple[Any, ...]) -> list[Any]:
    """The step function's arguments: each array argument as a Tensor, the others as given."""
    return [Tensor._wrap(a) if _is_array(a) and not isinstance(a, Tensor) else a for a in args]


def _is_array(value: Any) -> bool:
    """NumPy arrays, Tensors, and arrays on a GPU (which the trace then refuses)."""
    return isinstance(value, ARRAYS) or backend.array_module(value) is not np


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else value


def _outputs(result: Any, tracer: Tracer) -> Outputs:
    """Where the step's results live (a :class:`Slot` per Tensor, a :class:`NumberSlot` per
    number a recorded call returned)."""
    def where(value: Any) -> Any:
        if isinstance(value, Tensor):
            return Slot(tracer.slot_of(value, "the step's result"))
        return NumberSlot(value.slot) if isinstance(value, HostNumber) else value
    return _each_result(result, where)


def _traced_values(result: Any) -> Any:
    """The step's results as the traced call returns them: a recorded call's number as is."""
    return _each_result(result, lambda v: v.value if isinstance(v, HostNumber) else v)


def _each_result(result: Any, leaf: Callable[[Any], Any]) -> Any:
    """``result`` with ``leaf`` applied to every value inside its dicts, tuples and lists."""
    if isinstance(result, dict):
        return {k: _each_result(v, leaf) for k, v in result.items()}
    if isinstance(result, tuple | list):
        return type(result)(_each_result(v, leaf) for v in result)
    return leaf(result)


def _parameters(fn: Callable[..., Any]) -> inspect.Signature | None:
    """``fn``'s signature (None where Python cannot tell it)."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _parameter_names(signature_: inspect.Signature | None) -> list[str]:
    if signature_ is None:
        return []
    return [p.name for p in signature_.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
