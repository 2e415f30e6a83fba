"""Reverse-mode differentiation: walk the graph backwards from an output, applying the chain rule.

:func:`run_backward` orders the ops below the output newest first (every op is numbered when it
is recorded, so an op comes after every op that used its output), calls each op's ``backward``
once with the gradient of its output, and sums the gradients that reach a tensor along several
paths. :func:`backward` (``Tensor.backward``) then adds them into the leaves' ``.grad``.

Each op's backward runs through :func:`call_backward`, which checks that the tensors it reads
were not changed in place and that it returned one gradient per input, and passes them to the
:data:`backward_hooks` (anomaly mode's check for NaN/inf, :func:`record_backward`); the engine
then checks that each gradient has its input's shape as it adds it up.

>>> import descend as dc
>>> x = dc.tensor(3.0, requires_grad=True)
>>> y = x * x + x          # dy/dx = 2x + 1 = 7
>>> y.backward()
>>> x.grad.item()
7.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from descend import backend, tracing
from descend.autograd.function import Function
from descend.autograd.mode import set_grad_enabled
from descend.tensors import ArrayLike, Tensor, to_array

Gradients = tuple[Tensor | None, ...]
BackwardHook = Callable[[Function, Tensor, Tensor, Gradients], None]
"""``hook(fn, output, grad_output, grad_inputs)``, called after each op's backward."""


PICTURE_OPS = 1000
PICTURE_VALUES = 100_000
"""A graph of at most this many ops and values (in its ops' outputs) keeps them after backward,
so ``draw_graph`` can still picture it; a larger one frees them as its backward goes."""


def run_backward(root: Tensor, seed: Tensor, *, retain_graph: bool = False,
                 create_graph: bool = False, keep: Collection[Tensor] = (),
                 again: bool = False) -> dict[Tensor, Tensor]:
    """d root / d tensor for every leaf reached, every tensor in ``keep`` and every tensor
    that ``retain_grad()``, given ``seed`` = d(something) / d root.

    With ``create_graph`` the backward pass is itself recorded (grad mode on), so the
    gradients can be differentiated again. Without ``retain_graph`` each op is released once
    its backward has run: a second backward through it raises (unless ``again``, which
    pictures of a small graph use) and a large graph's memory is freed.
    """
    wanted = set(keep)
    grads = {root: seed}
    kept = {}
    order = ops_newest_first(root, again=again)
    small = len(order) <= PICTURE_OPS and sum([t.data.size for t in order]) <= PICTURE_VALUES
    with set_grad_enabled(create_graph):
        for output in order:
            fn = output._ctx
            gy = grads.pop(output, None)
            if gy is not None:
                if output._retains_grad or output in wanted:
                    kept[output] = gy
                for x, gx in zip(fn.inputs, call_backward(fn, output, gy)):
                    if gx is None or not x.requires_grad:
                        continue
                    if gx.data.shape != x.data.shape:
                        raise misfit(fn, x, gx)
                    gx = gx if gx.data.dtype == x.data.dtype else gx.astype(x.dtype)
                    earlier = grads.get(x)
                    grads[x] = gx if earlier is None else earlier + gx
            if not retain_graph:
                fn.release(keep_values=small)
    return grads | kept


def ops_newest_first(root: Tensor, *, again: bool = False) -> list[Tensor]:
    """The computed tensors below ``root`` that require grad, most recently computed first.

    An op that backward has gone through raises, unless ``again`` and it kept its inputs.
    """
    found: dict[Tensor, int] = {}  # each tensor's op's place in creation order
    stack = [root]
    while stack:
        tensor = stack.pop()
        fn = tensor._ctx
        if fn is None or tensor in found:
            continue
        if fn.released and not (again and fn.inputs is not None):
            raise RuntimeError(
                f"backward: the graph through '{fn.name}' was already freed by an earlier "
                "backward; pass retain_graph=True to the first backward() to go back twice"
            )
        found[tensor] = fn.sequence
        stack += fn.inputs
    return sorted(found, key=found.__getitem__, reverse=True)


def call_backward(fn: Function, output: Tensor, gy: Tensor) -> Gradients:
    """``fn.backward(gy)`` as a tuple, one gradient per input, seen by every backward hook."""
    if tracing.active is not None:
        tracing.active.backward_begin(fn, output, gy)
    fn.check_versions(output)
    result = fn.backward(gy)
    gxs = result if isinstance(result, tuple) else (result,)
    if len(gxs) != len(fn.inputs):
        raise RuntimeError(
            f"{fn.name}: backward returned {len(gxs)} gradients for {len(fn.inputs)} inputs; "
            "return one per input (None for an input without one)"
        )
    for hook in backward_hooks:
        hook(fn, output, gy, gxs)
    if tracing.active is not None:
        tracing.active.backward_end(fn, output, gy, gxs)
    return gxs


def misfit(fn: Function, x: Tensor, gx: Tensor) -> RuntimeError:
    """The error for a gradient ``gx`` that ``fn``'s backward gave for its input ``x`` with
    another shape than ``x``'s."""
    return RuntimeError(
        f"{fn.name}: backward gave a gradient of shape {gx.shape} for an input of shape "
        f"{x.shape}; a gradient has its input's shape (sum it over the axes that broadcasting "
        "added)"
    )


backward_hooks: list[BackwardHook] = []
"""Run after every op's backward, in order; anomaly mode and :func:`record_backward` add theirs."""


def backward(root: Tensor, gradient: ArrayLike | None = None, *, retain_graph: bool = False,
             create_graph: bool = False) -> None:
    """``root.backward(...)``: add d root / d leaf into the ``.grad`` of every leaf reached."""
    seed = initial_gradient(root, gradient)
    grads = run_backward(root, seed, retain_graph=retain_graph or create_graph,
                         create_graph=create_graph)
    handed_out: set[int] = set()
    with set_grad_enabled(create_graph):
        for tensor, grad in grads.items():
            if tensor._ctx is None or tensor._retains_grad:
                accumulate(tensor, grad, handed_out)


def initial_gradient(root: Tensor, gradient: ArrayLike | None) -> Tensor:
    """d root / d root: ones for a single value, else ``gradient`` (which must fit ``root``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad, so there is no graph to go back "
            "through; create the inputs with requires_grad=True and do not compute it "
            "under no_grad() (a compiled step's result after its first call has no graph "
            "either: call backward() and step the optimizer inside the step)"
        )
    if gradient is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: a gradient can be implied only for a single-value output (a "
                f"loss); this tensor has shape {root.shape}, so pass gradient= of that shape, "
                "or reduce it first (.sum() or .mean())"
            )
        return Tensor._wrap(backend.array_module(root.data).ones_like(root.data))
    seed = gradient if isinstance(gradient, Tensor) else Tensor._wrap(
        to_array(gradient, root.dtype, where="backward"))
    if seed.shape != root.shape:
        raise ValueError(f"backward: gradient has shape {seed.shape} but the tensor has shape "
                         f"{root.shape}; they must be equal")
    return seed


def accumulate(tensor: Tensor, gradient: Tensor, handed_out: set[int]) -> None:
    """Add ``gradient`` into ``tensor.grad``; every ``.grad`` gets an array of its own.

    A ``.grad`` that owns its array takes the sum in place (torch's rule in a plain pass), so
    accumulating over micro-batches reuses one buffer. In a recorded pass the sum is an op.
    """
    if tracing.active is not None:  # (the tracer records it, then adds it as below)
        tracing.active.accumulate(tensor, gradient, handed_out)
        return
    if tensor.grad is None:
        data = gradient.data
        if data.base is not None or id(data) in handed_out or not _writeable(data):
            gradient = Tensor._wrap(data.copy())  # shared with another tensor: copy it
        handed_out.add(id(gradient.data))
        tensor.grad = gradient
    elif gradient.requires_grad or tensor.grad.requires_grad or not _owns(tensor.grad, gradient):
        tensor.grad = tensor.grad + gradient
    else:
        tensor.grad.data += gradient.data


def _owns(grad: Tensor, gradient: Tensor) -> bool:
    """Whether ``grad`` can take ``gradient`` in place: its own writable array, same shape."""
    data = grad.data
    return (data.base is None and _writeable(data) and data.shape == gradient.shape
            and data.dtype == gradient.dtype)


def _writeable(array: Any) -> bool:
    """Whether ``array`` may be written (CuPy's arrays always may: they have no such flag)."""
    return getattr(array.flags, "writeable", True)


@dataclass(frozen=True)
class EdgeRecord:
    """What one op's backward received and produced (seen through :func:`record_backward`)."""

    fn: Function
    output: Tensor
    grad_output: Tensor
    inputs: tuple[Tensor, ...]
    grad_inputs: Gradients


@contextlib.contextmanager
def record_backward() -> Iterator[list[EdgeRecord]]:
    """Collect an :class:`EdgeRecord` for every op that backward passes through.

    >>> import descend as dc
    >>> from descend.autograd.engine import record_backward
    >>> x = dc.tensor(2.0, requires_grad=True)
    >>> with record_backward() as records:
    ...     (x * 3).backward()
    >>> [(r.fn.name, r.grad_inputs[0].item()) for r in records]
    [('mul', 3.0)]
    """
    records: list[EdgeRecord] = []

    def record(fn: Function, output: Tensor, gy: Tensor, gxs: Gradients) -> None:
        passed = tuple(g if needed else None for g, needed in zip(gxs, fn.needs_input_grad))
        records.append(EdgeRecord(fn, output, gy, fn.inputs, passed))

    with added(backward_hooks, record):
        yield records


@contextlib.contextmanager
def added(hooks: list, hook: Callable) -> Iterator[None]:
    """``hook`` appended to ``hooks`` inside the ``with`` block."""
    hooks.append(hook)
    try:
        yield
    finally:
        hooks.remove(hook)
