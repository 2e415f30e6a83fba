"""``Layer``: a module that creates its parameters from the shape of its first input.

A layer is *built* once its parameters exist. It builds itself on its first call (Keras
style), or earlier from ``layer.build(input_shape)`` or an ``input_shape=`` given to its
constructor (without the batch axis). Once built it checks every input's shape and says what
it expected. ``KernelLayer`` is the shared part of Dense and Conv2D: a kernel, an optional
bias, an activation, initialisers and regularizers.

>>> import descend as dc
>>> layer = dc.nn.Dense(3)
>>> layer.built
False
>>> layer.build((None, 5)).kernel.shape, layer.output_shape
((5, 3), (None, 3))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from descend.config import Configurable
from descend.io.weight_budget import initial_weight
from descend.nn import activations, initializers, regularizers
from descend.nn.module import Module, Parameter, Shape, batch_shape
from descend.tensors import ArrayLike, Tensor, ensure_tensor


def positive_int(value: Any, name: str, layer: str) -> int:
    """``value`` as an int > 0, or a ValueError naming the layer and the argument.

    >>> positive_int(3, "units", "Dense")
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


class Layer(Configurable, Module):
    """The base of the built-in layers: lazy building and input checks.

    Subclasses implement ``forward``, and as needed ``create_parameters(input_shape)``,
    ``check_input(shape)`` and ``compute_output_shape(input_shape)``.

    >>> import descend as dc
    >>> class Scale(Layer):
    ...     def create_parameters(self, input_shape):
    ...         self.factor = self.add_weight((input_shape[-1],), dc.nn.initializers.Ones())
    ...     def forward(self, x):
    ...         return x * self.factor
    >>> layer = Scale()
    >>> layer(dc.ones((2, 3))).shape, layer.factor.shape
    ((2, 3), (3,))
    """

    def __init__(self) -> None:
        super().__init__()
        self._built = False

    @property
    def built(self) -> bool:
        """Whether the layer's parameters exist."""
        return self._built

    def built_input_shape(self) -> tuple[int | None, ...] | None:
        """The input shape without the batch axis once built (else None), for ``get_config``.

        >>> import descend as dc
        >>> dc.nn.Flatten().built_input_shape(), dc.nn.Flatten(input_shape=(2, 3)).input_shape
        (None, (None, 2, 3))
        >>> dc.nn.Flatten(input_shape=(2, 3)).built_input_shape()
        (2, 3)
        """
        return None if self.input_shape is None else tuple(self.input_shape[1:])

    def declare_input(self, input_shape: Sequence[int] | None) -> None:
        """Build now from ``input_shape`` (without the batch axis), if given."""
        if input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int | np.integer) else input_shape
            self.build((None, *shape))

    def build(self, input_shape: Shape) -> Layer:
        """Create the parameters for inputs of ``input_shape`` (batch axis may be None).

        On a built layer it only checks that ``input_shape`` fits.
        """
        shape = tuple(input_shape)
        self.check_input(shape)
        if not self._built:
            self.create_parameters(shape)
            self._built = True
        self.input_shape = batch_shape(shape)
        self.output_shape = self.compute_output_shape(shape)
        return self

    def create_parameters(self, input_shape: Shape) -> None:
        """Make the layer's parameters for ``input_shape`` (layers without any do nothing)."""

    def check_input(self, shape: Shape) -> None:
        """Raise a ValueError if inputs of ``shape`` do not fit the layer (default: any fit)."""

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (default: unchanged)."""
        return batch_shape(tuple(input_shape))

    def input_error(self, expected: str, shape: Shape) -> ValueError:
        """A ValueError saying which input this layer expected and what it got."""
        return ValueError(f"{type(self).__name__}: expected {expected}, got shape "
                          f"{tuple(shape)}")

    def add_weight(self, shape: tuple[int, ...], initializer: Callable[..., Any]) -> Parameter:
        """A new parameter of ``shape`` filled by ``initializer`` in the layer's dtype, on its
        device (values are drawn on the host and copied, the same on every device)."""
        return Parameter(initial_weight(shape, self.dtype, initializer), dtype=self.dtype,
                         device=self.device)

    def __call__(self, x: ArrayLike, *args: Any, **kwargs: Any) -> Any:
        x = ensure_tensor(x, type(self).__name__)
        if self._built:
            self.check_input(x.shape)
        else:
            self._device = self._device or x.device  # a lazy layer builds where its input is
            self.build(x.shape)
        return super().__call__(x, *args, **kwargs)


class KernelLayer(Layer):
    """A layer computing ``activation(x ⊛ kernel + bias)``: the common part of Dense and Conv2D.

    Parameters ``kernel`` and ``bias`` (None without bias) are made by
    :meth:`create_kernel` when the layer is built.

    >>> import descend as dc
    >>> isinstance(dc.nn.Dense(2), KernelLayer), isinstance(dc.nn.Flatten(), KernelLayer)
    (True, False)
    """

    kernel: Parameter | None
    bias: Parameter | None

    def __init__(self, activation: activations.ActivationLike, use_bias: bool,
                 kernel_initializer: initializers.InitializerLike,
                 bias_initializer: initializers.InitializerLike,
                 kernel_regularizer: regularizers.RegularizerLike | None,
                 bias_regularizer: regularizers.RegularizerLike | None) -> None:
        super().__init__()
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None
        for name, identifier in (("kernel", kernel_regularizer), ("bias", bias_regularizer)):
            regularizer = regularizers.get(identifier)
            if regularizer is not None:
                self.add_regularizer(name, regularizer)

    def kernel_config(self) -> dict[str, Any]:
        """The activation, bias, initialiser and regulariser options, for ``get_config``.

        >>> import descend as dc
        >>> sorted(dc.nn.Dense(2, kernel_regularizer="l2").kernel_config().items())[-2:]
        [('kernel_regularizer', L2(l2=0.01)), ('use_bias', True)]
        """
        return {"activation": self.activation, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": self._regularizers.get("kernel"),
                "bias_regularizer": self._regularizers.get("bias")}

    def create_kernel(self, kernel_shape: tuple[int, ...], outputs: int) -> None:
        """Make ``kernel`` of ``kernel_shape`` and, with ``use_bias``, ``bias`` of (outputs,)."""
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight((outputs,), self.bias_initializer)

    def options_repr(self, head: str) -> str:
        """``head`` plus the activation and bias options that differ from the defaults."""
        parts = [head]
        if self.activation is not activations.linear:
            parts.append(f"activation={activations.name_of(self.activation)}")
        if not self.use_bias:
            parts.append("use_bias=False")
        return ", ".join(parts)

    def activate(self, y: Tensor) -> Tensor:
        """Apply the layer's activation (skipping the identity)."""
        return y if self.activation is activations.linear else self.activation(y)
