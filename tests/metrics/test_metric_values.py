"""Metric values against NumPy formulas and hand-computed (scikit-learn documentation) examples."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import metrics

RNG = np.random.default_rng(0)


def weighted_mean(per_sample, w):
    return float((per_sample * w).sum() / w.sum())


@pytest.mark.parametrize("shape", [(20,), (20, 3), (20, 2, 2)], ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_match_numpy(shape, weighted):
    y, p = RNG.normal(size=shape), RNG.normal(size=shape)
    w = RNG.uniform(0.1, 2.0, shape[0]) if weighted else np.ones(shape[0])
    sw = w if weighted else None
    err = (p - y).reshape(shape[0], -1)
    assert metrics.mae(y, p, sample_weight=sw) == pytest.approx(
        weighted_mean(np.abs(err).mean(1), w), rel=1e-12)
    mse = weighted_mean((err**2).mean(1), w)
    assert metrics.mse(y, p, sample_weight=sw) == pytest.approx(mse, rel=1e-12)
    assert metrics.rmse(y, p, sample_weight=sw) == pytest.approx(np.sqrt(mse), rel=1e-12)
    y2, p2 = y.reshape(shape[0], -1), p.reshape(shape[0], -1)
    mean = (w[:, None] * y2).sum(0) / w.sum()
    r2 = 1 - (w[:, None] * (y2 - p2) ** 2).sum(0) / (w[:, None] * (y2 - mean) ** 2).sum(0)
    assert metrics.r2(y, p, sample_weight=sw) == pytest.approx(r2.mean(), rel=1e-12)


def test_regression_metrics_on_documented_examples():
    y_true, y_pred = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]
    assert metrics.mae(y_true, y_pred) == 0.5
    assert metrics.mse(y_true, y_pred) == 0.375
    assert metrics.r2(y_true, y_pred) == pytest.approx(0.9486081370449679)
    y_true, y_pred = [[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]]
    assert metrics.r2(y_true, y_pred) == pytest.approx(0.9368005266622779)   # uniform average


def test_r2_of_constant_targets_is_one_if_exact_else_zero():
    assert metrics.r2([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
    assert metrics.r2([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]) == 0.0
    assert metrics.r2([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0     # predicting the mean
    assert metrics.r2([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == -3.0    # worse than the mean


def test_accuracy_variants_on_hand_computed_examples():
    assert metrics.accuracy([[1, 2], [3, 4]], [[1, 2], [3, 0]]) == 0.75
    assert metrics.binary_accuracy([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1]) == 0.75  # 0.5 is not > 0.5
    assert metrics.binary_accuracy([1, 0, 1, 0], [2.0, -1.0, 0.5, 0.1], threshold=0.0) == 0.75
    assert metrics.binary_accuracy([[True], [False]], [[0.7], [0.2]]) == 1.0
    one_hot = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 0]]
    scores = [[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.5, 0.5, 0.0], [0.2, 0.5, 0.3]]
    assert metrics.categorical_accuracy(one_hot, scores) == 0.75     # tie -> first class
    assert metrics.sparse_categorical_accuracy([2, 1, 0, 1], scores) == 0.75
    assert metrics.sparse_categorical_accuracy([[2], [1], [0], [1]], scores) == 0.75
    assert metrics.top_k_accuracy([2, 1, 1, 0], scores, k=1) == 0.5  # [0.5, 0.5]: tie counts
    assert metrics.top_k_accuracy([2, 2, 1, 0], scores, k=2) == 0.5
    assert metrics.top_k_accuracy(one_hot, scores, k=2) == 1.0
    assert metrics.top_k_accuracy([2, 2, 1, 0], scores) == 1.0       # k=5 > 3 classes


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracy_variants_match_numpy(weighted):
    n, c = 30, 5
    labels, scores = RNG.integers(0, c, n), RNG.random((n, c))
    w = RNG.uniform(0.0, 2.0, n) if weighted else np.ones(n)
    sw = w if weighted else None
    hit = scores.argmax(1) == labels
    assert metrics.sparse_categorical_accuracy(labels, scores, sample_weight=sw) == \
        pytest.approx(weighted_mean(hit, w), rel=1e-12)
    assert metrics.categorical_accuracy(np.eye(c)[labels], scores, sample_weight=sw) == \
        pytest.approx(weighted_mean(hit, w), rel=1e-12)
    rank = (-scores).argsort(1).argsort(1)[np.arange(n), labels]   # 0 = best (no ties)
    assert metrics.top_k_accuracy(labels, scores, k=3, sample_weight=sw) == \
        pytest.approx(weighted_mean(rank < 3, w), rel=1e-12)
    y, prob = (RNG.random((n, 2)) > 0.5) * 1.0, RNG.random((n, 2))
    assert metrics.binary_accuracy(y, prob, sample_weight=sw) == \
        pytest.approx(weighted_mean(((prob > 0.5) == y).mean(1), w), rel=1e-12)
    other = RNG.integers(0, c, n)
    assert metrics.accuracy(labels, other, sample_weight=sw) == \
        pytest.approx(weighted_mean(labels == other, w), rel=1e-12)


def reference_counts(true, pred, w, k):
    matrix = np.zeros((k, k))
    for t, p, weight in zip(true, pred, w):
        matrix[t, p] += weight
    return matrix


@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_matches_a_loop(weighted):
    n, c = 40, 4
    true, pred = RNG.integers(0, c, n), RNG.integers(0, c, n)
    w = RNG.uniform(0.0, 2.0, n) if weighted else np.ones(n)
    expected = reference_counts(true, pred, w, c)
    got = metrics.confusion_matrix(true, pred, sample_weight=w if weighted else None)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got.dtype == (np.float64 if weighted else np.int64)
    scores = np.eye(c)[pred] * 0.5 + 0.1
    np.testing.assert_allclose(metrics.confusion_matrix(np.eye(c)[true], scores,
                                                        sample_weight=w), reference_counts(
        true, pred, w, c), rtol=1e-12)
    assert metrics.confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)


def test_binary_confusion_matrix_counts_every_element():
    y = np.array([[1, 0], [0, 0], [1, 1]])
    p = np.array([[0.9, 0.7], [0.2, 0.4], [0.3, 0.6]])
    np.testing.assert_array_equal(metrics.confusion_matrix(y, p, threshold=0.5), [[2, 1], [1, 2]])
    weighted = metrics.confusion_matrix(y, p, threshold=0.5, sample_weight=[1.0, 2.0, 0.5])
    np.testing.assert_allclose(weighted, [[4.0, 1.0], [0.5, 1.5]])


def test_precision_recall_f1_on_the_scikit_learn_example():
    y_true, y_pred = [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
    assert metrics.precision(y_true, y_pred, average="macro") == pytest.approx(2 / 9)
    assert metrics.precision(y_true, y_pred, average="micro") == pytest.approx(1 / 3)
    assert metrics.recall(y_true, y_pred, average="macro") == pytest.approx(1 / 3)
    assert metrics.f1(y_true, y_pred, average="macro") == pytest.approx(0.26666666666666666)
    assert metrics.f1(y_true, y_pred, average="micro") == pytest.approx(1 / 3)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_precision_recall_f1_match_numpy(weighted):
    n = 50
    y, prob = (RNG.random(n) > 0.4) * 1, RNG.random(n)
    w = RNG.uniform(0.0, 2.0, n) if weighted else np.ones(n)
    sw = w if weighted else None
    hit = prob > 0.3
    tp, fp, fn = (w * (hit & (y == 1))).sum(), (w * (hit & (y == 0))).sum(), \
        (w * (~hit & (y == 1))).sum()
    kwargs = {"threshold": 0.3, "sample_weight": sw}
    assert metrics.precision(y, prob, **kwargs) == pytest.approx(tp / (tp + fp), rel=1e-12)
    assert metrics.recall(y, prob, **kwargs) == pytest.approx(tp / (tp + fn), rel=1e-12)
    assert metrics.f1(y, prob, **kwargs) == pytest.approx(2 * tp / (2 * tp + fp + fn), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_macro_and_micro_scores_match_per_class_loops(weighted):
    n, c = 60, 5
    true, scores = RNG.integers(0, c - 1, n), RNG.random((n, c))   # class 4 never true
    pred = scores.argmax(1)
    w = RNG.uniform(0.0, 2.0, n) if weighted else np.ones(n)
    sw = w if weighted else None
    per_class = {"precision": [], "recall": [], "f1": []}
    for k in range(c):
        tp = (w * ((pred == k) & (true == k))).sum()
        predicted, actual = (w * (pred == k)).sum(), (w * (true == k)).sum()
        if predicted + actual == 0:
            continue
        per_class["precision"].append(tp / predicted if predicted else 0.0)
        per_class["recall"].append(tp / actual if actual else 0.0)
        per_class["f1"].append(2 * tp / (predicted + actual))
    accuracy = weighted_mean(pred == true, w)
    for name, fn in (("precision", metrics.precision), ("recall", metrics.recall),
                     ("f1", metrics.f1)):
        assert fn(true, scores, average="macro", sample_weight=sw) == pytest.approx(
            np.mean(per_class[name]), rel=1e-12)
        assert fn(true, scores, average="micro", sample_weight=sw) == pytest.approx(
            accuracy, rel=1e-12)


def test_empty_denominators_give_zero():
    assert metrics.precision([1, 0], [0.1, 0.2]) == 0.0       # nothing predicted positive
    assert metrics.recall([0, 0], [0.9, 0.2]) == 0.0          # no actual positive
    assert metrics.f1([0, 0], [0.1, 0.2]) == 0.0


def test_tensors_are_accepted_and_read_without_their_graph():
    p = dc.tensor([0.5, 2.0], requires_grad=True)
    assert metrics.mae(dc.tensor([1.0, 1.0]), p) == 0.75
    assert p.grad is None


def test_macro_average_skips_classes_absent_from_targets_and_predictions():
    # class 1 (and 3, 4 with num_classes=5) occurs nowhere: it is left out, as in scikit-learn
    assert metrics.precision([0, 2, 2], [0, 2, 0], average="macro") == 0.75
    assert metrics.precision([0, 2, 2], [0, 2, 0], average="macro", num_classes=5) == 0.75
    assert metrics.recall([0, 2, 2], [0, 2, 0], average="macro") == 0.75
