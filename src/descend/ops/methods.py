"""Give ``Tensor`` its operators and methods (``x + y``, ``x += y``, ``x.sum()``): the ops.

``tensors.py`` defines the data container and sits below the ops, so it cannot import them;
:func:`bind_tensor_methods` (called once by ``descend.ops``) attaches them here, in one place
that lists every operator and method, as DeZero's ``setup_variable`` does.
"""

from __future__ import annotations

from typing import Any

from descend.ops import (
    activation,
    elementwise,
    index,
    inplace,
    linalg,
    nn,
    piecewise,
    reduce,
    shape,
)
from descend.ops.special import erf
from descend.tensors import Tensor


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
    "__setitem__": inplace.setitem,
    "__iadd__": inplace.iadd,
    "__isub__": inplace.isub,
    "__imul__": inplace.imul,
    "__itruediv__": inplace.itruediv,
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



def bind_tensor_methods() -> None:
    """Attach every operator and method above to ``Tensor``."""
    for name, function in {**_OPERATORS, **_METHODS}.items():
        setattr(Tensor, name, function)
