"""Accuracy metrics: exact match, binary (thresholded), categorical, sparse, top-k.

Each is the (weighted) fraction of correct predictions, as a streaming object and as a plain
function returning a Python float.

=============================  ===============================  =============================
metric                          y_true                           y_pred
=============================  ===============================  =============================
``accuracy``                    any values                       the same values, same shape
``binary_accuracy``             0/1 labels                       probabilities (> threshold)
``categorical_accuracy``        one-hot ``(batch, classes)``     scores ``(batch, classes)``
``sparse_categorical_accuracy`` integer labels ``(batch,)``      scores ``(batch, classes)``
``top_k_accuracy``              labels or one-hot                scores ``(batch, classes)``
=============================  ===============================  =============================

>>> import descend as dc
>>> scores = [[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]]
>>> dc.metrics.sparse_categorical_accuracy([1, 2, 2], scores)
0.6666666666666666
>>> dc.metrics.top_k_accuracy([1, 2, 2], scores, k=2)
1.0
"""

from __future__ import annotations

import numpy as np

from descend.losses.checks import sparse_labels
from descend.metrics.base import MeanMetric
from descend.tensors import ArrayLike


def _check_class_axis(op: str, y_pred: np.ndarray) -> None:
    if y_pred.ndim < 2:
        raise ValueError(f"{op}: y_pred must have shape (batch, ..., classes) with one score "
                         f"per class, got shape {y_pred.shape}")


def true_classes(op: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Class indices of ``y_true``, one-hot (``y_pred``'s shape) or integer labels, for scores
    ``y_pred`` of shape ``(batch, ..., classes)``.

    >>> true_classes("top_k_accuracy", np.array([[0, 1]]), np.zeros((1, 2)))
    array([1])
    """
    if y_true.shape == y_pred.shape:
        return y_true.argmax(axis=-1)
    return sparse_labels(op, y_true, y_pred.shape)


def binary_targets(op: str, y_true: np.ndarray) -> np.ndarray:
    """``y_true == 1`` after checking every target is 0 or 1.

    >>> binary_targets("binary_accuracy", np.array([0.0, 1.0]))
    array([False,  True])
    """
    valid = np.isin(y_true, (0, 1))
    if not valid.all():
        bad = y_true[~valid].flat[0].item()
        raise ValueError(f"{op}: y_true must hold 0/1 labels, got {bad!r}")
    return y_true == 1


class Accuracy(MeanMetric):
    """Fraction of predictions exactly equal to the targets (name ``"accuracy"``).

    For labels already predicted as labels; for probabilities use the binary, categorical or
    sparse variants (a trainer picks one with :func:`~descend.metrics.resolve_accuracy`).

    >>> from descend.metrics import Accuracy
    >>> m = Accuracy(); m.update([1, 2, 3, 4], [0, 2, 3, 4]); m.result()
    0.75
    """

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """1.0 where y_pred equals y_true, else 0.0."""
        return y_true == y_pred


class BinaryAccuracy(MeanMetric):
    """Fraction of 0/1 targets matched by ``y_pred > threshold`` (name ``"binary_accuracy"``).

    Args:
        threshold: probabilities above it count as class 1 (use 0.0 for logits).
        name: the metric's name.

    >>> from descend.metrics import BinaryAccuracy
    >>> m = BinaryAccuracy(); m.update([1, 0, 1], [0.9, 0.6, 0.3]); m.result()
    0.3333333333333333
    """

    default_name = "binary_accuracy"

    def __init__(self, *, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = float(threshold)
        super().__init__(name=name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """1.0 where (y_pred > threshold) equals the 0/1 target."""
        return (y_pred > self.threshold) == binary_targets(self.name, y_true)


class CategoricalAccuracy(MeanMetric):
    """Fraction of samples whose highest score is the one-hot target's class
    (name ``"categorical_accuracy"``). Ties go to the first class (``argmax``).

    >>> from descend.metrics import CategoricalAccuracy
    >>> m = CategoricalAccuracy(); m.update([[0, 1], [1, 0]], [[0.2, 0.8], [0.4, 0.6]])
    >>> m.result()
    0.5
    """

    default_name = "categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """1.0 where argmax(y_pred) equals argmax(y_true)."""
        _check_class_axis(self.name, y_pred)
        return y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)


class SparseCategoricalAccuracy(MeanMetric):
    """Fraction of samples whose highest score is the integer target label
    (name ``"sparse_categorical_accuracy"``). Labels may have shape ``(batch,)`` or
    ``(batch, 1)``.

    >>> from descend.metrics import SparseCategoricalAccuracy
    >>> m = SparseCategoricalAccuracy(); m.update([1, 0], [[0.2, 0.8], [0.4, 0.6]])
    >>> m.result()
    0.5
    """

    default_name = "sparse_categorical_accuracy"
    same_shape = False

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """1.0 where argmax(y_pred) equals the label."""
        _check_class_axis(self.name, y_pred)
        return sparse_labels(self.name, y_true, y_pred.shape) == y_pred.argmax(axis=-1)


class TopKAccuracy(MeanMetric):
    """Fraction of samples whose target class is among the ``k`` highest scores
    (name ``"top_k_accuracy"``).

    Targets may be integer labels ``(batch,)`` or one-hot ``(batch, classes)``. A class
    counts as in the top k when fewer than k classes score strictly higher (so ties at the
    boundary count as hits, as in ``tf.math.in_top_k``).

    Args:
        k: how many of the best-scored classes may hold the target; a positive integer.
        name: the metric's name.

    >>> from descend.metrics import TopKAccuracy
    >>> m = TopKAccuracy(k=2); m.update([2, 0], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    >>> m.result()
    0.0
    """

    default_name = "top_k_accuracy"
    same_shape = False

    def __init__(self, *, k: int = 5, name: str | None = None) -> None:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"top_k_accuracy: k must be a positive integer, got {k!r}")
        self.k = int(k)
        super().__init__(name=name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """1.0 where fewer than k classes score higher than the target class."""
        _check_class_axis(self.name, y_pred)
        target = true_classes(self.name, y_true, y_pred)
        target_score = np.take_along_axis(y_pred, target[..., None], axis=-1)
        return (y_pred > target_score).sum(axis=-1) < self.k


def accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
             ) -> float:
    """Fraction of exact matches between ``y_true`` and ``y_pred`` (same shape).

    Args:
        y_true: the true labels or values, shape ``(batch, ...)`` (arrays, lists, Tensors);
            a sample's score is the fraction of its elements matched.
        y_pred: predicted labels or values, shaped like ``y_true``.
        sample_weight: optional non-negative weight of each sample, shape ``(batch,)``.

    >>> import descend as dc
    >>> dc.metrics.accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    return Accuracy().compute(y_true, y_pred, sample_weight)


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, threshold: float = 0.5,
                    sample_weight: ArrayLike | None = None) -> float:
    """Fraction of 0/1 targets matched by ``y_pred > threshold`` (see :class:`BinaryAccuracy`).

    >>> import descend as dc
    >>> dc.metrics.binary_accuracy([1, 0, 0, 1], [0.8, 0.4, 0.6, 0.9])
    0.75
    """
    return BinaryAccuracy(threshold=threshold).compute(y_true, y_pred, sample_weight)


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, *,
                         sample_weight: ArrayLike | None = None) -> float:
    """Fraction of rows where argmax(y_pred) = argmax(one-hot y_true) (see
    :class:`CategoricalAccuracy`).

    >>> import descend as dc
    >>> dc.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    0.5
    """
    return CategoricalAccuracy().compute(y_true, y_pred, sample_weight)


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, *,
                                sample_weight: ArrayLike | None = None) -> float:
    """Fraction of rows where argmax(y_pred) equals the integer label (see
    :class:`SparseCategoricalAccuracy`).

    >>> import descend as dc
    >>> dc.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    0.5
    """
    return SparseCategoricalAccuracy().compute(y_true, y_pred, sample_weight)


def top_k_accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, k: int = 5,
                   sample_weight: ArrayLike | None = None) -> float:
    """Fraction of rows whose target class is among the k highest scores (see
    :class:`TopKAccuracy`).

    >>> import descend as dc
    >>> dc.metrics.top_k_accuracy([0, 1], [[0.1, 0.6, 0.3], [0.2, 0.5, 0.3]], k=2)
    0.5
    """
    return TopKAccuracy(k=k).compute(y_true, y_pred, sample_weight)
