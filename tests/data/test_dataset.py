"""Dataset: validation of its arrays, indexing, and batches that keep samples aligned."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.data import Dataset


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) * 10
    w = np.linspace(0.5, 1.5, n)
    return x, y, w


def test_arrays_are_kept_without_copy_and_with_their_dtype():
    x, y, w = _data()
    ds = Dataset(x, y, w)
    assert len(ds) == 10
    assert ds.x is x and ds.y is y and ds.sample_weight is w
    assert ds.arrays == (x, y, w)
    assert repr(ds) == ("Dataset(10 samples: x=(10, 3) float32, y=(10,) int64, "
                        "sample_weight=(10,) float64)")


def test_indexing_returns_matching_rows():
    x, y, w = _data()
    xi, yi, wi = Dataset(x, y, w)[np.array([7, 2])]
    np.testing.assert_array_equal(xi, x[[7, 2]])
    np.testing.assert_array_equal(yi, y[[7, 2]])
    np.testing.assert_array_equal(wi, w[[7, 2]])
    (only_x,) = Dataset(x)[3]
    np.testing.assert_array_equal(only_x, x[3])


def test_subset_is_a_dataset_of_those_rows():
    x, y, _ = _data()
    tail = Dataset(x, y).subset(slice(8, None))
    assert len(tail) == 2
    np.testing.assert_array_equal(tail.y, [80, 90])


def test_accepts_lists_and_tensors():
    ds = Dataset([[1.0, 2.0], [3.0, 4.0]], dc.tensor([0.0, 1.0]))
    assert isinstance(ds.x, np.ndarray) and isinstance(ds.y, np.ndarray)
    assert ds.y.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("arity", [1, 2, 3])
def test_batches_keep_rows_aligned_and_cover_every_sample(arity):
    x, y, w = _data(23)
    ds = Dataset(*(x, y, w)[:arity])
    batches = list(ds.batches(5, shuffle=True, seed=1, epoch=4))
    assert len(batches) == ds.num_batches(5) == 5
    assert all(len(b) == arity for b in batches)
    assert [len(b[0]) for b in batches] == [5, 5, 5, 5, 3]
    for batch in batches:
        rows = (batch[0][:, 0] / 3).astype(int)  # x[i, 0] == 3 * i identifies the sample
        for got, full in zip(batch[1:], (y, w)):
            np.testing.assert_array_equal(got, full[rows])
    seen = np.concatenate([b[0][:, 0] for b in batches]) / 3
    assert sorted(seen.astype(int).tolist()) == list(range(23))


def test_batches_with_a_seed_are_repeatable_and_without_shuffle_ordered():
    x, y, _ = _data(12)
    ds = Dataset(x, y)
    a = [yb.tolist() for _, yb in ds.batches(4, shuffle=True, seed=9, epoch=1)]
    b = [yb.tolist() for _, yb in ds.batches(4, shuffle=True, seed=9, epoch=1)]
    assert a == b
    assert [yb.tolist() for _, yb in ds.batches(5)] == [
        [0, 10, 20, 30, 40], [50, 60, 70, 80, 90], [100, 110]]
    assert len(list(ds.batches(5, drop_last=True))) == 2


def test_batch_size_must_be_positive():
    ds = Dataset(np.zeros((4, 2)))
    for bad in (0, -2):
        with pytest.raises(ValueError, match=rf"batch_size must be a positive integer .*got {bad}"):
            ds.batches(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((3, 2)), np.zeros(4)),
         r"Dataset: x has 3 samples but y has 4; all arrays need the same length"),
        ((np.zeros((3, 2)), np.zeros(3), np.ones(2)),
         r"Dataset: x has 3 samples but sample_weight has 2"),
        ((np.zeros((0, 5)),), r"Dataset: x is empty \(shape \(0, 5\)\); expected at least one"),
        ((np.zeros((2, 1)), np.zeros(0)), r"Dataset: y is empty"),
        ((np.float32(3.0),), r"Dataset: x is a single number; expected an array with one row"),
        ((np.zeros(3), None, np.ones((3, 1))),
         r"Dataset: sample_weight must be 1-D, one weight per sample, got shape \(3, 1\)"),
        ((np.zeros(3), None, np.array([1.0, -0.5, 1.0])),
         r"Dataset: sample_weight must be non-negative; row 1 has -0.5"),
    ],
)
def test_bad_shapes(args, message):
    with pytest.raises(ValueError, match=message):
        Dataset(*args)


def test_nan_and_inf_are_counted_and_located():
    x = np.ones((6, 3))
    x[4, 1] = np.nan
    x[5, 0] = np.inf
    x[4, 2] = -np.inf
    with pytest.raises(ValueError, match=r"Dataset: x has 3 NaN/inf value\(s\); the first is in "
                                         r"row 4\."):
        Dataset(x)
    y = np.zeros(6, dtype=np.float32)
    y[2] = np.nan
    with pytest.raises(ValueError, match=r"Dataset: y has 1 NaN/inf value\(s\); the first is in "
                                         r"row 2"):
        Dataset(np.ones((6, 3)), y)
    with pytest.raises(ValueError, match=r"Dataset: sample_weight has 1 NaN/inf"):
        Dataset(np.ones(2), None, np.array([1.0, np.nan]))


@pytest.mark.filterwarnings("error")  # the check itself must not warn about its own sums
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_finite_values_whose_sum_overflows_pass_and_opposite_infinities_are_caught(dtype):
    big = np.full((4, 2), np.finfo(dtype).max, dtype=dtype)
    assert len(Dataset(big)) == 4
    big[1, 0], big[3, 1] = np.inf, -np.inf  # their sum is NaN, not inf
    with pytest.raises(ValueError, match=r"x has 2 NaN/inf value\(s\); the first is in row 1"):
        Dataset(big)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (None, r"Dataset: x must be an array of numbers, got NoneType"),
        ("abc", r"Dataset: x must be an array of numbers, got str"),
        (np.array(["a", "b"]), r"Dataset: x must hold numbers, got an array of dtype <U1"),
        ([[1.0, 2.0], [3.0]], r"Dataset: x could not be turned into an array; nested lists must "
                              r"be rectangular"),
    ],
)
def test_non_numeric_data_is_a_type_error(x, message):
    with pytest.raises(TypeError, match=message):
        Dataset(x)
