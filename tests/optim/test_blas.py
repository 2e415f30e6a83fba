"""``axpy_``: BLAS's one-pass ``y += a·x`` where it applies, NumPy's two passes elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.optim import _blas
from descend.optim._blas import MIN_SIZE, axpy_

torch = pytest.importorskip("torch")

BUNDLED = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"] == "scipy-openblas"


def two_passes(y: np.ndarray, a: float, x: np.ndarray) -> np.ndarray:
    return np.add(y, np.multiply(x, a), out=y.copy())


@pytest.mark.skipif(not BUNDLED, reason="this NumPy is not built on its bundled scipy-openblas")
def test_numpys_bundled_openblas_is_found():
    assert set(_blas.KERNELS) == {np.dtype(np.float32), np.dtype(np.float64)}


@pytest.mark.skipif(not _blas.KERNELS, reason="NumPy's bundled OpenBLAS was not found")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_agrees_with_numpy_to_one_rounding(dtype):
    rng = np.random.default_rng(0)
    y = rng.uniform(1.0, 2.0, (300, 200)).astype(dtype)  # no cancellation: ulps stay ulps
    x = rng.standard_normal((300, 200)).astype(dtype)
    expected = two_passes(y, -0.01, x)
    got = axpy_(y, -0.01, x)
    assert got is y
    # one rounding (BLAS, fused) against two (NumPy): at most one unit in the last place apart
    np.testing.assert_array_max_ulp(got, expected, maxulp=1)


def test_large_contiguous_arrays_go_to_the_kernel(monkeypatch):
    calls = []

    def kernel(n, a, x_address, incx, y_address, incy):
        calls.append((n, a, x_address, incx, y_address, incy))

    monkeypatch.setitem(_blas.KERNELS, np.dtype(np.float32), kernel)
    y, x = np.zeros(MIN_SIZE, np.float32), np.ones(MIN_SIZE, np.float32)
    axpy_(y, 0.5, x)
    assert calls == [(MIN_SIZE, 0.5, x.ctypes.data, 1, y.ctypes.data, 1)]


def strided(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    return np.ones((shape[0], 2 * shape[1]), dtype)[:, ::2]


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@pytest.mark.parametrize(("make_y", "make_x"), [
    (lambda: np.ones(MIN_SIZE - 1, np.float32), lambda: np.full(MIN_SIZE - 1, 2, np.float32)),
    (lambda: np.ones((256, 128), np.float32), lambda: strided((256, 128), np.float32)),
    (lambda: np.ones((256, 128), np.float32), lambda: np.ones((128, 256), np.float32).T),
    (lambda: np.ones((256, 128), np.float16), lambda: np.ones((256, 128), np.float16)),
    (lambda: np.ones((256, 128), np.float32), lambda: np.ones((256, 128), np.float64)),
    (lambda: np.ones((256, 128), np.float32), lambda: read_only(np.ones((256, 128), np.float32))),
], ids=["small", "strided", "transposed", "float16", "mixed-dtypes", "read-only-x"])
def test_what_blas_cannot_take_goes_through_numpy(monkeypatch, make_y, make_x):
    def kernel(*args):
        raise AssertionError("the BLAS kernel must not be called here")

    for dtype in (np.float32, np.float64):
        monkeypatch.setitem(_blas.KERNELS, np.dtype(dtype), kernel)
    y, x = make_y(), make_x()
    expected = two_passes(y, -0.25, x)
    np.testing.assert_array_equal(axpy_(y, -0.25, x), expected)


def test_an_array_added_to_itself_goes_through_numpy(monkeypatch):
    monkeypatch.setitem(_blas.KERNELS, np.dtype(np.float32), lambda *args: 1 / 0)
    y = np.full(MIN_SIZE, 2.0, np.float32)
    np.testing.assert_array_equal(axpy_(y, 0.5, y), np.full(MIN_SIZE, 3.0, np.float32))


@pytest.mark.parametrize("flags", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_sgd_on_a_large_float32_weight_follows_torch(flags):
    # a weight big enough for the BLAS update (when available), 20 steps on a quadratic
    rng = np.random.default_rng(1)
    start = rng.standard_normal((256, 128)).astype(np.float32)
    target = rng.standard_normal((256, 128)).astype(np.float32)
    ours = dc.tensor(start, requires_grad=True)
    theirs = torch.tensor(start, requires_grad=True)
    opt, topt = dc.optim.SGD([ours], lr=0.05, **flags), torch.optim.SGD([theirs], lr=0.05, **flags)
    for _ in range(20):
        opt.zero_grad()
        ((ours - target) ** 2).sum().backward()
        opt.step()
        topt.zero_grad()
        ((theirs - torch.from_numpy(target)) ** 2).sum().backward()
        topt.step()
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("a", [-0.1, np.float64(-0.1)], ids=["python-float", "numpy-float64"])
def test_the_numpy_passes_scale_in_the_arrays_dtype(a):
    # the scale is cast to float32 first, as the BLAS kernel's float argument and torch's
    # alpha are: a float64 scale must not compute the product in float64
    rng = np.random.default_rng(1)
    y, x = rng.standard_normal((2, 1000)).astype(np.float32)  # some round differently
    expected = y + x * np.float32(-0.1)
    got = axpy_(y.copy(), a, x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("y_dtype", "x_dtype"), [
    (np.float32, np.float32), (np.float64, np.float64), (np.float32, np.float64),
], ids=["float32", "float64", "mixed-dtypes"])
@pytest.mark.parametrize("a", [-0.1, np.float64(-0.37), 3], ids=["python-float", "numpy", "int"])
def test_one_value_takes_scalar_math_with_the_passes_rounding(y_dtype, x_dtype, a):
    # a 0-d parameter (the optimizer passes it as shape (1,)) is updated with NumPy scalars:
    # bit for bit what the two passes give, special values included
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.standard_normal(300) * 10.0 ** rng.integers(-30, 30, 300),
                             [0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45]])
    with np.errstate(all="ignore"):
        for y_value, x_value in zip(values, rng.permutation(values)):
            y = np.array([y_value], y_dtype)
            x = np.array([x_value], x_dtype)
            expected = np.add(y, np.multiply(x, np.asarray(a, y_dtype)), out=y.copy())
            got = axpy_(y, a, x)
            assert got is y
            assert got.dtype == y_dtype
            np.testing.assert_array_equal(got, expected)
