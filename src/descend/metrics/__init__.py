"""Metrics: how good predictions are, as numbers to report (no gradients).

Two forms of each metric, both taking ``(y_true, y_pred)`` (Keras order) as NumPy arrays,
lists or Tensors:

* a plain function returning a Python float: :func:`mae`, :func:`mse`, :func:`rmse`,
  :func:`r2`, :func:`accuracy`, :func:`binary_accuracy`, :func:`categorical_accuracy`,
  :func:`sparse_categorical_accuracy`, :func:`top_k_accuracy`, :func:`precision`,
  :func:`recall`, :func:`f1`, and :func:`confusion_matrix` (an array);
* a streaming object (:class:`Metric`) with ``update(y_true, y_pred, sample_weight=None)``,
  ``result()``, ``reset()`` and a ``name``, which over batches gives exactly the value on the
  whole set: :class:`MeanAbsoluteError`, :class:`MeanSquaredError`,
  :class:`RootMeanSquaredError`, :class:`R2Score`, :class:`Accuracy`,
  :class:`BinaryAccuracy`, :class:`CategoricalAccuracy`, :class:`SparseCategoricalAccuracy`,
  :class:`TopKAccuracy`, :class:`Precision`, :class:`Recall`, :class:`F1Score`,
  :class:`ConfusionMatrix`, and :class:`MeanMetric` for any per-sample function.

:func:`get` makes a fresh object from a name; :func:`resolve_accuracy` says which accuracy a
bare ``"accuracy"`` means for a loss.

>>> import numpy as np, descend as dc
>>> y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([0.2, 0.8, 0.4, 0.1, 0.9])
>>> dc.metrics.binary_accuracy(y_true, y_pred)
0.8
>>> m = dc.metrics.get("binary_accuracy")
>>> for start in (0, 2, 4):                          # batches of 2, 2 and 1
...     m.update(y_true[start:start + 2], y_pred[start:start + 2])
>>> m.result()
0.8
"""

from __future__ import annotations

from descend.metrics.accuracies import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_accuracy,
)
from descend.metrics.base import MeanMetric, Metric
from descend.metrics.classification import (
    ConfusionMatrix,
    F1Score,
    Precision,
    Recall,
    confusion_matrix,
    f1,
    precision,
    recall,
)
from descend.metrics.registry import METRICS, get, resolve_accuracy
from descend.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
    mae,
    mse,
    r2,
    rmse,
)

__all__ = [
    "METRICS", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "ConfusionMatrix",
    "F1Score", "MeanAbsoluteError", "MeanMetric", "MeanSquaredError", "Metric", "Precision",
    "R2Score", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy", "TopKAccuracy",
    "accuracy", "binary_accuracy", "categorical_accuracy", "confusion_matrix", "f1", "get",
    "mae", "mse", "precision", "r2", "recall", "resolve_accuracy", "rmse",
    "sparse_categorical_accuracy", "top_k_accuracy",
]
