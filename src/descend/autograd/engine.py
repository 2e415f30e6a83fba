"""Reverse-mode differentiation: walk the graph backwards from an output, applying the chain rule.

:func:`run_backward` seeds the output's gradient and calls each op's ``backward`` once, after
every op that uses its output has contributed (ops are visited newest first); gradients reaching
the same tensor along several paths are summed. Leaves (tensors made by the user with
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
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

# names used on hot paths are imported: NumPy's module __getattr__ keeps CPython 3.11
# from caching np.<name>, a dictionary lookup per call (~15 ns)
import numpy as np
from numpy import asarray, ndarray

from descend.autograd import function
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


def run_backward(
    root: Tensor,
    seed: Any,
    *,
    retain_graph: bool,
    create_graph: bool,
    wanted: Sequence[Tensor] | None = None,
) -> dict[int, Tensor]:
    """Propagate ``seed`` (d output / d root) back through the graph below ``root``.

    ``seed`` is a Tensor, or an array for a plain pass.

    Ops are visited from the most recently created to the oldest (every op gets a sequence
    number when it is recorded), so an op runs its backward only after every op that used its
    output has passed its gradient back. A plain pass (``create_graph=False``) moves NumPy arrays
    from op to op; a recorded pass moves Tensors, so that the gradients have a graph themselves.

    With ``wanted`` given, return their gradients keyed by ``id`` and leave ``.grad`` alone;
    otherwise accumulate into the ``.grad`` of leaves (and of tensors that ``retain_grad()``).
    """
    wanted_ids = None if wanted is None else {id(t) for t in wanted}
    # Gradients are keyed by the tensor itself: Tensor hashes by identity, and a dict only
    # compares keys whose hashes are equal, which for identity hashes means the same object.
    grads: dict[Tensor, Any] = {root: seed.data if isinstance(seed, function.Tensor)
                                and not create_graph else seed}
    leaves: list[Tensor] = []
    found: dict[int, Tensor] = {}
    # Tensors whose op waits for its turn, a heap keyed newest first. When an op leaves just
    # one waiting (a chain, as most of a loss is), that one goes next without the heap: an op
    # that used its output and has not run yet would be waiting too, or lie below one that is.
    pending: list[tuple[int, Tensor]] = []
    tensor: Tensor | None = root
    if root._ctx is None:
        leaves.append(root)
        tensor = None
    anomaly = state.anomaly
    previous_mode = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        while tensor is not None:
            gy = grads.pop(tensor)
            fn = tensor._ctx
            inputs = fn.inputs
            if inputs is None:
                raise RuntimeError(
                    f"backward: the graph through '{fn.name}' was already freed by an earlier "
                    "backward; pass retain_graph=True to the first backward() to go back twice"
                )
            if wanted_ids is not None:
                if id(tensor) in wanted_ids:
                    found[id(tensor)] = as_tensor(gy)
            elif tensor._retains_grad:
                _accumulate(tensor, gy, set())
            result = _call_backward(fn, gy) if anomaly else fn.backward(gy)
            gxs = result if type(result) is tuple else (result,)
            check = fn.checks_gradients
            if check and len(gxs) != len(inputs):
                raise RuntimeError(
                    f"{fn.name}: backward returned {len(gxs)} gradients for {len(inputs)} "
                    "inputs; return one per input (None for an input without one)"
                )
            following = None
            needs = fn.needs_input_grad
            position = -1  # indexing by hand: a zip and its three iterators cost ~1.7k instructions
            for x in inputs:
                position += 1
                gx = gxs[position]
                if gx is None or not needs[position]:
                    continue
                if type(gx) is not ndarray:
                    gx = _checked_type(gx)
                data = x.data
                if gx.dtype is not data.dtype and gx.dtype != data.dtype:
                    gx = gx.astype(data.dtype)
                if check and gx.shape != data.shape:
                    raise RuntimeError(
                        f"{fn.name}: backward gave a gradient of shape {gx.shape} for an input "
                        f"of shape {data.shape}; a gradient has its input's shape (sum it over "
                        "the axes that broadcasting added)"
                    )
                if anomaly:
                    check_finite(as_tensor(gx).data,
                                 f"the gradient that '{fn.name}' passes back", fn)
                previous = grads.get(x)
                if previous is not None:
                    grads[x] = previous + gx
                    continue
                grads[x] = gx
                ctx = x._ctx
                if ctx is None:
                    leaves.append(x)
                elif following is None:
                    following = x
                else:
                    heappush(pending, (-ctx._seq, x))
            if _recorders:
                _record(fn, tensor, gy, gxs)
            if not retain_graph:
                if fn.keeps_arrays:
                    fn.release()
                else:
                    fn.inputs = None
            if pending:
                if following is not None:
                    heappush(pending, (-following._ctx._seq, following))
                following = heappop(pending)[1]
            tensor = following
        handed_out: set[int] = set()
        for leaf in leaves:
            if wanted_ids is not None:
                if id(leaf) in wanted_ids:
                    found[id(leaf)] = as_tensor(grads[leaf])
            else:
                _accumulate(leaf, grads[leaf], handed_out)
    finally:
        state.grad_enabled = previous_mode
    return found


def as_tensor(gradient: Any) -> Tensor:
    """A gradient (an array in a plain pass, a Tensor in a recorded one) as a Tensor."""
    if isinstance(gradient, function.Tensor):
        return gradient
    return function.Tensor._wrap(gradient)


def _checked_type(gradient: Any) -> Any:
    """A gradient that is not an ndarray: a Tensor (recorded pass) as is, a NumPy scalar (what
    NumPy gives for 0-d results) as a 0-d array."""
    return gradient if isinstance(gradient, function.Tensor) else asarray(gradient)


def _call_backward(fn: Function, gy: Any) -> Any:
    """``fn.backward(gy)`` in anomaly mode: the gradients it passes back are checked, not the
    ops inside it."""
    state.anomaly = False
    try:
        return fn.backward(gy)
    finally:
        state.anomaly = True


def _record(fn: Function, output: Tensor, gy: Any, gxs: tuple[Any, ...]) -> None:
    """Give every :func:`record_backward` listener what ``fn``'s backward received and passed."""
    passed = tuple(None if g is None or not needed else as_tensor(np.asarray(g).astype(
        x.dtype, copy=False) if not isinstance(g, function.Tensor) else g)
        for x, g, needed in zip(fn.inputs, gxs, fn.needs_input_grad))
    record = EdgeRecord(fn, output, as_tensor(gy), fn.inputs, passed)
    for records in _recorders:
        records.append(record)


def _accumulate(tensor: Tensor, gy: Any, handed_out: set[int]) -> None:
    """Add ``gy`` into ``tensor.grad``, making sure every ``.grad`` owns its own array.

    An existing ``.grad`` that owns its array takes the sum in place (torch's rule in a plain
    pass): accumulating over micro-batches, or after ``zero_grad(set_to_none=False)``, reuses
    the same buffer instead of allocating a new one each time.
    """
    if isinstance(gy, function.Tensor):  # a recorded pass: keep the gradient's graph
        tensor.grad = gy if tensor.grad is None else tensor.grad + gy
        return
    if tensor.grad is not None:
        buffer = tensor.grad.data
        if (buffer.base is None and buffer.flags.writeable and buffer.shape == gy.shape
                and buffer.dtype == gy.dtype):
            np.add(buffer, gy, out=buffer)  # in place, as torch accumulates: no new array
        else:
            tensor.grad = function.Tensor._wrap(buffer + gy)
        return
    if gy.base is not None or id(gy) in handed_out or not gy.flags.writeable:
        gy = np.array(gy)
    handed_out.add(id(gy))
    tensor.grad = function.Tensor._wrap(gy)
