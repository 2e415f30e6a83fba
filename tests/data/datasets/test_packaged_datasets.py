"""Boston Housing and digits, shipped in the package: shapes, values and integrity checks."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from descend.data.datasets import (
    BOSTON_FEATURE_DESCRIPTIONS,
    BOSTON_FEATURE_NAMES,
    load_boston_housing,
    load_digits,
    packaged,
)

SHARED = Path(__file__).parents[3] / ".." / "shared" / "data"


def test_boston_shapes_and_dtypes():
    (x_train, y_train), (x_test, y_test) = load_boston_housing()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (333, 12), (333, 1), (173, 12), (173, 1))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.float32)}
    np.testing.assert_allclose(x_train[0], [9.59571, 0, 18.1, 0, 0.693, 6.404, 100, 1.639, 24,
                                            666, 20.2, 20.31], rtol=1e-6)
    assert y_train[0, 0] == pytest.approx(12.1)
    assert y_train.max() == 50.0 and (np.concatenate([y_train, y_test]) == 50.0).sum() == 16


def test_boston_feature_names():
    assert len(BOSTON_FEATURE_NAMES) == len(BOSTON_FEATURE_DESCRIPTIONS) == 12
    assert "b" not in BOSTON_FEATURE_NAMES
    assert BOSTON_FEATURE_NAMES[-1] == "lstat" and BOSTON_FEATURE_DESCRIPTIONS[5] == (
        "Number of rooms per house")
    assert dc.data.datasets.BOSTON_FEATURE_NAMES is BOSTON_FEATURE_NAMES


def test_boston_reproduces_the_reference_numbers():
    # shared/data/boston-housing/README.md: baseline test MSE 82.96, closed-form OLS on the
    # 333 train rows gives train MSE 20.89 and test MSE 26.02
    (x_train, y_train), (x_test, y_test) = load_boston_housing()
    x_train, y_train, x_test, y_test = (a.astype(np.float64)
                                        for a in (x_train, y_train, x_test, y_test))
    assert np.mean((y_test - y_train.mean()) ** 2) == pytest.approx(82.96, abs=0.005)
    design = np.hstack([x_train, np.ones((333, 1))])
    coef = np.linalg.lstsq(design, y_train, rcond=None)[0]
    assert np.mean((design @ coef - y_train) ** 2) == pytest.approx(20.89, abs=0.005)
    test_design = np.hstack([x_test, np.ones((173, 1))])
    assert np.mean((test_design @ coef - y_test) ** 2) == pytest.approx(26.02, abs=0.005)


@pytest.mark.skipif(not (SHARED / "boston-housing" / "boston.csv").exists(),
                    reason="shared/data/boston-housing/boston.csv is not next to the repository")
def test_boston_rows_are_the_sklearn_table_without_b():
    with open(SHARED / "boston-housing" / "boston.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    table = np.array([[float(r[c.upper()]) for c in (*BOSTON_FEATURE_NAMES, "medv")]
                      for r in rows], dtype=np.float32)
    (x_train, y_train), (x_test, y_test) = load_boston_housing()
    ours = np.vstack([np.hstack([x_train, y_train]), np.hstack([x_test, y_test])])
    key = np.lexsort(table.T[::-1])
    np.testing.assert_array_equal(ours[np.lexsort(ours.T[::-1])], table[key])


def test_digits():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(x * 16, np.round(x * 16))  # pixel counts 0..16, divided by 16
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    images, labels = load_digits(as_images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), x)
    np.testing.assert_array_equal(labels, y)


def test_a_damaged_packaged_file_is_refused(monkeypatch):
    monkeypatch.setitem(packaged._SHA256, "digits/digits.csv.gz", "0" * 64)
    with pytest.raises(ValueError, match=r"descend's packaged file data/files/digits/digits.csv.gz "
                                         r"is damaged \(sha256 09f66e6d.*\); reinstall descend"):
        load_digits()


def test_provenance_files_ship_beside_the_data():
    files = Path(packaged.__file__).parents[1] / "files"
    for folder in ("boston_housing", "digits"):
        text = (files / folder / "PROVENANCE.md").read_text()
        for name, digest in packaged._SHA256.items():
            if name.startswith(folder):
                assert digest in text
