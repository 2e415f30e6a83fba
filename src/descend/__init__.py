"""descend: train neural networks by gradient descent and backpropagation.

>>> import descend as dc
>>> x = dc.tensor([[1.0, 2.0]], requires_grad=True)
>>> w = dc.ones((2, 3), requires_grad=True)
>>> y = (x @ w).relu().sum()
>>> y.backward()
>>> x.grad
tensor([[3., 3.]])
"""

from descend import autograd, ops
from descend.autograd.functional import grad, hessian, jacobian, value_and_grad, vjp
from descend.autograd.gradcheck import GradcheckError, gradcheck
from descend.autograd.mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from descend.backend import get_default_dtype, seed, set_default_dtype
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
from descend.tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "GradcheckError", "Tensor", "abs", "add", "arange", "argmax", "argmin", "autograd",
    "broadcast_to", "clip", "concat", "cos", "detect_anomaly", "div", "elu", "enable_grad",
    "erf", "exp", "eye", "flatten", "full", "full_like", "gelu", "get_default_dtype", "grad",
    "gradcheck", "hessian", "is_grad_enabled", "jacobian", "leaky_relu", "linear", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul",
    "neg", "no_grad", "ones", "ones_like", "ops", "pad", "permute", "pow", "rand", "rand_like",
    "randn", "randn_like", "relu", "reshape", "seed", "set_default_dtype", "sigmoid", "sin",
    "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh",
    "tensor", "transpose", "unsqueeze", "value_and_grad", "var", "vjp", "where", "zeros",
    "zeros_like",
]
