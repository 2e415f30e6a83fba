"""How a compiled step prints itself: one NumPy-style line per op, forward and backward.

Templates are keyed by the op's name; ``{0}``, ``{1}`` are its inputs, other names its
settings (``{exponent}``), and in a backward template ``{gy}`` is the output's gradient, ``{y}``
the output. An op without a template (or whose settings do not fit it) prints as a call
(``log_softmax(t3)``, ``conv2d.backward(g9)``).

>>> from descend.ops.activation import Relu
>>> forward_source(Relu(), ["t6"]), backward_source(Relu(), "g7", ["t6"], "t7")
('np.maximum(t6, 0)', 'g7 * (t6 > 0)')
"""

from __future__ import annotations

from descend.autograd.function import Function
from descend.ops.linalg import MatMul

FORWARD = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "neg": "-{0}", "pow": "{0} ** {exponent}", "matmul": "{0} @ {1}",
    "relu": "np.maximum({0}, 0)", "exp": "np.exp({0})",
    "log": "np.log({0})", "sqrt": "np.sqrt({0})", "tanh": "np.tanh({0})",
    "sigmoid": "1 / (1 + np.exp(-{0}))", "sum": "{0}.sum()", "mean": "{0}.mean()",
    "reshape": "{0}.reshape(...)", "transpose": "{0}.T", "astype": "{0}.astype(...)",
    "broadcast_to": "np.broadcast_to({0}, ...)", "sum_to": "sum_to({0}, ...)",
    "dropout_mask": "(rng.random(shape) >= rate) / (1 - rate)",
    "argmax": "{0}.argmax(axis={axis})", "argmin": "{0}.argmin(axis={axis})",
}
BACKWARD = {
    "relu": "{gy} * ({0} > 0)", "sigmoid": "{gy} * {y} * (1 - {y})",
    "tanh": "{gy} * (1 - {y} ** 2)", "matmul": "{gy} @ {1}.T, {0}.T @ {gy}",
    "mean": "np.full_like({0}, {gy} / {0}.size)", "sum": "np.full_like({0}, {gy})",
}


def forward_source(fn: Function, args: list[str]) -> str:
    """The expression an op's forward computes, in terms of its inputs' names."""
    if type(fn) is MatMul:  # an operand the product takes transposed
        args = [f"{x}.T" if flag else x for x, flag in zip(args, (fn.transpose_a, fn.transpose_b))]
    return _fill(FORWARD.get(fn.name), fn, args, {}) or f"{fn.name}({', '.join(args)})"


def backward_source(fn: Function, gy: str, args: list[str], y: str) -> str:
    """The gradients an op's backward returns, in terms of ``gy``, its inputs and output."""
    template = BACKWARD.get(fn.name)
    if type(fn) is MatMul and (fn.transpose_a or fn.transpose_b):
        template = None  # the template is the plain product's
    return _fill(template, fn, args, {"gy": gy, "y": y}) or f"{fn.name}.backward({gy})"


def _fill(template: str | None, fn: Function, args: list[str], names: dict[str, str]) -> str:
    """``template`` filled in, or "" when there is none or it asks for what the op lacks."""
    try:
        return template.format(*args, **vars(fn), **names) if template else ""
    except (IndexError, KeyError):
        return ""
