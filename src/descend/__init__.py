"""descend: train neural networks by gradient descent and backpropagation.

>>> import descend as dc
>>> x = dc.tensor([[1.0, 2.0]], requires_grad=True)
>>> w = dc.ones((2, 3), requires_grad=True)
>>> y = (x @ w).relu().sum()
>>> y.backward()
>>> x.grad
tensor([[3., 3.]])

The lab, the pictures and the demos (``dc.lab``, ``dc.viz``, ``dc.demo``, ``dc.explain``), the
data sets (``dc.datasets``), model files (``dc.save``, ``dc.load``), many-process training
(``dc.distributed``, ``dc.sweep``) and the compiled step (``dc.jit``) are loaded when first
used, so ``import descend`` stays quick and needs only NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

from descend import autograd, callbacks, data, losses, metrics, models, nn, ops, optim, train
from descend.autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from descend.autograd.functional import grad, hessian, jacobian, value_and_grad, vjp
from descend.autograd.gradcheck import GradcheckError, gradcheck
from descend.backend import get_default_dtype, seed, set_default_dtype
from descend.config import register_configurable
from descend.creation import (
    arange,
    eye,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from descend.models import Model, Sequential
from descend.ops import (
    abs,
    add,
    argmax,
    argmin,
    broadcast_to,
    clip,
    concat,
    cos,
    div,
    elu,
    erf,
    exp,
    flatten,
    gelu,
    leaky_relu,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pad,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from descend.ops.conv import conv2d
from descend.ops.pooling import avg_pool2d, max_pool2d
from descend.tensors import Tensor

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Model",
    "Sequential",
    "Tensor",
    "abs",
    "add",
    "arange",
    "argmax",
    "argmin",
    "autograd",
    "avg_pool2d",
    "broadcast_to",
    "callbacks",
    "clip",
    "concat",
    "conv2d",
    "cos",
    "data",
    "datasets",
    "demo",
    "detect_anomaly",
    "distributed",
    "div",
    "elu",
    "enable_grad",
    "erf",
    "exp",
    "explain",
    "eye",
    "flatten",
    "full",
    "full_like",
    "gelu",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jit",
    "lab",
    "leaky_relu",
    "linear",
    "load",
    "log",
    "log_softmax",
    "logsumexp",
    "losses",
    "matmul",
    "max",
    "max_pool2d",
    "maximum",
    "mean",
    "metrics",
    "min",
    "minimum",
    "models",
    "mul",
    "neg",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "pad",
    "permute",
    "pow",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "register_configurable",
    "relu",
    "reshape",
    "save",
    "seed",
    "set_default_dtype",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "sweep",
    "tanh",
    "tensor",
    "train",
    "transpose",
    "unsqueeze",
    "value_and_grad",
    "var",
    "viz",
    "vjp",
    "where",
    "zeros",
    "zeros_like",
]

_LAZY: dict[str, tuple[str, str | None]] = {
    "lab": ("descend.lab", None), "viz": ("descend.viz", None), "demo": ("descend.demo", None),
    "datasets": ("descend.data.datasets", None), "explain": ("descend.lab", "explain"),
    "save": ("descend.io", "save"), "load": ("descend.io", "load"),
    "distributed": ("descend.distributed", None), "sweep": ("descend.distributed", "sweep"),
    "jit": ("descend.compiler", "jit"),
}
"""Names loaded on first use, and where they live: ``(module, attribute)``, or the module.

The lab, the pictures and the demos bring matplotlib, graphviz or tqdm; the data sets and model
files bring hashing, compression and temporary files; the compiled step (``dc.jit``) is a
dozen modules of its own."""


def __getattr__(name: str) -> Any:
    """Load ``dc.lab``, ``dc.viz``, ``dc.demo``, ``dc.datasets``, ``dc.explain``, ``dc.save``,
    ``dc.load`` and ``dc.jit`` when first used.

    >>> import descend as dc
    >>> dc.explain is dc.lab.explain, dc.datasets is dc.data.datasets
    (True, True)
    """
    if name not in _LAZY:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
