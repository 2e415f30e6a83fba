"""Activation functions by name: what ``Dense(..., activation="relu")`` looks up.

Names: ``linear`` (the identity), ``relu``, ``leaky_relu`` (slope 0.01), ``elu``, ``gelu``
(exact), ``sigmoid``, ``tanh``, ``softplus``, ``softmax`` (over the last axis). A callable
taking and returning a Tensor works wherever a name does.

>>> import descend as dc
>>> get("relu")(dc.tensor([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable

from descend.nn.registry import lookup
from descend.ops.activation import elu, gelu, leaky_relu, relu, sigmoid, softplus, tanh
from descend.ops.nn import softmax
from descend.tensors import Tensor

Activation = Callable[[Tensor], Tensor]
ActivationLike = str | Activation | None


def linear(x: Tensor) -> Tensor:
    """The identity: a layer with no activation.

    >>> import descend as dc
    >>> linear(dc.tensor([-1.0])).numpy()
    array([-1.], dtype=float32)
    """
    return x


_BY_NAME: dict[str, Activation] = {
    "linear": linear, "relu": relu, "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu,
    "sigmoid": sigmoid, "tanh": tanh, "softplus": softplus, "softmax": softmax,
}


def get(identifier: ActivationLike) -> Activation:
    """The activation function for a name, a callable (returned as is) or None (linear).

    >>> get(None) is linear, get("tanh").__name__
    (True, 'tanh')
    """
    if identifier is None:
        return linear
    return lookup(identifier, _BY_NAME, "activation", "a name such as 'relu', a function or None")


def name_of(fn: Activation) -> str:
    """The registered name of an activation (else the function's own name), for display.

    >>> name_of(get("relu")), name_of(lambda x: x)
    ('relu', '<lambda>')
    """
    for name, registered in _BY_NAME.items():
        if registered is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)
