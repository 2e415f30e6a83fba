"""Initializers: Keras definitions checked statistically, fans, seeding, names and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import descend as dc
from descend.nn import initializers
from descend.nn.initializers import TRUNCATION_STD, compute_fans

DENSE, CONV = (300, 500), (64, 32, 5, 5)      # conv fans: in 32·25 = 800, out 64·25 = 1600


def check_moments(values, mean, variance):
    """Sample mean and variance within 5 standard errors of the expected ones."""
    n = values.size
    assert abs(values.mean() - mean) < 5 * math.sqrt(variance / n), (values.mean(), mean)
    assert abs(values.var() / variance - 1) < 5 * math.sqrt(2 / n), (values.var(), variance)


VARIANCE_SCALING = [
    # name, shape, variance, bound in standard deviations (sqrt(3) uniform, 2 truncated)
    ("glorot_uniform", DENSE, 2 / 800, math.sqrt(3)),
    ("glorot_normal", DENSE, 2 / 800, 2 / TRUNCATION_STD),
    ("he_uniform", DENSE, 2 / 300, math.sqrt(3)),
    ("he_normal", DENSE, 2 / 300, 2 / TRUNCATION_STD),
    ("lecun_uniform", DENSE, 1 / 300, math.sqrt(3)),
    ("lecun_normal", DENSE, 1 / 300, 2 / TRUNCATION_STD),
    ("glorot_uniform", CONV, 2 / 2400, math.sqrt(3)),
    ("glorot_normal", CONV, 2 / 2400, 2 / TRUNCATION_STD),
    ("he_normal", CONV, 2 / 800, 2 / TRUNCATION_STD),
    ("he_uniform", CONV, 2 / 800, math.sqrt(3)),
    ("lecun_normal", CONV, 1 / 800, 2 / TRUNCATION_STD),
]


@pytest.mark.parametrize(("name", "shape", "variance", "bound"), VARIANCE_SCALING,
                         ids=[f"{c[0]}-{len(c[1])}d" for c in VARIANCE_SCALING])
def test_variance_scaling_has_the_keras_variance_and_bounds(name, shape, variance, bound):
    dc.seed(0)
    w = initializers.get(name)(shape, dtype="float64")
    assert w.shape == shape and w.dtype == np.float64
    check_moments(w, 0.0, variance)
    assert np.abs(w).max() <= bound * math.sqrt(variance) + 1e-12


def test_fixed_distributions():
    dc.seed(1)
    shape = (400, 500)
    check_moments(initializers.RandomNormal(1.0, 2.0)(shape, "float64"), 1.0, 4.0)
    uniform = initializers.RandomUniform(-0.5, 1.5)(shape, "float64")
    check_moments(uniform, 0.5, 4 / 12)
    assert uniform.min() >= -0.5 and uniform.max() < 1.5
    truncated = initializers.TruncatedNormal(0.5, 2.0)(shape, "float64")
    check_moments(truncated, 0.5, (2.0 * TRUNCATION_STD) ** 2)
    assert np.abs(truncated - 0.5).max() <= 4.0
    defaults = initializers.get("random_normal")(shape, "float64")
    check_moments(defaults, 0.0, 0.05 ** 2)
    assert initializers.get("zeros")((2, 3)).tolist() == [[0.0] * 3] * 2
    assert initializers.get("ones")((2,), "float64").dtype == np.float64
    assert initializers.Constant(0.25)((3,)).tolist() == [0.25] * 3
    assert initializers.get("constant")((1,)).tolist() == [0.0]


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 2, 3, 3)], ids=str)
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    dc.seed(2)
    w = initializers.Orthogonal(gain=2.0)(shape, "float64").reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(min(w.shape)), atol=1e-12)
    with pytest.raises(ValueError, match=r"Orthogonal: needs a shape with at least 2 axes"):
        initializers.get("orthogonal")((3,))


def test_fans_follow_the_kernel_layouts():
    assert compute_fans((13, 64)) == (13, 64)
    assert compute_fans((16, 3, 3, 5)) == (45, 240)
    assert compute_fans((7,)) == (7, 7)


def test_draws_repeat_under_seed_and_default_to_float32():
    for name in ["random_normal", "random_uniform", "truncated_normal", "glorot_uniform",
                 "he_normal", "orthogonal"]:
        dc.seed(5)
        a = initializers.get(name)((6, 4))
        dc.seed(5)
        b = initializers.get(name)((6, 4))
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_objects_and_callables_are_accepted_and_bad_names_explained():
    he = initializers.HeNormal()
    assert initializers.get(he) is he and repr(he) == "HeNormal()"
    layer = dc.nn.Dense(3, input_dim=2, kernel_initializer=lambda shape, dtype: np.full(
        shape, 0.5, dtype))
    assert layer.kernel.numpy().tolist() == [[0.5] * 3] * 2
    with pytest.raises(ValueError, match=r"initializers.get: unknown initializer 'he'\. Valid "
                                         r"names: 'constant', 'glorot_normal', 'glorot_uniform', "
                                         r"'he_normal', 'he_uniform', 'lecun_normal', "
                                         r"'lecun_uniform', 'ones', 'orthogonal', "
                                         r"'random_normal', 'random_uniform', "
                                         r"'truncated_normal', 'zeros'"):
        initializers.get("he")
    with pytest.raises(TypeError, match=r"initializer: expected a name such as "
                                        r"'glorot_uniform' or an initializer object, got int"):
        initializers.get(0)
    with pytest.raises(ValueError, match=r"VarianceScaling: mode must be 'fan_in', 'fan_out' "
                                         r"or 'fan_avg', got 'fan'"):
        initializers.VarianceScaling(mode="fan")
