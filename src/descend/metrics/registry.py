"""Metrics by name (``get``) and the choice of accuracy a bare ``"accuracy"`` means.

>>> import descend as dc
>>> m = dc.metrics.get("mae")
>>> m.update([1.0, 2.0], [2.0, 2.0]); m.name, m.result()
('mae', 0.5)
>>> dc.metrics.resolve_accuracy("sparse_categorical_crossentropy")
SparseCategoricalAccuracy(name='accuracy')
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from descend import losses
from descend.metrics.accuracies import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKAccuracy,
)
from descend.metrics.base import MeanMetric, Metric
from descend.metrics.classification import ConfusionMatrix, F1Score, Precision, Recall
from descend.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)
from descend.names import lookup

METRICS: dict[str, type[Metric]] = {
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "r2": R2Score,
    "r2_score": R2Score,
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_accuracy": TopKAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1": F1Score,
    "f1_score": F1Score,
    "confusion_matrix": ConfusionMatrix,
}
"""Every metric name :func:`get` knows, mapped to its class (loss names work too)."""


def _loss_metric(loss: Callable[..., Any], *, name: str) -> MeanMetric:
    """The running mean of a loss's per-sample values."""
    return MeanMetric(functools.partial(loss, reduction="none"), name=name)


def get(identifier: str | Metric | type[Metric] | Callable[..., Any]) -> Metric:
    """A streaming metric from a name, a class, an object or a per-sample function.

    Args:
        identifier: a name from :data:`METRICS` (case-insensitive; the metric is named
            exactly as given, so ``"acc"`` stays ``"acc"`` in a history), a loss name or
            loss (its running mean, e.g. ``"binary_crossentropy"``), a :class:`Metric`
            object (returned unchanged) or class (instantiated), or a function
            ``fn(y_true, y_pred)`` returning one value per sample (wrapped in
            :class:`MeanMetric`).

    Note that ``"accuracy"`` gives exact-match :class:`Accuracy`; a trainer turns a bare
    ``"accuracy"`` into the right variant with :func:`resolve_accuracy`.

    Raises:
        ValueError: an unknown name; the message lists the valid names.
        TypeError: anything else.

    >>> import descend as dc
    >>> dc.metrics.get("acc")
    Accuracy(name='acc')
    >>> dc.metrics.get("bce").name
    'bce'
    """
    if isinstance(identifier, str):
        by_loss = {key: functools.partial(_loss_metric, fn) for key, fn in losses.LOSSES.items()}
        return lookup("metrics.get", "metric", identifier,
                      {**by_loss, **METRICS})(name=identifier)
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, losses.Loss):
        return _loss_metric(identifier, name=identifier.name)
    if identifier in losses.LOSSES.values():
        return _loss_metric(identifier, name=identifier.__name__)
    if callable(identifier):
        return MeanMetric(identifier)
    raise TypeError(f"metrics.get: expected a metric name, Metric or function, got "
                    f"{type(identifier).__name__}")


def _loss_identity(loss: Any) -> tuple[str | None, bool]:
    """(the built-in loss function's name or None, whether it takes logits)."""
    if isinstance(loss, str):
        loss = losses.get(loss)
    if isinstance(loss, losses.Loss):
        return type(loss).function.__name__, bool(loss.options.get("from_logits", False))
    return (loss.__name__ if loss in losses.LOSSES.values() else None), False


def resolve_accuracy(loss: Any = None, y_true_shape: tuple[int, ...] | None = None,
                     y_pred_shape: tuple[int, ...] | None = None, *, name: str = "accuracy"
                     ) -> Metric:
    """The accuracy a bare ``"accuracy"`` means for a model trained with ``loss``.

    From the loss: binary cross-entropy gives :class:`BinaryAccuracy` (threshold 0 for
    ``BinaryCrossentropy(from_logits=True)``, 0.5 otherwise), categorical cross-entropy
    :class:`CategoricalAccuracy`, sparse categorical cross-entropy
    :class:`SparseCategoricalAccuracy`. Any other loss is decided from the shapes as
    Keras does: one output per sample means binary; labels with fewer axes than the
    predictions (or a last axis of 1) mean sparse; otherwise categorical.

    Args:
        loss: the loss name, function or :class:`~descend.losses.Loss` object.
        y_true_shape, y_pred_shape: the target and prediction shapes (needed only when the
            loss does not decide).
        name: the returned metric's name (a history's key).

    Raises:
        ValueError: the loss does not decide and no shape was given.

    >>> import descend as dc
    >>> dc.metrics.resolve_accuracy(dc.losses.BinaryCrossentropy(from_logits=True)).threshold
    0.0
    >>> dc.metrics.resolve_accuracy("mse", (32, 1), (32, 1))
    BinaryAccuracy(name='accuracy')
    >>> dc.metrics.resolve_accuracy(None, (32,), (32, 10))
    SparseCategoricalAccuracy(name='accuracy')
    """
    loss_name, from_logits = _loss_identity(loss) if loss is not None else (None, False)
    if loss_name == "binary_crossentropy":
        return BinaryAccuracy(threshold=0.0 if from_logits else 0.5, name=name)
    if loss_name == "categorical_crossentropy":
        return CategoricalAccuracy(name=name)
    if loss_name == "sparse_categorical_crossentropy":
        return SparseCategoricalAccuracy(name=name)
    shape = y_pred_shape if y_pred_shape is not None else y_true_shape
    if shape is None:
        raise ValueError(f"resolve_accuracy: the loss {loss_name or loss!r} does not say which "
                         "accuracy fits; give y_true_shape and y_pred_shape")
    shape, true_shape = tuple(shape), tuple(y_true_shape or shape)
    if len(shape) < 2 or shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(true_shape) < len(shape) or true_shape[-1] == 1:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)
