"""Fused loss ops with hand-written backwards: cross-entropy on logits, stable for any logit.

Each op gives the loss per position, with no reduction: :class:`SigmoidCrossEntropy` one value
per element, :class:`SoftmaxCrossEntropy` and :class:`SparseSoftmaxCrossEntropy` one value per
row of the last (class) axis. They compute in log space, so logits of ±1000 give finite losses
and gradients where exp(x) / Σ exp(x) followed by log would give NaN. ``dc.losses`` validates
the arguments and applies the reduction; use those functions rather than these classes.

Each backward builds its gradient with ops whose own backwards are exact (the sparse one from
the log-probabilities its forward kept, through :class:`SoftmaxMinusOneHot`), so second
derivatives (``create_graph=True``, Hessians) are exact too.

>>> import descend as dc
>>> from descend.ops.losses import SoftmaxCrossEntropy
>>> z = dc.tensor([[1000.0, 0.0]], requires_grad=True)
>>> loss = SoftmaxCrossEntropy.apply(z, dc.tensor([[0.0, 1.0]]))
>>> loss.numpy()
array([1000.], dtype=float32)
>>> loss.sum().backward()
>>> z.grad.numpy()              # softmax(z) − target
array([[ 1., -1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.activation import Sigmoid
from descend.ops.nn import _shifted, log_softmax, softmax
from descend.tensors import Tensor


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax(z) along the last axis (the probabilities are exp of it, made in backward)."""
    shifted = _shifted(z, -1)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def _label_positions(labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """The index of each row's label in logits of shape ``(*labels.shape, classes)``."""
    if labels.ndim == 1:
        return array_module(labels).arange(labels.shape[0]), labels
    return (*array_module(labels).indices(labels.shape, sparse=True), labels)


class SoftmaxCrossEntropy(Function):
    """−Σ t · log softmax(z) over the last axis, for logits z and target distributions t.

    Inputs: logits ``(..., classes)`` and targets of the same shape (one-hot or soft); output
    ``(...)``. Backward: ∂/∂z = softmax(z) · Σ t − t, ∂/∂t = −log softmax(z).

    >>> import descend as dc
    >>> z = dc.tensor([[0.0, 0.0]])
    >>> SoftmaxCrossEntropy.apply(z, dc.tensor([[1.0, 0.0]])).numpy().round(4)   # log 2
    array([0.6931], dtype=float32)
    """

    name = "softmax_cross_entropy"

    def forward(self, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -(t * _log_softmax(z)).sum(axis=-1)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        z, t = self.inputs
        need_z, need_t = self.needs_input_grad
        log_p = log_softmax(z, axis=-1)
        p = log_p.exp()
        g = gy[..., None]
        gz = g * (p * t.sum(axis=-1, keepdims=True) - t) if need_z else None
        gt = -(g * log_p) if need_t else None
        return gz, gt


class SparseSoftmaxCrossEntropy(Function):
    """−log softmax(z)[label] over the last axis, for logits z and integer class labels.

    Input: logits ``(..., classes)``; ``labels`` (an integer array of shape ``(...)``, each in
    ``[0, classes)``) is an option, not an input. Output ``(...)``, or with ``mean=True`` the
    mean over every position (one op instead of two: the training loss). Backward:
    softmax(z) − one_hot(label) (:class:`SoftmaxMinusOneHot`, from the log-probabilities the
    forward computed), times the output gradient (over the count with ``mean``).

    >>> import numpy as np, descend as dc
    >>> z = dc.tensor([[0.0, 0.0, 0.0]])
    >>> SparseSoftmaxCrossEntropy.apply(z, labels=np.array([2])).numpy().round(4)   # log 3
    array([1.0986], dtype=float32)
    """

    name = "sparse_softmax_cross_entropy"
    saved_arrays = ("log_p",)

    def __init__(self, labels: np.ndarray, mean: bool = False) -> None:
        self.labels, self.mean = labels, mean

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.log_p = _log_softmax(z)
        chosen = self.log_p[_label_positions(self.labels)]
        return -chosen.sum() / chosen.size if self.mean else -chosen

    def backward(self, gy: Tensor) -> Tensor:
        (z,) = self.inputs
        scale = gy * (1.0 / self.labels.size) if self.mean else gy[..., None]
        return scale * SoftmaxMinusOneHot.apply(z, labels=self.labels, log_p=self.log_p)


class SoftmaxMinusOneHot(Function):
    """softmax(z) − one_hot(labels) along the last axis, the sparse cross-entropy's gradient,
    given ``log_p = log softmax(z)`` (which the loss's forward computed): ``exp(log_p)``, less 1
    at each label. Backward: softmax's, y · (g − Σ g·y) with y = softmax(z), so second
    derivatives of the loss are exact.

    >>> import numpy as np, descend as dc
    >>> z = dc.tensor([[0.0, 0.0]])
    >>> SoftmaxMinusOneHot.apply(z, labels=np.array([1]), log_p=np.log([[0.5, 0.5]])).numpy()
    array([[ 0.5, -0.5]])
    """

    name = "softmax_minus_one_hot"
    saved_arrays = ("log_p",)

    def __init__(self, labels: np.ndarray, log_p: np.ndarray) -> None:
        self.labels, self.log_p = labels, log_p

    def forward(self, z: np.ndarray) -> np.ndarray:
        g = np.exp(self.log_p)
        g[_label_positions(self.labels)] -= 1
        return g

    def backward(self, gy: Tensor) -> Tensor:
        p = softmax(self.inputs[0], axis=-1)
        return p * (gy - (gy * p).sum(axis=-1, keepdims=True))


class SquaredErrorMean(Function):
    """mean((prediction − target)²) over every element, in one op (the MSE training loss).

    Backward: ∂/∂prediction = 2 (prediction − target) / n, ∂/∂target = the opposite.

    >>> import descend as dc
    >>> SquaredErrorMean.apply(dc.tensor([1.0, 3.0]), dc.tensor([0.0, 0.0])).item()   # (1 + 9) / 2
    5.0
    """

    name = "squared_error_mean"

    def forward(self, pred: np.ndarray, true: np.ndarray) -> np.ndarray:
        difference = pred - true
        xp = array_module(difference)
        return xp.vdot(difference, difference) / difference.size if difference.size else \
            xp.asarray(np.nan, dtype=difference.dtype)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        pred, true = self.inputs
        need_pred, need_true = self.needs_input_grad
        g = (pred - true) * (gy * (2.0 / pred.size))
        return (g if need_pred else None, -g if need_true else None)


class SigmoidCrossEntropy(Function):
    """−t log σ(z) − (1 − t) log(1 − σ(z)) per element, as max(z, 0) − z t + log(1 + e^−|z|).

    Inputs: logits z and targets t of the same shape; output that shape. Backward:
    ∂/∂z = σ(z) − t, ∂/∂t = −z.

    >>> import descend as dc
    >>> z = dc.tensor([-1000.0, 0.0, 1000.0])
    >>> SigmoidCrossEntropy.apply(z, dc.tensor([1.0, 1.0, 0.0])).numpy().round(4)
    array([1.000e+03, 6.931e-01, 1.000e+03], dtype=float32)
    """

    name = "sigmoid_cross_entropy"

    def forward(self, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        z, t = self.inputs
        need_z, need_t = self.needs_input_grad
        gz = gy * (Sigmoid.apply(z) - t) if need_z else None
        gt = -(gy * z) if need_t else None
        return gz, gt
