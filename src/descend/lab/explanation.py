"""``explain``: backpropagation written out step by step: forward values, then edge gradients.

>>> import descend as dc
>>> print(dc.lab.explain("(v*x - y)**2", v=0, x=2, y=5, lr=0.1))
Forward pass: each value from its inputs
  v  = 0
  x  = 2
  y  = 5
  t1 = v * x   = 0
  t2 = t1 - y  = -5
  L  = t2 ** 2 = 25
<BLANKLINE>
Backward pass: the chain rule, one edge at a time, starting from dL/dL = 1
  pow  t2 -> L : dL/dt2 = dL/dL * ∂L/∂t2 = 1 * -10 = -10
  sub  t1 -> t2: dL/dt1 = dL/dt2 * ∂t2/∂t1 = -10 * 1 = -10
  sub  y -> t2 : dL/dy = dL/dt2 * ∂t2/∂y = -10 * -1 = 10
  mul  v -> t1 : dL/dv = dL/dt1 * ∂t1/∂v = -10 * 2 = -20
  mul  x -> t1 : dL/dx = dL/dt1 * ∂t1/∂x = -10 * 0 = 0
<BLANKLINE>
Gradients: dL/dv = -20, dL/dx = 0, dL/dy = 10
<BLANKLINE>
Gradient-descent update with learning rate 0.1 (p <- p - lr * dL/dp):
  v: 0 - 0.1 * -20 = 2
  x: 2 - 0.1 * 0 = 2
  y: 5 - 0.1 * 10 = 4
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from descend.autograd.trace import Trace, format_value, trace_backward
from descend.lab.expression import evaluate, variables
from descend.tensors import ArrayLike, Tensor


def variable_value(name: str, value: ArrayLike) -> np.ndarray:
    """A variable's value as a float64 array, or a ValueError naming the variable.

    Accepted: a number, a (nested, rectangular) list of numbers, an array or a Tensor, all
    finite. Refused with a sentence: text, booleans, ragged lists, dicts, complex numbers.

    >>> variable_value("x", [1, 2])
    array([1., 2.])
    >>> variable_value("x", [1, [2]])
    Traceback (most recent call last):
    ...
    ValueError: explain: x must be a number or a list of numbers with every row the same ...
    """
    expected = f"explain: {name} must be a number or a list of numbers"
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if isinstance(value, Tensor):
        value = value.numpy()
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError):
        raise ValueError(f"{expected} with every row the same length, got {shown}") from None
    if raw.dtype.kind not in "iuf":
        raise ValueError(f"{expected}, got {shown}")
    array = raw.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{expected}, all finite, got {shown}")
    return array


@dataclass
class Explanation:
    """What :func:`explain` found; ``str()`` of it is the step-by-step trace.

    Attributes:
        trace: the recorded graph (nodes with values, edges with gradients).
        gradients: d(loss)/d(parameter) for every parameter, by name.
        lr: the learning rate of the update shown, or ``None``.
        updates: the parameters' values after one gradient-descent step (when ``lr`` is given).

    >>> import descend as dc
    >>> e = dc.lab.explain("x ** 2", x=3.0)
    >>> e.gradients["x"].item(), str(e).splitlines()[-1]
    (6.0, 'Gradients: dL/dx = 6')
    """

    trace: Trace
    gradients: dict[str, np.ndarray]
    lr: float | None = None
    updates: dict[str, np.ndarray] = field(default_factory=dict)

    def edge_gradients(self) -> list[tuple[str, str, np.ndarray]]:
        """``(input, output, gradient)`` for every edge gradient flows along, in backward order.

        >>> import descend as dc
        >>> e = dc.lab.explain("(v*x - y)**2", v=0, x=2, y=5, wrt=["v"])
        >>> [(a, b, g.item()) for a, b, g in e.edge_gradients()]
        [('t2', 'L', -10.0), ('t1', 't2', -10.0), ('v', 't1', -20.0)]
        """
        nodes = self.trace.nodes
        return [(nodes[e.source].label, nodes[e.target].label, e.grad)
                for e in self.trace.edges if e.grad is not None]

    def __str__(self) -> str:
        return "\n".join([*self._forward(), "", *self._backward(), "", *self._summary()])

    def __repr__(self) -> str:
        return str(self)

    def _forward(self) -> list[str]:
        nodes = [n for n in self.trace.nodes.values() if n.kind != "constant" or n.label !=
                 format_value(n.value)]
        width = max(len(n.label) for n in nodes)
        formula_width = max((len(n.formula) for n in nodes), default=0)
        lines = ["Forward pass: each value from its inputs"]
        for n in nodes:
            value = format_value(n.value)
            if n.kind == "op":
                lines.append(f"  {n.label:<{width}} = {n.formula:<{formula_width}} = {value}")
            else:
                lines.append(f"  {n.label:<{width}} = {value}")
        return lines

    def _backward(self) -> list[str]:
        nodes = self.trace.nodes
        root = nodes[self.trace.root]
        flowing = [e for e in self.trace.edges if e.grad is not None]
        uses = Counter(e.source for e in flowing)
        heads = [f"{nodes[e.target].op:<4} {nodes[e.source].label} -> {nodes[e.target].label}"
                 for e in flowing]
        width = max(len(h) for h in heads)
        lines = [f"Backward pass: the chain rule, one edge at a time, starting from "
                 f"d{root.label}/d{root.label} = 1"]
        for head, e in zip(heads, flowing):
            src, dst = nodes[e.source].label, nodes[e.target].label
            sign = "+=" if uses[e.source] > 1 else "="
            out = f"d{root.label}/d{dst}"
            if e.local is not None:
                local = f"∂{dst}/∂{src}"
                product = (f"{out} * {local} = {format_value(nodes[e.target].grad)} * "
                           f"{format_value(e.local)}")
            else:
                product = f"{out} pulled back through {nodes[e.target].op}"
            lines.append(f"  {head:<{width}}: d{root.label}/d{src} {sign} {product} = "
                         f"{format_value(e.grad)}")
        return lines

    def _summary(self) -> list[str]:
        root = self.trace.nodes[self.trace.root].label
        grads = ", ".join(f"d{root}/d{k} = {format_value(g)}" for k, g in self.gradients.items())
        lines = [f"Gradients: {grads}"]
        if self.lr is not None:
            lines += ["", f"Gradient-descent update with learning rate {self.lr:g} "
                          f"(p <- p - lr * d{root}/dp):"]
            values = self.trace.labels()
            for name, new in self.updates.items():
                old, grad = values[name].value, self.gradients[name]
                lines.append(f"  {name}: {format_value(old)} - {self.lr:g} * "
                             f"{format_value(grad)} = {format_value(new)}")
        return lines


def explain(
    expression: str | Tensor,
    values: Mapping[str, ArrayLike] | None = None,
    *,
    lr: float | None = None,
    wrt: Sequence[str] | None = None,
    **named_values: ArrayLike,
) -> Explanation:
    """Trace forward values and backward chain-rule products, edge by edge, for a formula or loss.

    Args:
        expression: a formula such as ``"(v*x - y)**2"`` (read safely: numbers, names,
            ``+ - * / **`` and functions like ``exp``, ``sigmoid``), or a one-element Tensor whose
            graph is still alive (before ``backward()``); its leaves are labelled by their
            ``name``.
        values: the variables' values (numbers or arrays), also accepted as keywords.
        lr: when given, also show one gradient-descent step ``p - lr * dL/dp``.
        wrt: the variables to differentiate with respect to (default: all of them); the
            others are constants.

    Returns:
        An :class:`Explanation`; print it for the trace. No ``.grad`` is changed.

    >>> import descend as dc
    >>> e = dc.lab.explain("w * x", w=3.0, x=2.0, lr=0.5)
    >>> e.gradients["w"].item(), e.updates["w"].item()
    (2.0, 2.0)
    """
    values = {**(values or {}), **named_values}
    if isinstance(expression, Tensor):
        if values or wrt is not None:
            raise TypeError("explain: values= and wrt= are only for a formula given as a string; "
                            "a Tensor already has its values")
        output = expression
    else:
        names = variables(expression)
        wanted = list(names) if wrt is None else list(wrt)
        unknown = [w for w in wanted if w not in names]
        if unknown:
            raise ValueError(f"explain: wrt names {', '.join(unknown)}, which the expression "
                             f"does not use; it uses {', '.join(names)}")
        tensors = {k: Tensor(variable_value(k, v), dtype=np.float64,
                             requires_grad=k in wanted, name=k) for k, v in values.items()}
        output = evaluate(expression, tensors)
        if isinstance(output, Tensor) and output.requires_grad and output.grad_fn is None:
            raise ValueError(f"explain: {expression!r} is just the variable {output.name}, so "
                             f"there is no step to explain (d{output.name}/d{output.name} = 1); "
                             f"write a formula that computes something from it, such as "
                             f"\"{output.name}**2\"")
        if not isinstance(output, Tensor) or not output.requires_grad:
            raise ValueError(f"explain: {expression!r} does not depend on any of "
                             f"{', '.join(wanted) or 'the variables'}, so there is nothing "
                             "to differentiate")
    trace = trace_backward(output, where="explain")
    gradients = {n.label: n.grad for n in trace.leaves() if n.grad is not None}
    updates = {} if lr is None else {
        n.label: n.value - lr * n.grad for n in trace.leaves() if n.grad is not None}
    return Explanation(trace, gradients, lr, updates)
