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
from descend.ops.activation import relu, sigmoid, sigmoid_array, tanh
from descend.tensors import Tensor

FUSED = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}
"""The activations an op can apply itself, by name (and the functions they stand for)."""


def activate_(z: np.ndarray, activation: str) -> np.ndarray:
    """``activation(z)``, written into ``z``'s own buffer."""
    if activation == "relu":
        return np.maximum(z, 0, out=z)
    if activation == "tanh":
        return np.tanh(z, out=z)
    z[...] = sigmoid_array(z)
    return z


def through_activation(fn: Function, gy: Tensor) -> Tensor:
    """The gradient at the pre-activation of op ``fn`` (``save_output = True``, ``activation``),
    from the op's output ``y``: relu's mask ``y > 0``, tanh's ``1 − y²``, sigmoid's ``y(1 − y)``."""
    y = fn.output
    if fn.activation == "relu":
        return gy * (y > 0)
    if fn.activation == "tanh":
        return gy * (1 - y * y)
    return gy * y * (1 - y)


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
