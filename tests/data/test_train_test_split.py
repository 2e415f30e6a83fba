"""train_test_split: sizes, alignment, determinism, stratification and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.data import train_test_split
from descend.data.split import held_out_count


@pytest.mark.parametrize(
    ("n", "test_size", "n_test"),
    [(333, 0.2, 67), (10, 0.3, 3), (10, 0.25, 3), (506, 173, 173), (4, 0.5, 2), (100, 0.01, 1)],
)
def test_sizes(n, test_size, n_test):
    assert held_out_count(test_size, n) == n_test
    x_train, x_test = train_test_split(np.arange(n), test_size=test_size, seed=0)
    assert (len(x_train), len(x_test)) == (n - n_test, n_test)


def test_sizes_match_keras_validation_split():
    # Keras / TF.js hold out n - floor(n * (1 - split)) rows
    for n in range(2, 200):
        for split in (0.1, 0.2, 0.25, 0.3, 0.5):
            expected = n - int(np.floor(round(n * (1 - split), 9)))
            if 1 <= expected <= n - 1:
                assert held_out_count(split, n) == expected, (n, split)


def test_order_of_outputs_and_rows_stay_aligned():
    x = np.arange(40).reshape(20, 2)
    y = np.arange(20) * 100
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=5, seed=1)
    assert x_train.shape == (15, 2) and x_test.shape == (5, 2)
    np.testing.assert_array_equal(x_train[:, 0] // 2 * 100, y_train)
    np.testing.assert_array_equal(x_test[:, 0] // 2 * 100, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == y.tolist()


def test_shuffle_false_holds_out_the_last_rows():
    a_train, a_test = train_test_split(np.arange(10), test_size=0.2, shuffle=False)
    assert a_train.tolist() == list(range(8)) and a_test.tolist() == [8, 9]


def test_seeds_repeat_and_differ():
    x = np.arange(100)
    assert [a.tolist() for a in train_test_split(x, seed=3)] == [
        a.tolist() for a in train_test_split(x, seed=3)]
    assert train_test_split(x, seed=3)[1].tolist() != train_test_split(x, seed=4)[1].tolist()
    dc.seed(0)
    first = train_test_split(x)[1]
    dc.seed(0)
    np.testing.assert_array_equal(first, train_test_split(x)[1])
    gen = np.random.default_rng(2)
    np.testing.assert_array_equal(train_test_split(x, seed=gen)[1],
                                  train_test_split(x, seed=np.random.default_rng(2))[1])


def test_stratify_keeps_class_proportions_within_one_sample():
    labels = np.repeat([0, 1, 2, 3], [50, 30, 15, 5])
    x = np.arange(100)
    x_train, x_test, y_train, y_test = train_test_split(
        x, labels, test_size=0.3, seed=0, stratify=labels)
    assert len(y_test) == 30
    exact = 30 * np.bincount(labels) / 100
    assert np.all(np.abs(np.bincount(y_test, minlength=4) - exact) < 1)
    np.testing.assert_array_equal(labels[x_test], y_test)
    np.testing.assert_array_equal(labels[x_train], y_train)
    assert sorted(np.concatenate([x_train, x_test]).tolist()) == list(range(100))


def test_stratify_on_digits_sized_data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1797)
    _, y_test = train_test_split(labels, test_size=0.2, seed=5, stratify=labels)
    exact = len(y_test) * np.bincount(labels) / 1797
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - exact) < 1)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: train_test_split(), ValueError,
         r"train_test_split: expected at least one array to split, got none"),
        (lambda: train_test_split(np.zeros(5), np.zeros(4)), ValueError,
         r"train_test_split: argument 1 has 5 samples but argument 2 has 4"),
        (lambda: train_test_split(np.zeros(5), test_size=1.5), ValueError,
         r"test_size=1.5 is not a fraction strictly between 0 and 1"),
        (lambda: train_test_split(np.zeros(5), test_size=0.0), ValueError,
         r"test_size=0.0 is not a fraction"),
        (lambda: train_test_split(np.zeros(5), test_size=5), ValueError,
         r"test_size=5 puts 5 of 5 samples in the test set; both the train and the test set"),
        (lambda: train_test_split(np.zeros(1)), ValueError, r"puts 1 of 1 samples"),
        (lambda: train_test_split(np.zeros(5), test_size="0.2"), TypeError,
         r"test_size must be a fraction in \(0, 1\) or a sample count, got str"),
        (lambda: train_test_split(np.float64(2.0)), ValueError,
         r"every array needs a first \(sample\) axis"),
        (lambda: train_test_split(np.zeros(6), stratify=np.zeros(5)), ValueError,
         r"argument 1 has 6 samples but stratify has 5"),
        (lambda: train_test_split(np.zeros(6), stratify=np.eye(6)), ValueError,
         r"stratify must be 1-D class labels of shape \(n,\), got shape \(6, 6\); for one-hot"),
        (lambda: train_test_split(np.zeros(6), shuffle=False, stratify=np.zeros(6)), ValueError,
         r"stratify needs shuffle=True"),
        (lambda: train_test_split(np.zeros(6), stratify=np.array([0, 0, 0, 1, 1, 2])),
         ValueError, r"class 2 of stratify has only 1 sample; every class needs at least 2"),
        (lambda: train_test_split(np.zeros(6), seed=-1), ValueError,
         r"train_test_split: seed must be a non-negative integer, got -1"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
