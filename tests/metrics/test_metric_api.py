"""Metric API: ``get``, ``resolve_accuracy``, names, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import losses, metrics

NAMES = {
    "mae": metrics.MeanAbsoluteError, "mse": metrics.MeanSquaredError,
    "rmse": metrics.RootMeanSquaredError, "r2": metrics.R2Score, "accuracy": metrics.Accuracy,
    "acc": metrics.Accuracy, "binary_accuracy": metrics.BinaryAccuracy,
    "categorical_accuracy": metrics.CategoricalAccuracy,
    "sparse_categorical_accuracy": metrics.SparseCategoricalAccuracy,
    "top_k_accuracy": metrics.TopKAccuracy, "precision": metrics.Precision,
    "recall": metrics.Recall, "f1": metrics.F1Score, "confusion_matrix": metrics.ConfusionMatrix,
    "mean_absolute_error": metrics.MeanAbsoluteError,
}


@pytest.mark.parametrize(("name", "cls"), NAMES.items(), ids=list(NAMES))
def test_get_makes_a_fresh_metric_named_as_given(name, cls):
    first, second = metrics.get(name), metrics.get(name)
    assert type(first) is cls and first.name == name
    assert first is not second


def test_get_other_identifiers():
    metric = metrics.BinaryAccuracy(threshold=0.0)
    assert metrics.get(metric) is metric
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    custom = metrics.get(lambda t, p: np.abs(t - p))
    custom.update([0.0, 0.0], [1.0, 3.0])
    assert custom.result() == 2.0 and custom.name == "<lambda>"
    from_loss = metrics.get(losses.Huber(delta=0.5))
    assert from_loss.name == "huber"
    from_loss.update([0.0], [2.0])
    assert from_loss.result() == pytest.approx(0.5 * (2.0 - 0.25))
    assert metrics.get(losses.kld).name == "kl_divergence"


def test_get_unknown_names_and_types_raise():
    with pytest.raises(ValueError, match=r"metrics.get: unknown metric 'accuracyy'\. Did you mean "
                       r"'accuracy'.*Valid names: .*'binary_accuracy'.*'rmse'"):
        metrics.get("accuracyy")
    with pytest.raises(TypeError, match=r"metrics.get: expected a metric name, Metric or "
                       r"function, got float"):
        metrics.get(0.5)


@pytest.mark.parametrize(("loss", "shapes", "expected", "threshold"), [
    ("binary_crossentropy", (None, None), metrics.BinaryAccuracy, 0.5),
    (losses.BinaryCrossentropy(from_logits=True), (None, None), metrics.BinaryAccuracy, 0.0),
    (losses.bce, (None, None), metrics.BinaryAccuracy, 0.5),
    ("categorical_crossentropy", (None, None), metrics.CategoricalAccuracy, None),
    (losses.SparseCategoricalCrossentropy(from_logits=True), (None, None),
     metrics.SparseCategoricalAccuracy, None),
    ("mse", ((8, 1), (8, 1)), metrics.BinaryAccuracy, 0.5),
    ("mse", ((8,), (8,)), metrics.BinaryAccuracy, 0.5),
    ("hinge", ((8, 3), (8, 3)), metrics.CategoricalAccuracy, None),
    (None, ((8,), (8, 3)), metrics.SparseCategoricalAccuracy, None),
    (None, ((8, 1), (8, 3)), metrics.SparseCategoricalAccuracy, None),
    (lambda t, p: (p - t).abs().mean(), ((8, 3), None), metrics.CategoricalAccuracy, None),
])
def test_resolve_accuracy(loss, shapes, expected, threshold):
    metric = metrics.resolve_accuracy(loss, *shapes)
    assert type(metric) is expected and metric.name == "accuracy"
    if threshold is not None:
        assert metric.threshold == threshold
    assert metrics.resolve_accuracy(loss, *shapes, name="acc").name == "acc"


def test_resolve_accuracy_needs_shapes_when_the_loss_does_not_decide():
    with pytest.raises(ValueError, match=r"resolve_accuracy: the loss 'mean_squared_error' does "
                       r"not say which accuracy fits; give y_true_shape and y_pred_shape"):
        metrics.resolve_accuracy("mse")


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: metrics.mae(np.ones(4), np.ones((4, 1))), ValueError,
     r"mae: y_true has shape \(4,\) but y_pred has shape \(4, 1\); they must be equal "
     r"\(broadcasting them would give shape \(4, 4\)"),
    (lambda: metrics.r2(np.ones((4, 2)), np.ones((4, 3))), ValueError,
     r"r2: y_true has shape \(4, 2\) but y_pred has shape \(4, 3\)"),
    (lambda: metrics.mse([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, 2.0, 3.0]), ValueError,
     r"mse: sample_weight has shape \(3,\) but the batch has 2 samples; give one weight per "
     r"sample, shape \(2,\)"),
    (lambda: metrics.mse([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, -2.0]), ValueError,
     r"mse: sample weights must be finite and non-negative, got -2.0"),
    (lambda: metrics.binary_accuracy([1, -1], [0.3, 0.8]), ValueError,
     r"binary_accuracy: y_true must hold 0/1 labels, got -1"),
    (lambda: metrics.precision([2, 0], [0.3, 0.8]), ValueError,
     r"precision: y_true must hold 0/1 labels, got 2"),
    (lambda: metrics.sparse_categorical_accuracy([0, 5], np.ones((2, 3))), ValueError,
     r"sparse_categorical_accuracy: label 5 is outside the valid range 0..2 for 3 classes"),
    (lambda: metrics.sparse_categorical_accuracy([0, 1], np.ones(3)), ValueError,
     r"y_pred must have shape \(batch, ..., classes\)"),
    (lambda: metrics.categorical_accuracy([0, 1], [0.2, 0.3]), ValueError,
     r"categorical_accuracy: y_pred must have shape \(batch, ..., classes\) with one score per "
     r"class, got shape \(2,\)"),
    (lambda: metrics.top_k_accuracy([0], [[0.2, 0.8]], k=0), ValueError,
     r"top_k_accuracy: k must be a positive integer, got 0"),
    (lambda: metrics.f1([0, 1], [0, 1], average="weighted"), ValueError,
     r"f1: average must be one of 'binary', 'macro', 'micro', got 'weighted'"),
    (lambda: metrics.confusion_matrix([0, 1], [[0.2, 0.8], [0.5, 0.5]], num_classes=3),
     ValueError, r"confusion_matrix: y_pred has 2 class scores per sample but num_classes is 3"),
    (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError,
     r"confusion_matrix: label 3 is outside the valid range 0..2 for 3 classes"),
    (lambda: metrics.confusion_matrix([0, 1], [0, -1]), ValueError,
     r"confusion_matrix: class predicted labels must be non-negative, got -1"),
    (lambda: metrics.confusion_matrix([0, 1.5], [0, 1]), ValueError,
     r"class labels must be whole numbers \(0, 1, 2, ...\), got 1.5"),
    (lambda: metrics.ConfusionMatrix(num_classes=0), ValueError,
     r"confusion_matrix: num_classes must be a positive integer, got 0"),
    (lambda: metrics.accuracy(["a"], ["b"]), TypeError, r"accuracy: y_true must hold numbers"),
    (lambda: metrics.get(lambda t, p: np.mean(t - p)).update(np.ones(3), np.ones(3)), ValueError,
     r"<lambda>: expected one value per sample \(3\), got an array of shape \(1,\)"),
])
def test_bad_input_raises_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_r2_rejects_a_change_in_the_number_of_outputs():
    metric = metrics.R2Score()
    metric.update(np.ones((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"r2: this batch has 3 output\(s\) per sample but "
                       r"earlier batches had 2"):
        metric.update(np.ones((3, 3)), np.zeros((3, 3)))


def test_results_are_python_floats_and_repr_names_the_metric():
    metric = metrics.get("rmse")
    metric.update(dc.tensor([1.0, 2.0]), dc.tensor([1.0, 4.0]))
    assert type(metric.result()) is float
    assert repr(metric) == "RootMeanSquaredError(name='rmse')"
    assert type(metrics.f1([1, 0], [0.9, 0.1])) is float
