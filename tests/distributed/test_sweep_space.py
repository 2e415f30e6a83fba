"""Search spaces: grids in order, random draws reproducible and inside their bounds, bad spaces
named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from descend.distributed import IntUniform, LogUniform, Uniform, trial_settings
from descend.distributed.space import check_space


def test_grid_is_the_cartesian_product_in_order():
    grid = trial_settings({"a": [1, 2], "b": ["x", "y", "z"]})
    assert grid == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]


def test_numpy_values_become_plain_python():
    (one,) = trial_settings({"lr": np.array([0.5])})
    assert type(one["lr"]) is float


@given(st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_random_search_is_reproducible_and_in_bounds(seed, n):
    space = {"lr": LogUniform(1e-5, 1.0), "mom": Uniform(0.0, 0.99), "units": IntUniform(8, 64),
             "opt": ["sgd", "adam"]}
    draws = trial_settings(space, n, seed=seed)
    assert draws == trial_settings(space, n, seed=seed)
    assert len(draws) == n
    for d in draws:
        assert 1e-5 <= d["lr"] <= 1.0 and 0.0 <= d["mom"] <= 0.99
        assert 8 <= d["units"] <= 64 and isinstance(d["units"], int)
        assert d["opt"] in ("sgd", "adam")


def test_log_uniform_spreads_over_decades():
    lrs = np.array([d["lr"] for d in trial_settings({"lr": LogUniform(1e-6, 1.0)}, 2000)])
    decades = np.histogram(np.log10(lrs), bins=6, range=(-6, 0))[0]
    assert decades.min() > 250, decades  # ~333 per decade; uniform in lr would put ~all in one


def test_different_seeds_draw_differently():
    space = {"x": Uniform(0, 1)}
    assert trial_settings(space, 5, seed=0) != trial_settings(space, 5, seed=1)


@pytest.mark.parametrize(("space", "n", "error", "words"), [
    ({}, None, TypeError, "non-empty dict"),
    ([("lr", [1])], None, TypeError, "non-empty dict"),
    ({"lr": 0.1}, None, TypeError, "space['lr'] must be a list"),
    ({"lr": "0.1,0.2"}, None, TypeError, "space['lr'] must be a list"),
    ({"lr": []}, None, ValueError, "space['lr'] is empty"),
    ({"lr": [[0.1]]}, None, TypeError, "may list numbers"),
    ({1: [0.1]}, None, TypeError, "non-empty strings"),
    ({"lr": Uniform(0, 1)}, None, ValueError, "give n_trials"),
    ({"lr": [0.1]}, 0, ValueError, "n_trials must be a positive integer"),
    ({"lr": [0.1]}, 2.5, ValueError, "n_trials must be a positive integer"),
])
def test_bad_spaces_are_named(space, n, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        trial_settings(space, n)


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Uniform(1.0, 0.0), "low <= high"),
    (lambda: Uniform(0.0, math.inf), "finite bounds"),
    (lambda: LogUniform(0.0, 1.0), "0 < low"),
    (lambda: IntUniform(1, 2.5), "takes integers"),
    (lambda: Uniform("a", 1.0), "takes numbers"),
])
def test_bad_distributions_are_named(make, words):
    with pytest.raises((TypeError, ValueError), match=words):
        make()


def test_check_space_keeps_distributions():
    dist = Uniform(0, 1)
    assert check_space({"x": dist, "y": (1, 2)}) == {"x": dist, "y": [1, 2]}
