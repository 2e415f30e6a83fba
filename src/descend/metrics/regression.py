"""Regression metrics: mean absolute error, mean squared error, its root, and R².

Each is a streaming object (``MeanAbsoluteError``, ``MeanSquaredError``,
``RootMeanSquaredError``, ``R2Score``) and a plain function of ``(y_true, y_pred)`` returning a
Python float (``mae``, ``mse``, ``rmse``, ``r2``). Errors are averaged over the non-batch axes
of each sample, then over samples (weighted by ``sample_weight``).

>>> import descend as dc
>>> y_true, y_pred = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
>>> dc.metrics.mae(y_true, y_pred), dc.metrics.mse(y_true, y_pred)
(0.5, 0.375)
>>> round(dc.metrics.r2(y_true, y_pred), 4)
0.9486
"""

from __future__ import annotations

import math

import numpy as np

from descend.metrics.base import MeanMetric, Metric, batch_arrays, divide, sample_weights
from descend.tensors import ArrayLike


class MeanAbsoluteError(MeanMetric):
    """Streaming mean of |y_pred − y_true| (name ``"mae"``).

    >>> from descend.metrics import MeanAbsoluteError
    >>> m = MeanAbsoluteError(); m.update([0.0, 0.0], [1.0, -3.0]); m.result()
    2.0
    """

    default_name = "mae"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """|y_pred − y_true| per element."""
        return np.abs(y_pred.astype(np.float64) - y_true)


class MeanSquaredError(MeanMetric):
    """Streaming mean of (y_pred − y_true)² (name ``"mse"``).

    >>> from descend.metrics import MeanSquaredError
    >>> m = MeanSquaredError(); m.update([0.0, 0.0], [1.0, 3.0]); m.result()
    5.0
    """

    default_name = "mse"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """(y_pred − y_true)² per element."""
        return (y_pred.astype(np.float64) - y_true) ** 2


class RootMeanSquaredError(MeanSquaredError):
    """Streaming √(mean of (y_pred − y_true)²) (name ``"rmse"``), in the units of y.

    The root of the mean over all samples, not the mean of per-batch roots.

    >>> from descend.metrics import RootMeanSquaredError
    >>> m = RootMeanSquaredError(); m.update([0.0, 0.0], [3.0, 3.0]); m.result()
    3.0
    """

    default_name = "rmse"

    def result(self) -> float:
        """√ of the weighted mean squared error so far."""
        return math.sqrt(super().result())


class R2Score(Metric):
    """Streaming coefficient of determination R² = 1 − SS_res / SS_tot (name ``"r2"``).

    SS_res = Σ w (y − ŷ)², SS_tot = Σ w (y − ȳ)² with ȳ the weighted mean of y over every
    sample seen. The running mean and SS_tot are merged batch by batch with Chan et al.'s
    parallel update, so streaming gives the whole-set value without catastrophic
    cancellation. For several outputs (``y`` of shape ``(batch, outputs...)``) each output
    gets its own R² and the result is their plain average (scikit-learn's
    ``"uniform_average"``). An output whose targets are all equal gives 1.0 if predicted
    exactly and 0.0 otherwise (as scikit-learn).

    >>> from descend.metrics import R2Score
    >>> m = R2Score(); m.update([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]); m.result()   # 1 − 1/2
    0.5
    """

    default_name = "r2"

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> None:
        """Add one batch to the running weight, mean, SS_tot and SS_res of each output."""
        true, pred = batch_arrays(self.name, y_true, y_pred)
        true = true.reshape(len(true), -1).astype(np.float64)
        pred = pred.reshape(len(pred), -1).astype(np.float64)
        weights = sample_weights(self.name, sample_weight, len(true))[:, None]
        if self.weight is not None and self.mean.shape != true.shape[1:]:
            raise ValueError(f"{self.name}: this batch has {true.shape[1]} output(s) per sample "
                             f"but earlier batches had {self.mean.shape[0]}")
        batch_weight = float(weights.sum())
        self.residual = self.residual + (weights * (true - pred) ** 2).sum(axis=0)
        if batch_weight == 0:
            return
        batch_mean = (weights * true).sum(axis=0) / batch_weight
        batch_m2 = (weights * (true - batch_mean) ** 2).sum(axis=0)
        if self.weight is None:
            self.weight, self.mean, self.m2 = batch_weight, batch_mean, batch_m2
            return
        total = self.weight + batch_weight
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * (batch_weight / total)
        self.m2 = self.m2 + batch_m2 + delta**2 * (self.weight * batch_weight / total)
        self.weight = total

    def result(self) -> float:
        """R² averaged over outputs (0.0 before any sample)."""
        if self.weight is None:
            return 0.0
        constant = self.m2 == 0
        scores = np.where(constant, (self.residual == 0).astype(float),
                          1.0 - divide(self.residual, self.m2))
        return float(np.mean(scores))

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self.weight: float | None = None
        self.mean = np.zeros(0)
        self.m2 = np.zeros(0)
        self.residual: np.ndarray | float = 0.0


def mae(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
        ) -> float:
    """Mean absolute error, mean of |y_pred − y_true|.

    Args:
        y_true: targets, shape ``(batch, ...)``; NumPy arrays, lists or Tensors.
        y_pred: predictions of the same shape.
        sample_weight: optional non-negative weights, shape ``(batch,)``.

    >>> import descend as dc
    >>> dc.metrics.mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    return MeanAbsoluteError().compute(y_true, y_pred, sample_weight)


def mse(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
        ) -> float:
    """Mean squared error, mean of (y_pred − y_true)² (arguments as :func:`mae`).

    >>> import descend as dc
    >>> dc.metrics.mse([1.0, 2.0], [2.0, 4.0])
    2.5
    """
    return MeanSquaredError().compute(y_true, y_pred, sample_weight)


def rmse(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
         ) -> float:
    """Root mean squared error √mse, in the units of y (arguments as :func:`mae`).

    >>> import descend as dc
    >>> dc.metrics.rmse([0.0, 0.0], [3.0, -3.0])
    3.0
    """
    return RootMeanSquaredError().compute(y_true, y_pred, sample_weight)


def r2(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
       ) -> float:
    """Coefficient of determination 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; 1 is perfect, 0 is no better
    than predicting the mean (see :class:`R2Score`; arguments as :func:`mae`).

    >>> import descend as dc
    >>> dc.metrics.r2([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    0.0
    """
    return R2Score().compute(y_true, y_pred, sample_weight)
