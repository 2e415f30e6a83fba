"""Reverse-mode differentiation: walk the graph backwards from an output, applying the chain rule.

:func:`backward` sorts the graph topologically, seeds the output's gradient and calls each op's
``backward`` once, after every op that uses its output has contributed; gradients reaching the same
tensor along several paths are summed. Leaves (tensors made by the user with
``requires_grad=True``) accumulate into ``.grad`` across calls; :func:`grad` returns gradients
for chosen inputs instead. :func:`record_backward` lets tools (``dc.explain``, graph drawings)
see the gradient on every edge.

>>> import descend as dc
>>> x = dc.tensor(3.0, requires_grad=True)
>>> y = x * x + x          # dy/dx = 2x + 1 = 7
>>> y.backward()
>>> x.grad.item()
7.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from descend.autograd.function import Function, check_finite
from descend.autograd.mode import state

if TYPE_CHECKING:
    from descend.tensor import Tensor


@dataclass(frozen=True)
class EdgeRecord:
    """What one op's backward received and produced (seen through :func:`record_backward`)."""

    fn: Function
    output: Tensor
    grad_output: Tensor
    inputs: tuple[Tensor, ...]
    grad_inputs: tuple[Tensor | None, ...]


_recorders: list[list[EdgeRecord]] = []


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
    _recorders.append(records)
    try:
        yield records
    finally:
        _recorders.remove(records)


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that requires grad and leads to ``root``, each after all of its inputs."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        fn = tensor._ctx
        if fn is None:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"backward: the graph through '{fn.name}' was already freed by an earlier "
                "backward; pass retain_graph=True to the first backward() to go back twice"
            )
        for parent in fn.inputs:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def run_backward(
    root: Tensor,
    seed: Tensor,
    *,
    retain_graph: bool,
    create_graph: bool,
    wanted: Sequence[Tensor] | None = None,
) -> dict[int, Tensor]:
    """Propagate ``seed`` (d output / d root) back through the graph below ``root``.

    With ``wanted`` given, return their gradients keyed by ``id`` and leave ``.grad`` alone;
    otherwise accumulate into the ``.grad`` of leaves (and of tensors that ``retain_grad()``).
    """
    order = topological_order(root)
    wanted_ids = None if wanted is None else {id(t) for t in wanted}
    grads: dict[int, Tensor] = {id(root): seed}
    found: dict[int, Tensor] = {}
    handed_out: set[int] = set()
    previous_mode = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        for tensor in reversed(order):
            key = id(tensor)
            gy = grads.pop(key, None)
            if gy is None:
                continue
            fn = tensor._ctx
            if wanted_ids is not None:
                if key in wanted_ids:
                    found[key] = gy
            elif fn is None or tensor._retains_grad:
                _accumulate(tensor, gy, handed_out, create_graph)
            if fn is None:
                continue
            _backward_one(fn, tensor, gy, grads)
            if not retain_graph:
                fn.release()
    finally:
        state.grad_enabled = previous_mode
    return found


def _backward_one(fn: Function, output: Tensor, gy: Tensor, grads: dict[int, Tensor]) -> None:
    """Call one op's backward and add its input gradients into ``grads``."""
    inputs = fn.inputs
    assert inputs is not None
    anomaly, state.anomaly = state.anomaly, False  # check the gradients, not the ops inside
    try:
        result = fn.backward(gy)
    finally:
        state.anomaly = anomaly
    gxs = result if type(result) is tuple else (result,)
    for x, gx, needed in zip(inputs, gxs, fn.needs_input_grad):
        if not needed or gx is None:
            continue
        if gx.data.dtype != x.data.dtype:
            gx = gx.astype(x.data.dtype)
        if gx.data.shape != x.data.shape:
            raise RuntimeError(
                f"{fn.name}: backward gave a gradient of shape {gx.data.shape} for an input of "
                f"shape {x.data.shape} (a bug in the op; please report it)"
            )
        if state.anomaly:
            check_finite(gx.data, f"the gradient that '{fn.name}' passes back", fn)
        key = id(x)
        previous = grads.get(key)
        grads[key] = gx if previous is None else previous + gx
    if _recorders:
        record = EdgeRecord(fn, output, gy, inputs, tuple(gxs))
        for records in _recorders:
            records.append(record)


def _accumulate(tensor: Tensor, gy: Tensor, handed_out: set[int], create_graph: bool) -> None:
    """Add ``gy`` into ``tensor.grad``, making sure every ``.grad`` owns its own array."""
    if tensor.grad is not None:
        tensor.grad = tensor.grad + gy
        return
    if not create_graph:
        array = gy.data
        if array.base is not None or id(array) in handed_out or not array.flags.writeable:
            gy = type(gy)._wrap(np.array(array))
        handed_out.add(id(gy.data))
    tensor.grad = gy
