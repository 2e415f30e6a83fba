"""The Boston benchmark: hand NumPy, descend's objects and torch take the same SGD steps."""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import assert_same_training, entry, fake_run, implementations, load

boston_step = load("boston_step")


@pytest.fixture(scope="module")
def problem():
    return boston_step.make_problem(40, seed=2)


def test_the_problem_is_the_standardized_training_set(problem):
    full = boston_step.make_problem()
    assert full.x.shape == (333, 12) and full.y.shape == (333, 1)
    np.testing.assert_allclose(full.x.mean(axis=0), 0, atol=1e-5)
    assert problem.kernel.shape == (12, 1) and problem.bias.shape == (1,)
    assert all(a.dtype == np.float32 for a in (problem.x, problem.y, problem.kernel))
    assert problem.bias[0] != 0, "a nonzero bias, so that a wrong bias gradient shows"


def test_the_loss_is_the_mean_squared_error(problem):
    pred = problem.x.astype(np.float64) @ problem.kernel + problem.bias
    expected = np.mean((pred - problem.y) ** 2)
    assert float(boston_step.NumpyLinear(problem).step()) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("steps", [1, 3])
def test_all_implementations_agree_on_loss_and_updated_weights(problem, steps):
    models = {name: cls(problem, lr=0.05)
              for name, cls in implementations(boston_step.IMPLEMENTATIONS).items()}
    assert_same_training(models, steps, rtol=1e-5, atol=1e-5)
    moved = [np.abs(w - p).max() for w, p in
             zip(models["NumPy"].weights(), (problem.kernel, problem.bias))]
    assert min(moved) > 1e-3
    np.testing.assert_array_equal(problem.kernel, boston_step.make_problem(40, seed=2).kernel)


def test_the_target_is_ten_times_numpy_with_torchs_ratio_beside_it():
    run = fake_run({"333 rows": {"NumPy": entry(), "descend": entry(ratio=4.0),
                                 "torch": entry(ratio=12.5)}})
    (target,) = boston_step.targets({1: run})
    assert target.met() and target.note == "torch 12.5×"
    run["rows"]["333 rows"]["results"]["descend"]["ratio"] = 10.5
    assert boston_step.targets({1: run})[0].met() is False
