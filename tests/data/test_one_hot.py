"""one_hot: encoding, shapes, dtypes, and labels out of range."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend.data import one_hot


def test_matches_torch_one_hot():
    labels = np.random.default_rng(0).integers(0, 7, size=(4, 5))
    expected = torch.nn.functional.one_hot(torch.from_numpy(labels), num_classes=9).numpy()
    got = one_hot(labels, 9)
    assert got.shape == (4, 5, 9) and got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_num_classes_defaults_to_max_plus_one():
    assert one_hot(np.array([2, 0])).shape == (2, 3)
    np.testing.assert_array_equal(one_hot([1], 2), [[0.0, 1.0]])


def test_inputs_and_dtypes():
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert one_hot(dc.tensor([0, 1, 1]), 2).shape == (3, 2)
    assert one_hot([0, 1], dtype="float64").dtype == np.float64
    assert one_hot(np.int64(2), 4).tolist() == [0, 0, 1, 0]
    assert one_hot(np.zeros(0, dtype=int), 3).shape == (0, 3)
    np.testing.assert_array_equal(one_hot(np.array([True, False])), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: one_hot([0, 5, 1], 3), ValueError,
         r"one_hot: label 5 at position 1 is out of range; with num_classes=3 labels must be "
         r"between 0 and 2"),
        (lambda: one_hot([[0, 1], [-1, 0]]), ValueError,
         r"one_hot: label -1 at position \(1, 0\) is out of range"),
        (lambda: one_hot(np.int64(4), 4), ValueError, r"one_hot: label 4 is out of range"),
        (lambda: one_hot([0.5, 1.0]), ValueError,
         r"one_hot: labels must be whole numbers, got 0.5 at position 0"),
        (lambda: one_hot([1.0, np.nan]), ValueError, r"labels must be whole numbers, got nan"),
        (lambda: one_hot([], None), ValueError, r"labels is empty, so num_classes cannot be"),
        (lambda: one_hot([0], 0), ValueError, r"num_classes must be at least 1, got 0"),
        (lambda: one_hot([0], 2.0), TypeError, r"one_hot: num_classes must be an int, got float"),
        (lambda: one_hot(["a"]), TypeError, r"one_hot: labels must hold numbers"),
        (lambda: one_hot([0], dtype="int32"), TypeError, r"expected a floating dtype"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
