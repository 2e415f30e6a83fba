"""A local minimum that is not global: the double well, restarts and random search."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import lab


def test_the_double_well_has_a_local_minimum_above_the_global_one():
    p = lab.DoubleWell()
    ga, gb = p.gradient(np.array([p.minimum[0], p.local_minimum[0]]), np.zeros(2))
    np.testing.assert_allclose(ga, 0.0, atol=1e-12)
    np.testing.assert_allclose(gb, 0.0, atol=1e-12)
    assert p.value(*p.minimum) == pytest.approx(p.min_loss, abs=1e-12)
    assert p.value(*p.local_minimum) > p.min_loss + 0.9         # the shallow valley
    w = dc.tensor(0.5, dtype="float64")
    assert lab.double_well(w).item() == pytest.approx(p.value(0.5, 0.0))


def test_plain_gd_sticks_in_the_local_minimum_and_momentum_escapes():
    r = lab.race("double_well", ["gd", "momentum"])
    gd, momentum = r["GD"], r["Momentum"]
    assert gd.params[-1] == pytest.approx(lab.DoubleWell.local_minimum, abs=1e-2)
    assert gd.steps_to_tol is None and not gd.diverged
    assert momentum.params[-1] == pytest.approx(lab.DoubleWell.minimum, abs=1e-2)
    assert momentum.steps_to_tol is not None
    assert r.best.name == "Momentum"


def test_random_restarts_find_both_valleys_and_keep_the_deep_one():
    r = lab.restarts("double_well", n=8, seed=0)
    ends = {round(float(t.params[-1][0]), 2) for t in r.values()}
    assert ends == {-1.06, 0.93}
    assert r.best.final_loss == pytest.approx(lab.DoubleWell.min_loss, abs=1e-3)
    assert len(r) == 8 and lab.random_starts("double_well", 8, seed=1).shape == (8, 2)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        lab.restarts("double_well", n=0)


def test_random_search_has_the_same_budget_and_only_moves_downhill():
    r = lab.race("quadratic", ["gd", "random"], steps=60)
    gd, rs = r["GD"], r["Random search"]
    assert gd.evaluations == rs.evaluations == 61
    assert (np.diff(rs.losses) <= 0).all()
    moved = np.flatnonzero(np.any(np.diff(rs.params, axis=0) != 0, axis=1))
    assert moved.size > 0 and (np.diff(rs.losses)[moved] < 0).all()
    assert rs.final_loss < rs.losses[0]
    assert gd.final_loss < rs.final_loss         # the gradient buys a lot on a smooth bowl
    again = lab.random_search("quadratic", steps=60, seed=0)
    np.testing.assert_array_equal(again.params, rs.params)
    assert not np.array_equal(lab.random_search("quadratic", steps=60, seed=1).params,
                              rs.params)


def test_random_search_checks_its_arguments():
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        lab.random_search("quadratic", steps=-1)
    with pytest.raises(ValueError, match="start must be two numbers"):
        lab.random_search("quadratic", start=(1.0,))
