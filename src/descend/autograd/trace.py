"""A record of one backward pass: every value computed forward and every gradient sent back.

A :class:`Trace` is what ``draw_graph`` draws and ``dc.explain`` prints (``descend.viz`` and
``descend.lab`` re-export it: recording the graph is autograd's work, drawing is theirs). Get one

* from a loss with :func:`trace_backward`, which runs its own backward pass and leaves every
  ``.grad`` untouched: before ``loss.backward()``, or after it while the graph is small enough
  to be kept (``engine.PICTURE_OPS`` ops and ``engine.PICTURE_VALUES`` values; a larger graph
  is freed unless ``backward(retain_graph=True)``); or
* by wrapping your own ``loss.backward()`` in ``with dc.viz.trace() as graph:``, which records
  that backward as it runs, for a graph of any size.

>>> import descend as dc
>>> w = dc.tensor(3.0, requires_grad=True, name="w")
>>> loss = (w * 2.0 - 1.0) ** 2
>>> with dc.viz.trace() as graph:
...     loss.backward()
>>> labels = lambda e: f"{graph.nodes[e.source].label} -> {graph.nodes[e.target].label}"
>>> [(labels(e), e.grad.item()) for e in graph.edges if e.grad is not None]
[('t2 -> L', 10.0), ('t1 -> t2', 10.0), ('w -> t1', 20.0)]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.autograd.engine import (
    PICTURE_OPS,
    PICTURE_VALUES,
    EdgeRecord,
    record_backward,
    run_backward,
)
from descend.autograd.function import Function
from descend.autograd.mode import no_grad
from descend.backend import array_module, to_host
from descend.tensors import Tensor

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
"""Ops written as infix operators in formulas (``t1 = v * x``)."""

_FUNCTION_FIELDS = {"inputs", "needs_input_grad", "created_at", "sequence", "released"}


@dataclass
class Node:
    """A tensor in the graph: a leaf you made, a constant, or the output of an op.

    Attributes:
        label: its name in pictures and traces (``v``, ``t1``, ``L``; constants show their value).
        kind: ``"leaf"`` (requires grad), ``"constant"`` (no grad) or ``"op"``.
        value: its forward value (a copy, taken when the trace was made).
        grad: d(root)/d(this tensor), summed over every path (``None`` for constants).
        op: the op that made it (``"mul"``), for kind ``"op"``.
        formula: how it was computed from its inputs' labels (``"v * x"``), for kind ``"op"``.
        inputs: the keys of the op's input nodes, in argument order.

    >>> import descend as dc
    >>> x = dc.tensor(2.0, requires_grad=True, name="x")
    >>> node = trace_backward(x.exp()).labels()["L"]
    >>> node.kind, node.op, node.formula, round(node.value.item(), 4)
    ('op', 'exp', 'exp(x)', 7.3891)
    """

    label: str
    kind: str
    value: np.ndarray
    grad: np.ndarray | None = None
    op: str = ""
    formula: str = ""
    inputs: list[int] = field(default_factory=list)


@dataclass
class Edge:
    """One input of one op, with the gradient backward sent along it (``target`` to ``source``).

    Attributes:
        source: key of the input node.
        target: key of the op's output node.
        grad: d(root)/d(source) through this edge only (``None`` where no gradient flows).
        local: ∂target/∂source for one-element values, when the graph was alive to ask the op.

    >>> import descend as dc
    >>> x = dc.tensor(3.0, requires_grad=True, name="x")
    >>> (edge,) = trace_backward(x.sin()).edges
    >>> round(edge.local.item(), 4), round(edge.grad.item(), 4)    # cos 3, times dL/dL = 1
    (-0.99, -0.99)
    """

    source: int
    target: int
    grad: np.ndarray | None
    local: np.ndarray | None = None


class Trace:
    """Nodes in forward (computation) order and edges in the order backward visited them.

    Attributes:
        nodes: ``{key: Node}``, every input before the ops that use it.
        edges: every op input, in backward order (from the root towards the leaves).
        root: the key of the output backward started from.

    >>> import descend as dc
    >>> a = dc.tensor(1.0, requires_grad=True, name="a")
    >>> t = trace_backward((a + 2.0) * a)
    >>> [n.label for n in t.nodes.values()], [n.label for n in t.leaves()]
    (['a', '2', 't1', 'L'], ['a'])
    """

    def __init__(self) -> None:
        self.nodes: dict[int, Node] = {}
        self.edges: list[Edge] = []
        self.root: int | None = None

    def labels(self) -> dict[str, Node]:
        """The nodes by label."""
        return {node.label: node for node in self.nodes.values()}

    def leaves(self) -> list[Node]:
        """The nodes that require grad and were made by the user (the parameters)."""
        return [node for node in self.nodes.values() if node.kind == "leaf"]

    def build(self, records: Sequence[EdgeRecord], functions: dict[int, tuple] | None = None
              ) -> None:
        """Fill the trace from backward's records; ``functions`` maps outputs to local grads."""
        if not records:
            raise ValueError(
                "trace: backward recorded no ops; the output must be computed from tensors with "
                "requires_grad=True, and backward() must run inside the `with` block"
            )
        functions = functions or {}
        tensors: dict[int, Tensor] = {}
        ops: dict[int, EdgeRecord] = {}
        for record in records:
            ops.setdefault(id(record.output), record)
        forward = list(reversed(ops.values()))
        for record in forward:
            for x in record.inputs:
                if id(x) not in ops and id(x) not in tensors:
                    tensors[id(x)] = x
                    self.nodes[id(x)] = _leaf_node(x, self.nodes)
        for record in forward:
            self.nodes[id(record.output)] = Node(
                label="", kind="op", value=np.array(to_host(record.output.data)),
                op=record.fn.name, grad=np.array(to_host(record.grad_output.data)),
                inputs=[id(x) for x in record.inputs])
        self.root = id(records[0].output)
        _name_ops(self.nodes, self.root, {k: r.output for k, r in ops.items()})
        for key, record in ops.items():
            self.nodes[key].formula = formula(record.fn, [self.nodes[i].label for i in
                                                          self.nodes[key].inputs])
        for key, record in ops.items():
            self._add_edges(key, record, functions.get(key, ()))

    def _add_edges(self, key: int, record: EdgeRecord, locals_: tuple) -> None:
        """The edges into op ``key``, each with its gradient; leaves sum what reaches them."""
        for pos, (x, gx) in enumerate(zip(record.inputs, record.grad_inputs)):
            local = locals_[pos] if pos < len(locals_) else None
            grad = None if gx is None else np.array(to_host(gx.data))
            self.edges.append(Edge(id(x), key, grad, local))
            source = self.nodes[id(x)]
            if source.kind == "leaf" and grad is not None:
                source.grad = grad if source.grad is None else source.grad + grad


def _leaf_node(x: Tensor, nodes: dict[int, Node]) -> Node:
    value = np.array(to_host(x.data))
    if x.requires_grad:
        count = sum(node.kind == "leaf" for node in nodes.values()) + 1
        return Node(label=x.name or f"p{count}", kind="leaf", value=value)
    if x.name:
        label = x.name
    elif value.size == 1:
        label = format_value(value)
    else:
        label = f"c{sum(node.kind == 'constant' for node in nodes.values()) + 1}"
    return Node(label=label, kind="constant", value=value)


def _name_ops(nodes: dict[int, Node], root: int, outputs: dict[int, Tensor]) -> None:
    count = 0
    for key, node in nodes.items():
        if node.kind != "op":
            continue
        name = outputs[key].name
        if name:
            node.label = name
        elif key == root:
            node.label = "L"
        else:
            count += 1
            node.label = f"t{count}"


def formula(fn: Function, labels: Sequence[str]) -> str:
    """How an op computed its output, written with its inputs' labels (``"t2 ** 2"``).

    >>> import descend as dc
    >>> from descend.ops.elementwise import Mul
    >>> formula(Mul(), ["v", "x"])
    'v * x'
    """
    settings = {k: v for k, v in vars(fn).items()
                if k not in _FUNCTION_FIELDS and not k.startswith("_")
                and isinstance(v, int | float | str | bool) and v is not False}
    if fn.name == "neg" and len(labels) == 1:
        return f"-{labels[0]}"
    if fn.name in SYMBOLS and len(labels) == 2:
        return f"{labels[0]} {SYMBOLS[fn.name]} {labels[1]}"
    if fn.name == "pow" and len(labels) == 1 and "exponent" in settings:
        return f"{labels[0]} ** {format_value(np.asarray(settings.pop('exponent')))}"
    args = [*labels, *(f"{k}={v!r}" for k, v in settings.items())]
    return f"{fn.name}({', '.join(args)})"


def format_value(value: Any, *, width: int = 8) -> str:
    """A short text for a value: the number for one element, the entries for a few, else a summary.

    >>> format_value(np.array(-20.0)), format_value(np.array([1.0, 2.5]))
    ('-20', '[1, 2.5]')
    >>> format_value(np.zeros((32, 10)))
    'shape (32, 10), mean 0'
    """
    array = np.asarray(value)
    if array.size == 1:
        number = array.item()
        return f"{number + 0.0:.4g}" if isinstance(number, float) else str(number)
    if array.size <= width:
        body = ", ".join(format_value(v) for v in array.ravel())
        return f"[{body}]" if array.ndim == 1 else f"shape {array.shape}: [{body}]"
    return f"shape {array.shape}, mean {format_value(array.mean())}"


def _local_derivatives(record: EdgeRecord) -> tuple:
    """∂output/∂input for each one-element input of a one-element op (the graph must be alive)."""
    if record.output.size != 1:
        return ()
    with no_grad():
        output = record.output.data
        result = record.fn.backward(Tensor._wrap(array_module(output).ones_like(output)))
    results = result if isinstance(result, tuple) else (result,)
    return tuple(None if g is None or g.size != 1 else np.array(to_host(g.data))
                 for g in results)


@contextlib.contextmanager
def trace() -> Iterator[Trace]:
    """Record the ``backward()`` run inside the block; the trace is filled when the block ends.

    >>> import descend as dc
    >>> x = dc.tensor(2.0, requires_grad=True, name="x")
    >>> with dc.viz.trace() as graph:
    ...     (x * x).backward()
    >>> graph.labels()["x"].grad.item()
    4.0
    """
    result = Trace()
    with record_backward() as records:
        yield result
    result.build(records)


def trace_backward(output: Tensor, *, where: str = "trace") -> Trace:
    """Run backward from ``output`` on its graph and return the :class:`Trace`.

    No ``.grad`` changes and the graph stays as it was. It works before ``output.backward()``
    and after it while the graph is small (it was kept for pictures like this one), as
    micrograd's ``draw_dot``. One-element ops also get their local derivatives (``Edge.local``).

    Args:
        output: a one-element tensor (a loss) whose graph has not been freed.
        where: the name error messages start with.

    >>> import descend as dc
    >>> v = dc.tensor(0.0, requires_grad=True, name="v")
    >>> t = trace_backward((v * 2.0 - 5.0) ** 2)
    >>> [(t.nodes[e.target].formula, e.local.item()) for e in t.edges if e.local is not None]
    [('t2 ** 2', -10.0), ('t1 - 5', 1.0), ('v * 2', 2.0)]
    >>> v.grad is None
    True
    >>> loss = (v * 2.0 - 5.0) ** 2
    >>> loss.backward()                         # a small graph is kept: it can still be traced
    >>> t = trace_backward(loss)
    >>> [(t.nodes[e.target].formula, e.grad.item()) for e in t.edges if e.grad is not None]
    [('t2 ** 2', -10.0), ('t1 - 5', -10.0), ('v * 2', -20.0)]
    """
    if not isinstance(output, Tensor):
        raise TypeError(
            f"{where}: expected the output Tensor (a loss), got {type(output).__name__}")
    if output.size != 1:
        raise ValueError(
            f"{where}: the output must have one element (a loss), got shape {output.shape}; "
            "reduce it first with .sum() or .mean()"
        )
    if not output.requires_grad or output.grad_fn is None:
        raise ValueError(
            f"{where}: this tensor was not computed from tensors with requires_grad=True, so it "
            "has no graph to draw (nor has a compiled step's result after its first call, a "
            "replay of NumPy calls: print(step.program(...)) shows what it computes)"
        )
    if output.grad_fn.inputs is None:
        raise ValueError(
            f"{where}: the graph was freed by backward() (a graph of more than {PICTURE_OPS} ops "
            f"or {PICTURE_VALUES:,} values is not kept for pictures); call this before "
            "loss.backward(), use loss.backward(retain_graph=True), or record the backward you "
            "run with `with dc.viz.trace() as graph: loss.backward()`"
        )
    seed = Tensor._wrap(array_module(output.data).ones_like(output.data))
    with record_backward() as records:
        run_backward(output, seed, retain_graph=True, again=True)
    locals_ = {id(r.output): _local_derivatives(r) for r in records}
    result = Trace()
    result.build(records, locals_)
    return result
