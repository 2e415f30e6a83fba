"""Confusion matrix, precision, recall and F1, all read from one streaming confusion matrix.

Rows of the confusion matrix are true classes, columns predicted classes (scikit-learn's
layout). Predictions are read as:

* binary (``average="binary"``, the default for precision/recall/F1, or a ``threshold`` for
  the confusion matrix): 0/1 targets and probabilities, class 1 where ``y_pred > threshold``;
  every element counts (multi-label outputs too);
* multi-class: scores ``(batch, classes)`` (their argmax is the prediction) with integer
  labels ``(batch,)`` or one-hot targets, or integer labels for both.

Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 TP / (2 TP + FP + FN), each 0 when
its denominator is 0. ``average="binary"`` scores class 1; ``"macro"`` averages the per-class
scores over the classes that occur in the targets or the predictions; ``"micro"`` pools the
counts of all classes first (for single-label data all three then equal accuracy).

>>> import descend as dc
>>> y_true, y_prob = [1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.2, 0.8]
>>> dc.metrics.confusion_matrix(y_true, y_prob, threshold=0.5)
array([[1, 1],
       [1, 2]])
>>> dc.metrics.precision(y_true, y_prob), dc.metrics.recall(y_true, y_prob)
(0.6666666666666666, 0.6666666666666666)
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from descend.losses.checks import check_choice, check_labels, check_same_shape
from descend.metrics.accuracies import binary_targets, true_classes
from descend.metrics.base import Metric, batch_arrays, divide, sample_weights
from descend.tensors import ArrayLike

Average = Literal["binary", "macro", "micro"]
AVERAGES: tuple[str, ...] = ("binary", "macro", "micro")


class ConfusionMatrix(Metric):
    """Streaming confusion matrix: entry [i, j] counts samples of class i predicted as j.

    Args:
        num_classes: the number of classes; by default the class axis of scores, else it
            grows to the largest label seen plus one.
        threshold: read the inputs as binary (0/1 targets, class 1 where ``y_pred >
            threshold``), giving a 2 × 2 matrix.
        name: the metric's name (default ``"confusion_matrix"``).

    ``result()`` is an ``int64`` array, or ``float64`` (weighted counts) once a
    ``sample_weight`` was given.

    >>> from descend.metrics import ConfusionMatrix
    >>> m = ConfusionMatrix()
    >>> m.update([0, 1, 2], [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7]])
    >>> m.result()
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 1]])
    """

    default_name = "confusion_matrix"

    def __init__(self, *, num_classes: int | None = None, threshold: float | None = None,
                 name: str | None = None) -> None:
        if num_classes is not None and (isinstance(num_classes, bool) or num_classes < 1):
            raise ValueError(f"confusion_matrix: num_classes must be a positive integer, got "
                             f"{num_classes!r}")
        if threshold is not None and num_classes not in (None, 2):
            raise ValueError(f"confusion_matrix: a threshold means two classes, got "
                             f"num_classes={num_classes}")
        self.threshold = None if threshold is None else float(threshold)
        self.num_classes = 2 if threshold is not None else num_classes
        super().__init__(name=name)

    def _labels(self, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(true, predicted) class indices of equal shape ``(batch, ...)``."""
        true, pred = batch_arrays(self.name, y_true, y_pred, same_shape=False)
        if self.threshold is not None:
            check_same_shape(self.name, true.shape, pred.shape)
            return binary_targets(self.name, true).astype(np.int64), (
                pred > self.threshold).astype(np.int64)
        if pred.ndim >= 2 and pred.shape[-1] > 1:
            if self.num_classes not in (None, pred.shape[-1]):
                raise ValueError(f"{self.name}: y_pred has {pred.shape[-1]} class scores per "
                                 f"sample but num_classes is {self.num_classes}")
            self.num_classes = pred.shape[-1]
            return true_classes(self.name, true, pred), pred.argmax(axis=-1)
        check_same_shape(self.name, true.shape, pred.shape)
        return (check_labels(self.name, true, self.num_classes),
                check_labels(self.name, pred, self.num_classes, "predicted label"))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> None:
        """Count one batch (each sample's weight goes to every element of its labels)."""
        true, pred = self._labels(y_true, y_pred)
        weights = sample_weights(self.name, sample_weight, len(true))
        weights = np.broadcast_to(weights.reshape((-1,) + (1,) * (true.ndim - 1)), true.shape)
        self.weighted = self.weighted or sample_weight is not None
        size = self.num_classes or max(len(self.matrix), int(true.max(initial=-1)) + 1,
                                       int(pred.max(initial=-1)) + 1)
        if size > len(self.matrix):
            grown = np.zeros((size, size))
            grown[: len(self.matrix), : len(self.matrix)] = self.matrix
            self.matrix = grown
        counts = np.bincount((true * size + pred).ravel(), weights=weights.ravel(),
                             minlength=size * size)
        self.matrix += counts.reshape(size, size)

    def result(self) -> np.ndarray:
        """The matrix so far, true classes down, predicted classes across."""
        return self.matrix.copy() if self.weighted else self.matrix.round().astype(np.int64)

    def reset(self) -> None:
        """Forget every batch seen so far."""
        size = self.num_classes or 0
        self.matrix = np.zeros((size, size))
        self.weighted = False


class _ConfusionScore(Metric):
    """A score read from a confusion matrix's true positives, predicted and actual counts."""

    def __init__(self, *, average: Average = "binary", threshold: float = 0.5,
                 num_classes: int | None = None, name: str | None = None) -> None:
        check_choice(name or self.default_name, "average", average, AVERAGES)
        self.average = average
        binary = average == "binary"
        self.confusion = ConfusionMatrix(threshold=threshold if binary else None,
                                         num_classes=None if binary else num_classes,
                                         name=name or self.default_name)
        super().__init__(name=name)

    @staticmethod
    def score(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
        """The score from counts (per class, or pooled)."""
        raise NotImplementedError

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> None:
        """Count one batch into the confusion matrix."""
        self.confusion.update_state(y_true, y_pred, sample_weight)

    def result(self) -> float:
        """The score for class 1, averaged over classes, or from pooled counts."""
        matrix = self.confusion.matrix
        if matrix.size == 0:
            return 0.0
        tp, predicted, actual = np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)
        if self.average == "binary":
            return float(self.score(tp[1], predicted[1], actual[1]))
        if self.average == "micro":
            return float(self.score(tp.sum(), predicted.sum(), actual.sum()))
        present = predicted + actual > 0
        return float(np.mean(self.score(tp, predicted, actual)[present])) if present.any() else 0.0

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self.confusion.reset()


class Precision(_ConfusionScore):
    """Streaming precision TP / (TP + FP): of the predicted positives, the share that are.

    Args:
        average: ``"binary"`` (class 1 of 0/1 targets), ``"macro"`` or ``"micro"``.
        threshold: binary predictions are ``y_pred > threshold``.
        num_classes: for ``"macro"``/``"micro"`` (see :class:`ConfusionMatrix`).
        name: the metric's name (default ``"precision"``).

    >>> from descend.metrics import Precision
    >>> m = Precision(); m.update([1, 0, 1], [0.8, 0.7, 0.1]); m.result()
    0.5
    """

    default_name = "precision"

    @staticmethod
    def score(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
        """TP / predicted positives."""
        return divide(tp, predicted)


class Recall(_ConfusionScore):
    """Streaming recall TP / (TP + FN): of the actual positives, the share found.

    Arguments as :class:`Precision` (default name ``"recall"``).

    >>> from descend.metrics import Recall
    >>> m = Recall(); m.update([1, 0, 1], [0.8, 0.7, 0.1]); m.result()
    0.5
    """

    default_name = "recall"

    @staticmethod
    def score(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
        """TP / actual positives."""
        return divide(tp, actual)


class F1Score(_ConfusionScore):
    """Streaming F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    Arguments as :class:`Precision` (default name ``"f1"``); ``"macro"`` averages per-class
    F1 scores (as scikit-learn).

    >>> from descend.metrics import F1Score
    >>> m = F1Score(); m.update([1, 0, 1, 1], [0.8, 0.7, 0.1, 0.9]); m.result()
    0.6666666666666666
    """

    default_name = "f1"

    @staticmethod
    def score(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
        """2 TP / (predicted + actual positives)."""
        return divide(2 * tp, predicted + actual)


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, num_classes: int | None = None,
                     threshold: float | None = None, sample_weight: ArrayLike | None = None
                     ) -> np.ndarray:
    """The confusion matrix, shape ``(classes, classes)``: [i, j] counts class i predicted as j.

    Args:
        y_true: integer labels ``(batch,)``, or one-hot ``(batch, classes)``.
        y_pred: scores ``(batch, classes)`` or integer labels (probabilities with ``threshold``).
        num_classes: the class count (default: inferred, see :class:`ConfusionMatrix`).
        threshold: read 0/1 targets and probabilities, class 1 where ``y_pred > threshold``.
        sample_weight: optional non-negative weights, shape ``(batch,)``.

    >>> import descend as dc
    >>> dc.metrics.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    metric = ConfusionMatrix(num_classes=num_classes, threshold=threshold)
    return metric.compute(y_true, y_pred, sample_weight)


def precision(y_true: ArrayLike, y_pred: ArrayLike, *, average: Average = "binary",
              threshold: float = 0.5, num_classes: int | None = None,
              sample_weight: ArrayLike | None = None) -> float:
    """Precision TP / (TP + FP) (see :class:`Precision` for the arguments).

    >>> import descend as dc
    >>> dc.metrics.precision([0, 1, 2, 2], [0, 2, 2, 2], average="macro")   # (1 + 0 + 2/3) / 3
    0.5555555555555555
    """
    metric = Precision(average=average, threshold=threshold, num_classes=num_classes)
    return metric.compute(y_true, y_pred, sample_weight)


def recall(y_true: ArrayLike, y_pred: ArrayLike, *, average: Average = "binary",
           threshold: float = 0.5, num_classes: int | None = None,
           sample_weight: ArrayLike | None = None) -> float:
    """Recall TP / (TP + FN) (see :class:`Recall` for the arguments).

    >>> import descend as dc
    >>> dc.metrics.recall([0, 1, 2, 2], [0, 2, 2, 2], average="macro")     # (1 + 0 + 1) / 3
    0.6666666666666666
    """
    metric = Recall(average=average, threshold=threshold, num_classes=num_classes)
    return metric.compute(y_true, y_pred, sample_weight)


def f1(y_true: ArrayLike, y_pred: ArrayLike, *, average: Average = "binary",
       threshold: float = 0.5, num_classes: int | None = None,
       sample_weight: ArrayLike | None = None) -> float:
    """F1 = 2 TP / (2 TP + FP + FN) (see :class:`F1Score` for the arguments).

    >>> import descend as dc
    >>> dc.metrics.f1([0, 1, 1, 0], [0.2, 0.9, 0.3, 0.1])    # TP 1, FP 0, FN 1
    0.6666666666666666
    """
    metric = F1Score(average=average, threshold=threshold, num_classes=num_classes)
    return metric.compute(y_true, y_pred, sample_weight)
