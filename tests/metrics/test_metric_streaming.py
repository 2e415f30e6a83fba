"""Every metric streamed over batches (uneven last batch) equals the metric on the whole set.

Also for every metric: sample weights behave like repeating samples (an integer weight k
counts a sample k times, 0 drops it), ``reset`` forgets, and the plain function agrees.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from descend import losses, metrics

BATCHES = [5, 5, 5, 2]                 # 17 samples, the last batch short
N = sum(BATCHES)


def regression(rng):
    return rng.normal(size=(N, 2)), rng.normal(size=(N, 2))


def binary(rng):
    return (rng.random((N, 1)) > 0.5) * 1.0, rng.random((N, 1))


def sparse(rng):
    return rng.integers(0, 4, N), rng.random((N, 4))


def one_hot(rng):
    labels, scores = sparse(rng)
    return np.eye(4)[labels], scores


def label_pairs(rng):
    return rng.integers(0, 6, N), rng.integers(0, 6, N)   # the matrix grows as labels appear


def per_sample_cube(y_true, y_pred):
    return np.abs(y_true - y_pred) ** 3


CASES = [
    ("mae", metrics.MeanAbsoluteError, metrics.mae, regression),
    ("mse", metrics.MeanSquaredError, metrics.mse, regression),
    ("rmse", metrics.RootMeanSquaredError, metrics.rmse, regression),
    ("r2", metrics.R2Score, metrics.r2, regression),
    ("accuracy", metrics.Accuracy, metrics.accuracy, label_pairs),
    ("binary_accuracy", metrics.BinaryAccuracy, metrics.binary_accuracy, binary),
    ("categorical_accuracy", metrics.CategoricalAccuracy, metrics.categorical_accuracy, one_hot),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy,
     metrics.sparse_categorical_accuracy, sparse),
    ("top_k_accuracy", functools.partial(metrics.TopKAccuracy, k=2),
     functools.partial(metrics.top_k_accuracy, k=2), sparse),
    ("precision", metrics.Precision, metrics.precision, binary),
    ("recall", metrics.Recall, metrics.recall, binary),
    ("f1", metrics.F1Score, metrics.f1, binary),
    ("precision_macro", functools.partial(metrics.Precision, average="macro"),
     functools.partial(metrics.precision, average="macro"), sparse),
    ("recall_macro", functools.partial(metrics.Recall, average="macro"),
     functools.partial(metrics.recall, average="macro"), one_hot),
    ("f1_macro", functools.partial(metrics.F1Score, average="macro"),
     functools.partial(metrics.f1, average="macro"), label_pairs),
    ("f1_micro", functools.partial(metrics.F1Score, average="micro"),
     functools.partial(metrics.f1, average="micro"), sparse),
    ("confusion_matrix", metrics.ConfusionMatrix, metrics.confusion_matrix, sparse),
    ("confusion_matrix_growing", metrics.ConfusionMatrix, metrics.confusion_matrix, label_pairs),
    ("confusion_matrix_binary", functools.partial(metrics.ConfusionMatrix, threshold=0.5),
     functools.partial(metrics.confusion_matrix, threshold=0.5), binary),
    ("mean_metric", functools.partial(metrics.MeanMetric, per_sample_cube), None, regression),
    ("loss_as_metric", functools.partial(metrics.get, "binary_crossentropy"), None, binary),
]
IDS = [c[0] for c in CASES]


def stream(metric, y_true, y_pred, weights=None):
    start = 0
    for size in BATCHES:
        part = slice(start, start + size)
        metric.update(y_true[part], y_pred[part], None if weights is None else weights[part])
        start += size
    return metric.result()


@pytest.mark.parametrize(("name", "make", "function", "data"), CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_equals_the_whole_set(name, make, function, data, weighted, seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = data(rng)
    weights = rng.uniform(0.0, 3.0, N) if weighted else None
    whole = make()
    whole.update(y_true, y_pred, weights)
    expected = whole.result()
    metric = make()
    np.testing.assert_allclose(stream(metric, y_true, y_pred, weights), expected, rtol=1e-12,
                               atol=1e-14)
    if function is not None:
        np.testing.assert_allclose(function(y_true, y_pred, sample_weight=weights), expected,
                                   rtol=1e-12)
    metric.reset()
    np.testing.assert_allclose(stream(metric, y_true, y_pred, weights), expected, rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize(("name", "make", "function", "data"), CASES, ids=IDS)
def test_integer_sample_weights_count_samples_that_many_times(name, make, function, data):
    rng = np.random.default_rng(7)
    y_true, y_pred = data(rng)
    weights = rng.integers(0, 4, N)
    weights[:2] = (0, 3)
    weighted = make()
    weighted.update(y_true, y_pred, weights)
    repeated = make()
    repeated.update(np.repeat(y_true, weights, axis=0), np.repeat(y_pred, weights, axis=0))
    np.testing.assert_allclose(weighted.result(), repeated.result(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "make", "function", "data"), CASES, ids=IDS)
def test_a_fresh_or_reset_metric_reads_zero(name, make, function, data):
    metric = make()
    assert isinstance(metric.name, str) and metric.name
    y_true, y_pred = data(np.random.default_rng(8))
    metric.update(y_true, y_pred)
    metric.reset()
    assert not np.any(metric.result())


def test_loss_as_metric_is_the_mean_per_sample_loss():
    y, p = binary(np.random.default_rng(9))
    metric = metrics.get("bce")
    metric.update(y, p)
    expected = losses.bce(y, p.astype(np.float32)).item()
    assert metric.result() == pytest.approx(expected, rel=1e-6)
