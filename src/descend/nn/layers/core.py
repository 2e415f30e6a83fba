"""Layers without parameters: ``Flatten``, ``Activation`` and ``Dropout`` (with ``dropout``).

>>> import descend as dc
>>> model = dc.Sequential([dc.nn.Flatten(), dc.nn.Dropout(0.5), dc.nn.Activation("relu")])
>>> model(dc.ones((4, 3, 2, 2))).shape
(4, 12)
"""

from __future__ import annotations

import math
from typing import Any

from descend import backend
from descend.config import register_configurable
from descend.nn import activations
from descend.nn.layers.base import Layer
from descend.nn.module import Shape
from descend.ops.random import DropoutMask
from descend.tensors import ArrayLike, Tensor, ensure_tensor


@register_configurable
class Flatten(Layer):
    """Merge every axis but the batch axis: ``(batch, d1, d2, ...)`` to ``(batch, d1·d2·...)``.

    Args:
        input_shape: the input shape without the batch axis, to build the layer right away.

    >>> import descend as dc
    >>> dc.nn.Flatten()(dc.ones((8, 16, 7, 7))).shape
    (8, 784)
    """

    def __init__(self, *, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"input_shape": self.built_input_shape()}

    def check_input(self, shape: Shape) -> None:
        if len(shape) < 1:
            raise self.input_error("a batch axis", shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, math.prod(input_shape[1:]))

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1)


@register_configurable
class Activation(Layer):
    """Apply an activation function (a name such as ``"relu"`` or a callable) elementwise.

    >>> import descend as dc
    >>> dc.nn.Activation("relu")(dc.tensor([[-1.0, 2.0]])).numpy()
    array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation: activations.ActivationLike, *,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.activation = activations.get(activation)
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"activation": self.activation, "input_shape": self.built_input_shape()}

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(x)

    def extra_repr(self) -> str:
        return activations.name_of(self.activation)


def _check_rate(rate: float, where: str) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
        raise ValueError(f"{where}: rate must be a number in [0, 1) (the fraction of inputs "
                         f"set to zero), got {rate!r}")
    return float(rate)


def dropout(x: ArrayLike, rate: float, *, training: bool = True) -> Tensor:
    """Inverted dropout: zero each value with probability ``rate``, scale the rest by 1/(1−rate).

    The mask comes from ``descend.backend.rng()`` (so ``dc.seed`` repeats it); with
    ``training=False`` or ``rate=0`` the input is returned unchanged. The expected value of
    every output equals its input.

    >>> import descend as dc
    >>> dc.seed(0)
    >>> dropout(dc.ones(8), 0.5).numpy()
    array([2., 0., 0., 0., 2., 2., 2., 2.], dtype=float32)
    """
    x = ensure_tensor(x, "dropout")
    rate = _check_rate(rate, "dropout")
    if not training or rate == 0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else backend.get_default_dtype()
    return x * DropoutMask.apply(shape=x.shape, rate=rate, dtype=dtype, device=x.device)


@register_configurable
class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs while training (inverted dropout).

    Active only in training mode (``model.train()``); in eval mode it passes inputs through.
    Kept values are scaled by 1/(1−rate), so nothing needs rescaling at evaluation.

    Args:
        rate: the fraction of inputs to drop, in [0, 1).

    >>> import descend as dc
    >>> layer = dc.nn.Dropout(0.5).eval()
    >>> layer(dc.ones(4)).numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """

    def __init__(self, rate: float, *, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.rate = _check_rate(rate, "Dropout")
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate, "input_shape": self.built_input_shape()}

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.rate, training=self.training)

    def extra_repr(self) -> str:
        return f"rate={self.rate}"
