"""``Dense``: the fully connected layer ``y = activation(x · kernel + bias)``.

>>> import descend as dc
>>> layer = dc.nn.Dense(4, activation="relu")
>>> y = layer(dc.ones((32, 13)))       # builds: kernel (13, 4), bias (4,)
>>> y.shape, layer.kernel.shape
((32, 4), (13, 4))
"""

from __future__ import annotations

from typing import Any

from descend.config import register_configurable
from descend.nn import activations, initializers, regularizers
from descend.nn.layers.base import KernelLayer, positive_int
from descend.nn.module import Shape
from descend.ops.fused import fused_name
from descend.ops.linalg import linear
from descend.tensors import Tensor


@register_configurable
class Dense(KernelLayer):
    """A fully connected layer: every output is a weighted sum of every input feature.

    Args:
        units: the number of outputs.
        activation: a name (``"relu"``, ...), a function, or None for none.
        use_bias: add a learned bias.
        kernel_initializer, bias_initializer: names or initializer objects.
        kernel_regularizer, bias_regularizer: penalties (``"l2"``, ``L1(0.01)``, ...) or None.
        input_dim: the number of input features; builds the layer right away.
        input_shape: the input shape without the batch axis (instead of ``input_dim``).

    Shapes:
        input ``(batch, ..., in_features)``; kernel ``(in_features, units)``; bias
        ``(units,)``; output ``(batch, ..., units)``.

    >>> import descend as dc
    >>> dc.nn.Dense(64, activation="relu", input_dim=13)
    Dense(units=64, activation=relu, input_dim=13)
    """

    def __init__(self, units: int, activation: activations.ActivationLike = None, *,
                 use_bias: bool = True,
                 kernel_initializer: initializers.InitializerLike = "glorot_uniform",
                 bias_initializer: initializers.InitializerLike = "zeros",
                 kernel_regularizer: regularizers.RegularizerLike | None = None,
                 bias_regularizer: regularizers.RegularizerLike | None = None,
                 input_dim: int | None = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer)
        self.units = positive_int(units, "units", "Dense")
        if input_dim is not None:
            input_shape = (positive_int(input_dim, "input_dim", "Dense"),)
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"units": self.units, **self.kernel_config(),
                "input_shape": self.built_input_shape()}

    def check_input(self, shape: Shape) -> None:
        if len(shape) < 2:
            raise self.input_error("input with a batch axis and a feature axis, such as "
                                   "(batch, features)", shape)
        if self.kernel is not None and shape[-1] != self.kernel.shape[0]:
            features = self.kernel.shape[0]
            raise self.input_error(f"input of shape {(None, *shape[1:-1], features)} "
                                   f"({features} features in the last axis)", shape)
        if self.kernel is None and not shape[-1]:
            raise self.input_error("at least one feature in the last axis", shape)

    def create_parameters(self, input_shape: Shape) -> None:
        self.create_kernel((int(input_shape[-1]), self.units), self.units)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, *input_shape[1:-1], self.units)

    def forward(self, x: Tensor) -> Tensor:
        fused = fused_name(self.activation)
        if fused is not None and self.bias is not None:
            return linear(x, self.kernel, self.bias, activation=fused)
        return self.activate(linear(x, self.kernel, self.bias))

    def extra_repr(self) -> str:
        text = self.options_repr(f"units={self.units}")
        return text if self.kernel is None else f"{text}, input_dim={self.kernel.shape[0]}"
