"""Regression losses: mean squared error, mean absolute error, Huber and log-cosh.

Each takes ``(y_true, y_pred)`` of the same shape ``(batch, ...)``, averages the elementwise
loss over every axis but the first, and reduces over the batch (see :mod:`descend.losses.base`).

>>> import descend as dc
>>> y_pred = dc.tensor([1.5, 2.0, 5.0], requires_grad=True)
>>> loss = dc.losses.mse([1.0, 2.0, 3.0], y_pred)
>>> round(loss.item(), 4)          # (0.25 + 0 + 4) / 3
1.4167
>>> loss.backward()
>>> y_pred.grad.numpy().round(4)   # 2 (y_pred − y_true) / 3
array([0.3333, 0.    , 1.3333], dtype=float32)
"""

from __future__ import annotations

import math

from descend.losses.base import Reduction, prepare, reduce_loss
from descend.ops.activation import softplus
from descend.ops.losses import SquaredErrorMean
from descend.ops.piecewise import minimum
from descend.tensors import ArrayLike, Tensor

_LOG_2 = math.log(2.0)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Reduction = "mean"
                       ) -> Tensor:
    """Mean of (y_pred − y_true)² (``"mse"``), the loss of least-squares regression.

    Args:
        y_true: targets, shape ``(batch, ...)``; a Tensor, NumPy array or lists.
        y_pred: predictions of the same shape; gradients flow into it.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (per-sample losses, shape ``(batch,)``).

    Returns:
        A scalar Tensor, or shape ``(batch,)`` for ``reduction="none"``.

    >>> import descend as dc
    >>> dc.losses.mean_squared_error([0.0, 0.0], dc.tensor([1.0, 3.0])).item()
    5.0
    """
    true, pred = prepare("mean_squared_error", y_true, y_pred, reduction)
    if reduction == "mean":  # one fused op: the usual training loss
        return SquaredErrorMean.apply(pred, true)
    return reduce_loss((pred - true) ** 2, reduction)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Reduction = "mean"
                        ) -> Tensor:
    """Mean of |y_pred − y_true| (``"mae"``); robust to outliers, gradient ±1 (0 at equality).

    Args:
        y_true: targets, shape ``(batch, ...)``.
        y_pred: predictions of the same shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    >>> import descend as dc
    >>> dc.losses.mean_absolute_error([0.0, 0.0], dc.tensor([1.0, -3.0])).item()
    2.0
    """
    true, pred = prepare("mean_absolute_error", y_true, y_pred, reduction)
    return reduce_loss((pred - true).abs(), reduction)


def huber(y_true: ArrayLike, y_pred: ArrayLike, *, delta: float = 1.0,
          reduction: Reduction = "mean") -> Tensor:
    """Huber loss: ½ d² where |d| ≤ delta, delta · (|d| − ½ delta) beyond, with d = y_pred − y_true.

    Quadratic near the target and linear far from it, so outliers pull with a bounded force
    (the gradient is clipped to ±delta). Same definition as ``torch.nn.HuberLoss`` and Keras.

    Args:
        y_true: targets, shape ``(batch, ...)``.
        y_pred: predictions of the same shape.
        delta: where the loss turns from quadratic to linear; positive.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    >>> import descend as dc
    >>> dc.losses.huber([0.0, 0.0], dc.tensor([0.5, 3.0]), reduction="none").numpy()
    array([0.125, 2.5  ], dtype=float32)
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    true, pred = prepare("huber", y_true, y_pred, reduction)
    distance = (pred - true).abs()
    quadratic = minimum(distance, delta)
    return reduce_loss(quadratic * quadratic * 0.5 + (distance - quadratic) * delta, reduction)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Reduction = "mean") -> Tensor:
    """Mean of log(cosh(y_pred − y_true)): about ½ d² for small errors and |d| − log 2 for large.

    Computed as |d| + log(1 + e^(−2|d|)) − log 2, which never overflows (cosh(1000) does);
    the gradient is tanh(d).

    Args:
        y_true: targets, shape ``(batch, ...)``.
        y_pred: predictions of the same shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    >>> import descend as dc
    >>> dc.losses.log_cosh([0.0, 0.0], dc.tensor([0.0, 1000.0]), reduction="none").numpy()
    array([  0.    , 999.3068], dtype=float32)
    """
    true, pred = prepare("log_cosh", y_true, y_pred, reduction)
    distance = (pred - true).abs()
    return reduce_loss(distance + softplus(distance * -2.0) - _LOG_2, reduction)
