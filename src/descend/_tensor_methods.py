"""Attach the ops to ``Tensor`` as operators and methods (``x + y``, ``x.sum()``, ``x.T``).

Kept apart from ``tensor.py`` so the class stays small and the ops can import ``Tensor``.
"""

from __future__ import annotations

from typing import Any

from descend.ops import activation, elementwise, index, linalg, nn, piecewise, reduce, shape
from descend.ops.special import erf
from descend.tensor import Tensor


def _reflected(op: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return op(other, self)

    method.__name__ = f"__r{op.__name__}__"
    return method


_OPERATORS = {
    "__add__": elementwise.add,
    "__sub__": elementwise.sub,
    "__mul__": elementwise.mul,
    "__truediv__": elementwise.div,
    "__pow__": elementwise.pow,
    "__matmul__": linalg.matmul,
    "__radd__": _reflected(elementwise.add),
    "__rsub__": _reflected(elementwise.sub),
    "__rmul__": _reflected(elementwise.mul),
    "__rtruediv__": _reflected(elementwise.div),
    "__rpow__": _reflected(elementwise.pow),
    "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": elementwise.neg,
    "__abs__": piecewise.abs,
    "__getitem__": index.getitem,
}

_METHODS = {
    "abs": piecewise.abs,
    "exp": elementwise.exp,
    "log": elementwise.log,
    "sqrt": elementwise.sqrt,
    "sin": elementwise.sin,
    "cos": elementwise.cos,
    "clip": piecewise.clip,
    "astype": elementwise.astype,
    "erf": erf,
    "tanh": activation.tanh,
    "sigmoid": activation.sigmoid,
    "relu": activation.relu,
    "leaky_relu": activation.leaky_relu,
    "elu": activation.elu,
    "gelu": activation.gelu,
    "softplus": activation.softplus,
    "sum": reduce.sum,
    "mean": reduce.mean,
    "max": reduce.max,
    "min": reduce.min,
    "var": reduce.var,
    "std": reduce.std,
    "logsumexp": reduce.logsumexp,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "reshape": shape.reshape,
    "transpose": shape.transpose,
    "permute": shape.permute,
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "flatten": shape.flatten,
    "broadcast_to": shape.broadcast_to,
    "sum_to": shape.sum_to,
    "matmul": linalg.matmul,
    "softmax": nn.softmax,
    "log_softmax": nn.log_softmax,
}

for _name, _function in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _function)
