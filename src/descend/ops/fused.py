"""Activations applied inside another op (a matrix product, a convolution), on its own buffer.

An op that fuses an activation computes ``activation(z)`` in place on its fresh output ``z`` and
takes the activation's derivative from that output in backward — relu's mask ``y > 0``,
tanh's ``1 − y²``, sigmoid's ``y (1 − y)`` — which saves a pass over memory and an op per
layer. ``Dense`` and ``Conv2D`` use it for these three activations.

>>> import numpy as np
>>> activate_(np.array([-1.0, 2.0]), "relu")
array([0., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.ops.activation import (
    relu,
    sigmoid,
    sigmoid_array,
    sigmoid_grad_factors,
    tanh,
    tanh_grad_factors,
)

FUSED = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}
"""The activations an op can apply itself, by name (and the functions they stand for)."""


def activate_(z: np.ndarray, activation: str) -> np.ndarray:
    """``activation(z)``, computed in ``z``'s own buffer where NumPy can."""
    if activation == "relu":
        return np.maximum(z, 0, out=z)
    if activation == "tanh":
        return np.tanh(z, out=z)
    return sigmoid_array(z, out=z)


def through_activation(fn: Function, gy: Any) -> Any:
    """The gradient at the pre-activation of op ``fn`` (``save_output = True``, ``activation``).

    In a plain pass (``gy`` an array) the result is laid out in memory as the op's output is.
    A convolution's output is a transposed view of its ``(filters, N·H·W)`` product and its
    backward reads the gradient per filter, so this multiply does the transposition that would
    otherwise take a copy for the kernel gradient and another for the input gradient.
    """
    output = fn.output.data
    if fn.activation == "relu":
        derivative = output > 0
    else:
        factors = tanh_grad_factors if fn.activation == "tanh" else sigmoid_grad_factors
        gy, derivative = factors(gy, fn.result(gy))
    if type(gy) is not np.ndarray or output.flags.c_contiguous:
        return gy * derivative
    return np.multiply(gy, derivative, out=np.empty_like(output, dtype=gy.dtype))


def fused_name(activation: Any) -> str | None:
    """The name under which ``activation`` (a function) can be fused, else ``None``.

    >>> from descend.ops.activation import relu, elu
    >>> fused_name(relu), fused_name(elu)
    ('relu', None)
    """
    for name, fn in FUSED.items():
        if fn is activation:
            return name
    return None
