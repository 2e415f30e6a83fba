"""Normalisation layers: ``BatchNorm`` (over the batch) and ``LayerNorm`` (within a sample).

Both subtract a mean, divide by the square root of the (biased) variance plus ``eps``, then
scale by a learned ``gamma`` and shift by a learned ``beta``.

>>> import descend as dc
>>> dc.seed(0)
>>> y = dc.nn.BatchNorm()(dc.randn(64, 3) * 5 + 2)
>>> y.numpy().mean(axis=0).round(4) + 0.0, y.numpy().std(axis=0).round(2)
(array([0., 0., 0.], dtype=float32), array([1., 1., 1.], dtype=float32))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd.mode import no_grad
from descend.config import register_configurable
from descend.creation import ones, zeros
from descend.nn.initializers import Ones, Zeros
from descend.nn.layers.base import Layer
from descend.nn.module import Shape
from descend.ops.reduce import normalize_axes
from descend.tensors import Tensor


def _check_eps(eps: float, layer: str) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or eps <= 0:
        raise ValueError(f"{layer}: eps must be a positive number, got {eps!r}")
    return float(eps)


def _normalize(x: Tensor, mean: Tensor, var: Tensor, eps: float, gamma: Tensor, beta: Tensor,
               shape: tuple[int, ...]) -> Tensor:
    """(x − mean) / sqrt(var + eps) · gamma + beta, with gamma and beta reshaped to ``shape``."""
    scale = (var + eps) ** -0.5 * gamma.reshape(shape)
    return (x - mean) * scale + beta.reshape(shape)


@register_configurable
class BatchNorm(Layer):
    """Normalise each feature (or channel) with the statistics of the batch (torch semantics).

    Works on ``(N, C)`` features (BatchNorm1d), ``(N, C, L)`` sequences and ``(N, C, H, W)``
    images (BatchNorm2d): axis 1 is the feature/channel axis, statistics are taken over all
    the others. In training it normalises with the batch mean and biased variance and updates
    ``running_mean`` and ``running_var`` (the unbiased batch variance) as
    ``running = (1 − momentum)·running + momentum·batch``; in eval mode it uses the running
    statistics.

    Parameters ``gamma`` (scale, ones) and ``beta`` (shift, zeros), shape ``(C,)``; buffers
    ``running_mean`` (zeros) and ``running_var`` (ones), shape ``(C,)``.

    Args:
        momentum: the weight of each new batch in the running statistics.
        eps: added to the variance before the square root.
        input_shape: the input shape without the batch axis, to build right away.

    >>> import descend as dc
    >>> bn = dc.nn.BatchNorm(input_shape=(16, 8, 8))
    >>> bn.gamma.shape, bn.running_var.shape
    ((16,), (16,))
    """

    gamma: Tensor | None
    beta: Tensor | None

    def __init__(self, *, momentum: float = 0.1, eps: float = 1e-5,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if isinstance(momentum, bool) or not isinstance(momentum, int | float) or not (
                0 <= momentum <= 1):
            raise ValueError(f"BatchNorm: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.eps = _check_eps(eps, "BatchNorm")
        self.gamma = self.beta = None
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "eps": self.eps,
                "input_shape": self.built_input_shape()}

    def check_input(self, shape: Shape) -> None:
        channels = "C" if self.gamma is None else self.gamma.shape[0]
        if len(shape) not in (2, 3, 4) or (self.gamma is not None and shape[1] != channels):
            raise self.input_error(f"(None, {channels}) features, (None, {channels}, length) or "
                                   f"(None, {channels}, height, width) images", shape)

    def create_parameters(self, input_shape: Shape) -> None:
        channels = (int(input_shape[1]),)
        self.gamma = self.add_weight(channels, Ones())
        self.beta = self.add_weight(channels, Zeros())
        self.register_buffer("running_mean", zeros(channels, dtype=self.dtype, device=self.device))
        self.register_buffer("running_var", ones(channels, dtype=self.dtype, device=self.device))

    def forward(self, x: Tensor) -> Tensor:
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if not self.training:
            mean = self.running_mean.reshape(shape)
            return _normalize(x, mean, self.running_var.reshape(shape), self.eps, self.gamma,
                              self.beta, shape)
        count = math.prod(x.shape[a] for a in axes)
        if count < 2:
            raise ValueError(f"BatchNorm: training needs more than one value per channel to "
                             f"estimate a variance, got input of shape {x.shape}; use a "
                             "larger batch or eval mode")
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        with no_grad():
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += mean.reshape(-1) * m
            self.running_var *= 1 - m
            self.running_var += var.reshape(-1) * (m * count / (count - 1))
        return _normalize(x, mean, var, self.eps, self.gamma, self.beta, shape)

    def extra_repr(self) -> str:
        text = f"momentum={self.momentum}, eps={self.eps}"
        return text if self.gamma is None else f"{self.gamma.shape[0]}, {text}"


@register_configurable
class LayerNorm(Layer):
    """Normalise each sample over its last axes (torch's ``normalized_shape``) or ``axis``.

    Args:
        normalized_shape: the sizes of the trailing axes to normalise over (torch style);
            builds the layer right away.
        axis: otherwise, the axis or axes to normalise over (Keras style, default the last).
        eps: added to the variance before the square root.

    Parameters ``gamma`` (ones) and ``beta`` (zeros) have the shape of the normalised axes.

    >>> import descend as dc
    >>> y = dc.nn.LayerNorm(4)(dc.arange(8.0).reshape(2, 4))
    >>> y.numpy().round(3)
    array([[-1.342, -0.447,  0.447,  1.342],
           [-1.342, -0.447,  0.447,  1.342]], dtype=float32)
    """

    gamma: Tensor | None
    beta: Tensor | None

    def __init__(self, normalized_shape: int | Sequence[int] | None = None, *,
                 axis: int | Sequence[int] = -1, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = _check_eps(eps, "LayerNorm")
        self.gamma = self.beta = None
        self.normalized_shape: tuple[int, ...] | None = None
        if normalized_shape is None:
            self.axis = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
            return
        sizes = ((normalized_shape,) if isinstance(normalized_shape, int | np.integer)
                 else tuple(normalized_shape))
        self.normalized_shape = sizes
        self.axis = tuple(range(-len(sizes), 0))
        self.create_parameters((None, *sizes))
        self._built = True

    def get_config(self) -> dict[str, Any]:
        return {"normalized_shape": self.normalized_shape, "axis": self.axis, "eps": self.eps}

    def _axes(self, ndim: int) -> tuple[int, ...]:
        return normalize_axes(self.axis, ndim, "LayerNorm")

    def check_input(self, shape: Shape) -> None:
        try:
            sizes = tuple(shape[a] for a in self._axes(len(shape)))
        except ValueError:
            raise self.input_error(f"an input with axes {self.axis} to normalise over",
                                   shape) from None
        if self.gamma is not None and sizes != self.gamma.shape:
            raise self.input_error(f"sizes {self.gamma.shape} on the normalised axes "
                                   f"{self.axis}", shape)

    def create_parameters(self, input_shape: Shape) -> None:
        sizes = tuple(int(input_shape[a]) for a in self._axes(len(input_shape)))
        self.gamma = self.add_weight(sizes, Ones())
        self.beta = self.add_weight(sizes, Zeros())

    def forward(self, x: Tensor) -> Tensor:
        axes = self._axes(x.ndim)
        shape = tuple(size if i in axes else 1 for i, size in enumerate(x.shape))
        mean = x.mean(axis=axes, keepdims=True)
        return _normalize(x, mean, x.var(axis=axes, keepdims=True), self.eps, self.gamma,
                          self.beta, shape)

    def extra_repr(self) -> str:
        head = f"axis={self.axis}" if self.gamma is None else f"{self.gamma.shape}"
        return f"{head}, eps={self.eps}"
