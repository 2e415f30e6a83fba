"""Activation functions: sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus.

Conventions follow torch: ``leaky_relu`` slope 0.01, ``gelu`` exact (erf) by default with
``approximate="tanh"``, ``softplus(beta=1, threshold=20)`` returning x where βx > threshold.

>>> import descend as dc
>>> x = dc.tensor([-1.0, 0.0, 2.0])
>>> x.relu().numpy(), x.sigmoid().numpy().round(4)
(array([0., 0., 2.], dtype=float32), array([0.2689, 0.5   , 0.8808], dtype=float32))
"""

from __future__ import annotations

import math

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.elementwise import unary, where
from descend.ops.special import erf
from descend.tensors import ArrayLike, Tensor, ensure_tensor


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """σ(x) of an array without overflow: 1 / (1 + e⁻ˣ) for x ≥ 0, eˣ / (1 + eˣ) below.

    >>> import numpy as np
    >>> sigmoid_array(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    array([0. , 0.5, 1. ], dtype=float32)
    """
    e = np.exp(-np.abs(x))
    d = 1 + e
    return array_module(x).where(x >= 0, 1 / d, e / d)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow; σ' = σ(1 − σ)."""

    save_output = True
    reads_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid_array(x)

    def backward(self, gy: Tensor) -> Tensor:
        y = self.output
        return gy * y * (1 - y)


class Tanh(Function):
    """tanh x; d/dx = 1 − tanh² x."""

    save_output = True
    reads_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, gy: Tensor) -> Tensor:
        y = self.output
        return gy * (1 - y * y)


class Relu(Function):
    """max(x, 0); the gradient passes where x > 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * (self.inputs[0] > 0)


class LeakyRelu(Function):
    """x where x > 0, slope · x elsewhere."""

    name = "leaky_relu"

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        return array_module(x).where(x > 0, x, x * self.slope)

    def backward(self, gy: Tensor) -> Tensor:
        x = self.inputs[0].data
        factor = array_module(x).where(x > 0, 1.0, self.slope).astype(gy.dtype)
        return gy * factor


class Elu(Function):
    """x where x > 0, α(eˣ − 1) elsewhere."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, x: np.ndarray) -> np.ndarray:
        return array_module(x).where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, gy: Tensor) -> Tensor:
        (x,) = self.inputs
        positive = x.data > 0
        return where(positive, gy, gy * where(positive, 0.0, x).exp() * self.alpha)


_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)


def gelu(x: ArrayLike, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x·Φ(x), exact with ``erf`` or with the tanh approximation.

    Built from differentiable primitives (erf, exp, tanh), so every order of derivative works.

    >>> import descend as dc
    >>> dc.gelu(dc.tensor([1.0])).numpy().round(5)
    array([0.84134], dtype=float32)
    """
    x = ensure_tensor(x, "gelu")
    if approximate == "none":
        return x * (erf(x * _INV_SQRT_2) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _TANH_SCALE
        return x * (inner.tanh() + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Softplus(Function):
    """log(1 + e^{βx}) / β, computed stably; x itself where βx > threshold (torch's rule)."""

    def __init__(self, beta: float, threshold: float) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, x: np.ndarray) -> np.ndarray:
        bx = x * self.beta
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / self.beta
        return array_module(x).where(bx > self.threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy: Tensor) -> Tensor:
        (x,) = self.inputs
        linear_part = x.data * self.beta > self.threshold
        return where(linear_part, gy, gy * Sigmoid.apply(x * self.beta))


def sigmoid(x: ArrayLike) -> Tensor:
    """The logistic function σ(x) = 1 / (1 + e⁻ˣ).

    >>> import descend as dc
    >>> dc.sigmoid(dc.tensor([0.0])).numpy()
    array([0.5], dtype=float32)
    """
    return unary(Sigmoid, x)


def tanh(x: ArrayLike) -> Tensor:
    """Hyperbolic tangent.

    >>> import descend as dc
    >>> dc.tanh(dc.tensor([0.0])).numpy()
    array([0.], dtype=float32)
    """
    return unary(Tanh, x)


def relu(x: ArrayLike) -> Tensor:
    """Rectified linear unit max(x, 0).

    >>> import descend as dc
    >>> dc.relu(dc.tensor([-2.0, 3.0])).numpy()
    array([0., 3.], dtype=float32)
    """
    return unary(Relu, x)


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope``·x otherwise.

    >>> import descend as dc
    >>> dc.leaky_relu(dc.tensor([-100.0, 1.0])).numpy()
    array([-1.,  1.], dtype=float32)
    """
    return unary(LeakyRelu, x, slope=float(negative_slope))


def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, α(eˣ − 1) otherwise.

    >>> import descend as dc
    >>> dc.elu(dc.tensor([0.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """
    return unary(Elu, x, alpha=float(alpha))


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth ReLU log(1 + e^{βx}) / β (x itself where βx > threshold, as in torch).

    >>> import descend as dc
    >>> round(dc.softplus(dc.tensor(0.0)).item(), 5)
    0.69315
    """
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    return unary(Softplus, x, beta=float(beta), threshold=float(threshold))
