"""The differentiable ops, one module per family; each op's forward sits beside its backward."""

from descend.ops.activation import elu, gelu, leaky_relu, relu, sigmoid, softplus, tanh
from descend.ops.elementwise import (
    add,
    astype,
    cos,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    where,
)
from descend.ops.index import getitem
from descend.ops.join import concat, pad, split, stack
from descend.ops.linalg import linear, matmul
from descend.ops.methods import bind_tensor_methods
from descend.ops.nn import log_softmax, softmax
from descend.ops.piecewise import abs, clip, maximum, minimum
from descend.ops.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from descend.ops.shape import (
    broadcast_to,
    flatten,
    permute,
    reshape,
    squeeze,
    sum_to,
    transpose,
    unsqueeze,
)
from descend.ops.special import erf

bind_tensor_methods()  # x + y, x.sum(), ...: Tensor's operators and methods are these ops

__all__ = [
    "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "clip", "concat", "cos", "div",
    "elu", "erf", "exp", "flatten", "gelu", "getitem", "leaky_relu", "linear", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul",
    "neg", "pad", "permute", "pow", "relu", "reshape", "sigmoid", "sin", "softmax", "softplus",
    "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "sum_to", "tanh", "transpose",
    "unsqueeze", "var", "where",
]
