"""Elementwise ops: value and gradient against finite differences and torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend.ops.shape import sum_array_to
from opcheck import check_op, second_derivative_checks

UNARY = [
    ("neg", lambda x: -x, lambda x: -x, {}),
    ("abs", dc.abs, torch.abs, {"away_from": 0.0}),
    ("exp", dc.exp, torch.exp, {}),
    ("log", dc.log, torch.log, {"low": 0.2, "high": 3.0}),
    ("sqrt", dc.sqrt, torch.sqrt, {"low": 0.2, "high": 3.0}),
    ("sin", dc.sin, torch.sin, {}),
    ("cos", dc.cos, torch.cos, {}),
    ("tanh", dc.tanh, torch.tanh, {}),
    ("sigmoid", dc.sigmoid, torch.sigmoid, {}),
    ("relu", dc.relu, torch.relu, {"away_from": 0.0}),
    ("leaky_relu", dc.leaky_relu, F.leaky_relu, {"away_from": 0.0}),
    ("leaky_relu_0.2", lambda x: dc.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2),
     {"away_from": 0.0}),
    ("elu", dc.elu, F.elu, {"away_from": 0.0}),
    ("elu_alpha", lambda x: dc.elu(x, 0.5), lambda x: F.elu(x, 0.5), {"away_from": 0.0}),
    ("gelu", dc.gelu, F.gelu, {}),
    ("gelu_tanh", lambda x: dc.gelu(x, approximate="tanh"),
     lambda x: F.gelu(x, approximate="tanh"), {}),
    ("softplus", dc.softplus, F.softplus, {}),
    ("softplus_beta", lambda x: dc.softplus(x, beta=2.0, threshold=3.0),
     lambda x: F.softplus(x, beta=2.0, threshold=3.0), {"low": -3.0, "high": 3.0}),
    ("erf", dc.erf, torch.erf, {}),
    ("clip", lambda x: dc.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), {}),
    ("clip_low", lambda x: x.clip(min=0.1), lambda x: torch.clamp(x, min=0.1), {}),
    ("pow_2", lambda x: x**2, lambda x: x**2, {}),
    ("pow_3", lambda x: x**3, lambda x: x**3, {}),
    ("pow_frac", lambda x: x**1.5, lambda x: x**1.5, {"low": 0.2, "high": 3.0}),
    ("pow_neg", lambda x: x**-2, lambda x: x**-2, {"low": 0.5, "high": 3.0}),
    ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, {}),
    ("rsub", lambda x: 1.0 - x, lambda x: 1.0 - x, {}),
    ("rdiv", lambda x: 1.0 / x, lambda x: 1.0 / x, {"low": 0.5, "high": 3.0}),
    ("scalar_ops", lambda x: (x * 3 + 2) / 4 - 1, lambda x: (x * 3 + 2) / 4 - 1, {}),
]


@pytest.mark.parametrize(("name", "fn", "torch_fn", "domain"), UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2)])
def test_unary(name, fn, torch_fn, domain, shape):
    check_op(fn, torch_fn, [shape], name=name, **domain)


BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, {}),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, {}),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, {}),
    ("div", lambda a, b: a / b, lambda a, b: a / b, {"low": 0.5, "high": 2.0}),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, {"low": 0.5, "high": 2.0}),
    ("maximum", dc.maximum, torch.maximum, {}),
    ("minimum", dc.minimum, torch.minimum, {}),
]
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                   ((5, 1), (1, 5))]


@pytest.mark.parametrize(("name", "fn", "torch_fn", "domain"), BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_with_broadcasting(name, fn, torch_fn, domain, shapes):
    check_op(fn, torch_fn, list(shapes), name=name, **domain)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_where(shapes):
    cond = np.random.default_rng(3).random(np.broadcast_shapes(*shapes)) > 0.5
    check_op(lambda a, b: dc.where(cond, a, b),
             lambda a, b: torch.where(torch.tensor(cond), a, b), list(shapes), name="where")


def test_ties_share_the_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 3.0])
    for ours, theirs in [(dc.maximum, torch.maximum), (dc.minimum, torch.minimum)]:
        check_op(ours, theirs, inputs=[a, b], name=ours.__name__, gradcheck=False)


def test_clip_boundaries_pass_the_gradient_like_torch():
    x = np.array([-1.0, -0.5, 0.0, 0.7, 2.0])
    check_op(lambda t: dc.clip(t, -0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), inputs=[x],
             name="clip", gradcheck=False)


def test_abs_and_relu_have_zero_gradient_at_zero():
    x = dc.tensor([0.0, 0.0], requires_grad=True)
    (x.abs() + x.relu()).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("base", "exponent"), [
    ([0.0, 2.0], [2.0, 3.0]),
    ([[0.0, 2.0], [0.5, 0.0]], [2.0, 1.5]),  # an exponent broadcast over zeros in two rows
    ([0.5, 2.0], [2.0, 3.0]),  # no zero: the same rule, no branch on the values
    ([0.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.0, 1.0]),  # 0 ** 0: no NaN from 0 · 0^-1
    ([[0.0, 2.0, 0.0], [0.0, 0.5, 3.0]], [0.0, 0.0, 1.5]),  # a zero exponent broadcast
    ([[0.0], [1.5]], [[0.0, 2.0, 0.0]]),  # both broadcast: 0 ** 0 twice, summed into a
], ids=["zero base", "broadcast exponent", "no zero", "zero base and exponent",
        "broadcast zero exponent", "both broadcast"])
def test_pow_gradients_at_a_zero_base_or_exponent_are_torch_s(base, exponent):
    # d/db = a^b ln a is 0 where a = 0 and b >= 0; d/da = b a^(b-1) is 0 where b = 0
    check_op(lambda a, b: a**b, lambda a, b: a**b,
             inputs=[np.array(base), np.array(exponent)], name="pow", gradcheck=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_base_gradient_where_the_exponent_is_zero_is_plus_zero_as_torch_s(dtype):
    # torch masks d/da to +0 where b = 0, so a negative, infinite or NaN upstream gives +0
    base, exponent = np.array([0.0, 2.0, 0.5, 3.0]), np.array([0.0, 0.0, 0.0, 2.0])
    upstream = np.array([-1.5, np.inf, np.nan, -2.0], dtype)
    a, b = (dc.tensor(v, dtype=dtype, requires_grad=True) for v in (base, exponent))
    with np.errstate(invalid="ignore"):  # (inf · 0 before the mask, as in torch's formula)
        (a**b).backward(upstream)
    ta, tb = (torch.tensor(v.astype(dtype), requires_grad=True) for v in (base, exponent))
    (ta**tb).backward(torch.tensor(upstream))
    for ours, theirs in ((a.grad.numpy(), ta.grad.numpy()), (b.grad.numpy(), tb.grad.numpy())):
        np.testing.assert_array_equal(ours, theirs)
        signed = ~np.isnan(theirs)
        assert (np.signbit(ours[signed]) == np.signbit(theirs[signed])).all(), (ours, theirs)
    assert a.grad.numpy()[:3].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(("base", "exponent"), [
    ((2, 3), (3,)),
    ((3,), (2, 3)),
], ids=["exponent broadcast", "base broadcast"])
def test_pow_has_second_derivatives(base, exponent):
    """``a ** b``'s backward, differentiated again, against finite differences and torch
    (positive bases: the real power is defined everywhere near them)."""
    out = np.broadcast_shapes(base, exponent)
    check_op(*second_derivative_checks(lambda a, b: a**b, lambda a, b: a**b, [base, exponent],
                                       out), [base, exponent], name="pow double backward",
             low=0.5, high=2.0)


def test_pow_scalar_gradient_for_a_zero_exponent_is_zero_like_torch():
    check_op(lambda x: x**0, lambda x: x**0, inputs=[np.array([0.0, 2.0, -1.5])], name="pow_0",
             gradcheck=False)


def test_erf_matches_math_erf_to_double_precision():
    import math

    x = np.concatenate([np.linspace(-7, 7, 2001), [0.46875, -0.46875, 4.0, -4.0, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(dc.erf(dc.tensor(x, dtype="float64")).numpy(), expected,
                               rtol=2e-15, atol=2e-16)


def test_stable_at_extreme_inputs():
    x = dc.tensor([-1000.0, 1000.0], dtype="float64", requires_grad=True)
    y = dc.sigmoid(x) + dc.softplus(x) + dc.tanh(x) + dc.elu(x)
    y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(dc.sigmoid(x).numpy(), [0.0, 1.0])


@pytest.mark.parametrize("copies", [1, 5])  # 7 values (found by Python's max) and 35 (NumPy's)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extreme", [-1e4, -720.0, 5.0, 87.5, 88.5, 700.0, 720.0, 1e4])
def test_sigmoid_matches_torch_on_both_sides_of_its_overflow_bound(dtype, extreme, copies):
    # Up to about 88 (float32) / 709 (float64) sigmoid takes e^x / (1 + e^x); above, the
    # overflow-free form. Either way: torch's values, the same in a fused linear, no warning.
    x = np.tile(np.array([-1000.0, -30.0, -1.0, 0.0, 0.5, 30.0, extreme], dtype=dtype), copies)
    expected = torch.sigmoid(torch.from_numpy(x)).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = dc.sigmoid(dc.tensor(x, dtype=dtype)).numpy()
        fused = dc.linear(dc.tensor(x[:, None], dtype=dtype), dc.ones((1, 1), dtype=dtype),
                          dc.zeros(1, dtype=dtype), activation="sigmoid").numpy()[:, 0]
    tiny = np.finfo(dtype).tiny  # below it torch keeps subnormals that we may flush
    np.testing.assert_allclose(got, expected, rtol=2e-7 if dtype == "float32" else 1e-15,
                               atol=tiny)
    np.testing.assert_array_equal(fused, got)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_within_4_ulp_of_the_exact_value(dtype):
    limit = 88.0 if dtype == "float32" else 709.0
    x = np.linspace(-limit, limit, 400_001).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    got = dc.sigmoid(dc.tensor(x, dtype=dtype)).numpy()
    ulps = np.abs(got - exact) / np.spacing(exact.astype(dtype))
    assert ulps.max() <= 4  # about 3 in float32 (torch: 2.3), 1.8 in float64


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("value", [-1e4, -3.0, 0.0, 2.5, 1e4])
def test_sigmoid_of_one_number_is_a_0d_array_in_its_dtype(dtype, value):
    # a 0-d input takes the path that keeps it an array (NumPy makes exp of it a scalar)
    y = dc.sigmoid(dc.tensor(value, dtype=dtype)).data
    assert type(y) is np.ndarray and y.shape == () and y.dtype == dtype
    np.testing.assert_array_equal(
        y, dc.sigmoid(dc.tensor([value], dtype=dtype)).data[0])
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(value, dtype=getattr(torch, dtype))),
                               rtol=2e-7 if dtype == "float32" else 1e-15)


@pytest.mark.parametrize("size", [2, 40])
@pytest.mark.parametrize("huge", [-1000.0, 1000.0])
def test_sigmoid_of_nan_beside_a_huge_value_warns_of_nothing(size, huge):
    for first, second in ((np.nan, huge), (huge, np.nan)):
        x = np.full(size, 0.5, dtype=np.float32)
        x[0], x[-1] = first, second
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = dc.sigmoid(dc.tensor(x)).numpy()
        assert np.isnan(y[x != x]).all() and (y[x == huge] == (huge > 0)).all()
        np.testing.assert_allclose(y[1:-1], 1 / (1 + np.exp(-0.5)), rtol=1e-6)


def test_astype_passes_the_gradient_back_in_the_input_dtype():
    x = dc.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = x.astype("float32")
    (y * y).sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float64
    assert x.grad.numpy().tolist() == [2.0, 4.0]


def test_mixed_precision_follows_numpy_promotion_and_grads_keep_their_dtype():
    a = dc.tensor([1.0, 2.0], requires_grad=True)                    # float32
    b = dc.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    assert (a * 2.5).dtype == np.float32          # Python numbers do not promote




@pytest.mark.parametrize(("gy_shape", "shape"), [((4, 3), ()), ((4, 3), (3,)),
                                                 ((4, 2, 1, 3), (2, 1, 3))])
def test_undoing_a_broadcast_of_new_leading_axes_gives_an_array_of_its_own(gy_shape, shape):
    # a bias's (or a scalar's) gradient: a fresh array rather than a view, so a leaf's .grad
    # takes it without the copy the engine makes of views
    gy = np.arange(float(np.prod(gy_shape)), dtype=np.float32).reshape(gy_shape)
    summed = sum_array_to(gy, shape)
    assert type(summed) is np.ndarray and summed.base is None and summed.shape == shape
    np.testing.assert_array_equal(summed, gy.sum(axis=tuple(range(gy.ndim - len(shape)))))
