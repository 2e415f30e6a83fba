"""Standardizer and MinMaxScaler: statistics, transforms, constant columns, state, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend.data import MinMaxScaler, Standardizer
from descend.data.datasets import load_boston_housing


@pytest.fixture(scope="module")
def boston():
    return load_boston_housing()


def test_standardizer_uses_training_statistics_with_population_std(boston):
    (x_train, _), (x_test, _) = boston
    sc = Standardizer()
    assert sc.fit(x_train) is sc
    x64 = x_train.astype(np.float64)
    mean = x64.sum(axis=0) / len(x64)
    std = np.sqrt(((x64 - mean) ** 2).sum(axis=0) / len(x64))  # ddof=0, as TF.js
    np.testing.assert_allclose(sc.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(sc.std_, std, rtol=1e-12)
    assert not np.allclose(sc.std_, x64.std(axis=0, ddof=1))  # not the sample std
    z_train = sc.transform(x_train)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z_train.std(axis=0), 1, atol=1e-5)
    z_test = sc.transform(x_test)
    np.testing.assert_allclose(z_test, (x_test - mean) / std, rtol=1e-5, atol=1e-6)
    assert abs(z_test.mean(axis=0)).max() > 1e-3  # test data is not re-centred on itself


@pytest.mark.parametrize(("dtype", "out"), [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int64, np.float32), (np.uint8, np.float32)])
def test_output_dtype(dtype, out):
    x = np.array([[1, 2], [3, 6], [5, 7]], dtype=dtype)
    for scaler in (Standardizer(), MinMaxScaler()):
        z = scaler.fit_transform(x)
        assert z.dtype == out
        assert scaler.inverse_transform(z).dtype == out


@pytest.mark.parametrize("scaler", [Standardizer, MinMaxScaler])
def test_inverse_transform_round_trips(scaler, boston):
    (x_train, _), (x_test, _) = boston
    sc = scaler().fit(x_train.astype(np.float64))
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(x_test.astype(np.float64))),
                               x_test, rtol=1e-12, atol=1e-12)


def test_zero_variance_columns_are_centred_not_scaled_with_a_warning():
    x = np.array([[1.0, 5.0, 0.1, 2.0], [3.0, 5.0, 0.1, 4.0], [5.0, 5.0, 0.1, 9.0]])
    sc = Standardizer()
    with pytest.warns(UserWarning, match=r"Standardizer.fit: feature column\(s\) \[1, 2\] have "
                                         r"zero variance .* not scaled \(divided by 1\)"):
        sc.fit(x)
    assert sc.std_[1] == 0 and sc.std_[2] == 0  # exactly 0, though np.std of 0.1s is 1.4e-17
    z = sc.transform(np.array([[3.0, 7.0, 0.1, 5.0]]))
    assert np.isfinite(z).all()
    assert z[0, 1] == pytest.approx(2.0) and z[0, 2] == pytest.approx(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Standardizer().fit(x[:, [0, 3]])  # no constant column: no warning


def test_more_dimensional_and_one_dimensional_samples():
    x = np.random.default_rng(0).normal(size=(50, 2, 3))
    x[:, 1, 2] = 4.0
    with pytest.warns(UserWarning, match=r"feature column\(s\) \[\(1, 2\)\] have zero variance"):
        sc = Standardizer().fit(x)
    assert sc.mean_.shape == (2, 3)
    np.testing.assert_allclose(sc.transform(x)[:, 0].std(axis=0), 1)
    line = Standardizer().fit(np.array([1.0, 2.0, 3.0]))
    assert line.mean_.shape == () and line.transform(np.array([2.0])).tolist() == [0.0]
    with pytest.warns(UserWarning, match=r"the feature has zero variance"):
        Standardizer().fit(np.ones(4))


def test_minmax_maps_the_training_range_and_does_not_clip():
    x = np.array([[0.0, -2.0], [5.0, 0.0], [10.0, 2.0]])
    sc = MinMaxScaler().fit(x)
    np.testing.assert_array_equal(sc.data_min_, [0.0, -2.0])
    np.testing.assert_array_equal(sc.data_max_, [10.0, 2.0])
    np.testing.assert_allclose(sc.transform(x), [[0, 0], [0.5, 0.5], [1, 1]])
    np.testing.assert_allclose(sc.transform(np.array([[20.0, -4.0]])), [[2.0, -0.5]])
    sym = MinMaxScaler(feature_range=(-1, 1)).fit(x)
    np.testing.assert_allclose(sym.transform(x), [[-1, -1], [0, 0], [1, 1]])


def test_minmax_constant_column_maps_to_low_with_a_warning():
    x = np.array([[1.0, 3.0], [2.0, 3.0]])
    with pytest.warns(UserWarning, match=r"MinMaxScaler.fit: feature column\(s\) \[1\] .* not "
                                         r"stretched"):
        sc = MinMaxScaler(feature_range=(2, 4)).fit(x)
    np.testing.assert_allclose(sc.transform(x), [[2.0, 2.0], [4.0, 2.0]])


@pytest.mark.parametrize("scaler", [Standardizer, MinMaxScaler])
def test_state_dict_round_trip_as_plain_arrays(scaler, boston):
    (x_train, _), (x_test, _) = boston
    sc = scaler().fit(x_train)
    state = sc.state_dict()
    assert all(type(v) is np.ndarray and v.dtype == np.float64 for v in state.values())
    restored = scaler.from_state_dict({k: v.copy() for k, v in state.items()})
    np.testing.assert_array_equal(restored.transform(x_test), sc.transform(x_test))
    np.testing.assert_array_equal(restored.inverse_transform(x_test),
                                  sc.inverse_transform(x_test))


def test_state_dict_survives_a_safetensors_file(tmp_path, boston):
    st = pytest.importorskip("safetensors.numpy")
    (x_train, _), _ = boston
    sc = Standardizer().fit(x_train)
    st.save_file(sc.state_dict(), tmp_path / "scaler.safetensors")
    restored = Standardizer.from_state_dict(st.load_file(tmp_path / "scaler.safetensors"))
    np.testing.assert_array_equal(restored.mean_, sc.mean_)
    np.testing.assert_array_equal(restored.std_, sc.std_)


def test_loading_a_constant_column_does_not_warn_again():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc = Standardizer.from_state_dict({"mean": np.array([1.0, 2.0]),
                                           "std": np.array([0.0, 2.0])})
        mm = MinMaxScaler.from_state_dict({"data_min": np.array([3.0]),
                                           "data_max": np.array([3.0]),
                                           "feature_range": np.array([0.0, 1.0])})
    np.testing.assert_allclose(sc.transform(np.array([[2.0, 4.0]])), [[1.0, 1.0]])
    np.testing.assert_allclose(mm.transform(np.array([[3.0]])), [[0.0]])


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "state_dict"])
@pytest.mark.parametrize("scaler", [Standardizer, MinMaxScaler])
def test_using_an_unfitted_scaler(scaler, method):
    args = () if method == "state_dict" else (np.ones((2, 2)),)
    with pytest.raises(RuntimeError, match=rf"{scaler.__name__}.{method}: this {scaler.__name__} "
                                           r"is not fitted yet; call fit\(x_train\) first"):
        getattr(scaler(), method)(*args)


def test_wrong_feature_count(boston):
    (x_train, _), _ = boston
    sc = Standardizer().fit(x_train)
    with pytest.raises(ValueError, match=r"Standardizer.transform: x has 13 features per sample "
                                         r"but the scaler was fitted on 12; expected shape "
                                         r"\(n, 12\), got \(5, 13\)"):
        sc.transform(np.zeros((5, 13)))
    with pytest.raises(ValueError, match=r"MinMaxScaler.inverse_transform: x has samples of shape "
                                         r"\(\) but the scaler was fitted on samples of shape "
                                         r"\(12,\)"):
        MinMaxScaler().fit(x_train).inverse_transform(np.zeros(12))
    with pytest.raises(ValueError, match=r"samples of shape \(\)"):
        sc.transform(np.float64(1.0))


def test_nan_and_empty_data_are_rejected():
    x = np.ones((4, 2))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"Standardizer.fit: x has 1 NaN/inf value\(s\); the "
                                         r"first is in row 3"):
        Standardizer().fit(x)
    sc = MinMaxScaler().fit(np.ones((4, 2)) * [[1], [2], [3], [4]])
    with pytest.raises(ValueError, match=r"MinMaxScaler.transform: x has 1 NaN/inf"):
        sc.transform(x)
    with pytest.raises(ValueError, match=r"Standardizer.fit: x is empty"):
        Standardizer().fit(np.zeros((0, 3)))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"mean": np.zeros(2)}, r"Standardizer.from_state_dict: expected the keys \['mean', "
                                r"'std'\], got \['mean'\]"),
        ({"mean": np.zeros(2), "std": np.ones(3)}, r"mean \(2,\) and std \(3,\) must have"),
        ({"mean": np.zeros(2), "std": -np.ones(2)}, r"std must be non-negative"),
        ({"mean": np.array([np.nan]), "std": np.ones(1)}, r"mean has 1 NaN/inf"),
    ],
)
def test_bad_state_dicts(state, message):
    with pytest.raises(ValueError, match=message):
        Standardizer.from_state_dict(state)


def test_bad_minmax_arguments():
    with pytest.raises(ValueError, match=r"MinMaxScaler: feature_range must be finite with low < "
                                         r"high, got \(1, 0\)"):
        MinMaxScaler(feature_range=(1, 0))
    with pytest.raises(TypeError, match=r"feature_range must be a pair of numbers"):
        MinMaxScaler(feature_range=(0, 1, 2))
    with pytest.raises(ValueError, match=r"data_min <= data_max"):
        MinMaxScaler.from_state_dict({"data_min": np.ones(1), "data_max": np.zeros(1),
                                      "feature_range": np.array([0.0, 1.0])})
