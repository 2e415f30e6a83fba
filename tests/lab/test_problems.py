"""Toy problems: values at known points, gradients against torch, surfaces, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend.lab import PROBLEMS, get_problem
from descend.lab.problems import (
    Beale,
    LinearRegression,
    Quadratic,
    Rosenbrock,
    Saddle,
    SigmoidNeuron,
)


def _torch_losses():
    def sigmoid(a, b):
        x = torch.tensor([0.5, 2.5], dtype=torch.float64)
        y = torch.tensor([0.2, 0.9], dtype=torch.float64)
        return (0.5 * (torch.sigmoid(a * x + b) - y) ** 2).sum()

    def beale(a, b):
        return ((1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2
                + (2.625 - a + a * b**3) ** 2)

    return {
        "sigmoid": sigmoid,
        "quadratic": lambda a, b: 0.5 * (a * a + 10.0 * b * b),
        "rosenbrock": lambda a, b: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
        "beale": beale,
        "saddle": lambda a, b: a * a + b**4 / 4 - b * b / 2,
    }


@pytest.mark.parametrize("name", ["sigmoid", "quadratic", "rosenbrock", "beale", "saddle"])
def test_loss_and_gradient_match_torch_at_several_points(name):
    problem = get_problem(name)
    reference = _torch_losses()[name]
    rng = np.random.default_rng(1)
    (a0, a1), (b0, b1) = problem.bounds
    for a_val, b_val in zip(rng.uniform(a0, a1, 4), rng.uniform(b0, b1, 4)):
        a = dc.tensor(a_val, dtype="float64", requires_grad=True)
        b = dc.tensor(b_val, dtype="float64", requires_grad=True)
        loss = problem.loss(a, b)
        loss.backward()
        ta = torch.tensor(a_val, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b_val, dtype=torch.float64, requires_grad=True)
        expected = reference(ta, tb)
        expected.backward()
        assert loss.item() == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
        assert a.grad.item() == pytest.approx(ta.grad.item(), rel=1e-10, abs=1e-10)
        assert b.grad.item() == pytest.approx(tb.grad.item(), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_minimum_is_the_smallest_value_on_the_surface(name):
    problem = get_problem(name)
    _, _, losses = problem.surface(61)
    assert problem.value(*problem.minimum) == pytest.approx(problem.min_loss, abs=1e-12)
    assert losses.min() >= problem.min_loss - 1e-12
    assert problem.value(*problem.start) > problem.min_loss + problem.tol


def test_surface_is_the_loss_evaluated_on_the_grid():
    problem = Rosenbrock()
    A, B, L = problem.surface(7)
    assert A.shape == B.shape == L.shape == (7, 7)
    assert L[3, 2] == pytest.approx(problem.value(A[3, 2], B[3, 2]))
    assert (A[0, 0], B[0, 0]) == (-2.0, -1.0) and (A[-1, -1], B[-1, -1]) == (2.0, 3.0)


def test_sigmoid_neuron_fits_the_two_points_exactly_at_its_minimum():
    problem = SigmoidNeuron()
    w, b = problem.minimum
    np.testing.assert_allclose(problem.predict(w, b, [0.5, 2.5]), [0.2, 0.9], atol=1e-12)
    assert problem.value(-2.0, -2.0) == pytest.approx(
        0.5 * ((1 / (1 + np.exp(3.0)) - 0.2) ** 2 + (1 / (1 + np.exp(7.0)) - 0.9) ** 2))


def test_linear_regression_solves_least_squares_and_picks_a_stable_learning_rate():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([1.0, 2.9, 5.2, 7.0])
    problem = LinearRegression(x, y)
    w, b = np.polyfit(x, y, 1)
    assert problem.minimum == pytest.approx((w, b))
    assert problem.min_loss == pytest.approx(np.mean((w * x + b - y) ** 2))
    hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    assert problem.lr == pytest.approx(1 / np.linalg.eigvalsh(hessian).max())
    np.testing.assert_allclose(problem.predict(2.0, 1.0, [0.0, 1.0]), [1.0, 3.0])
    a0, a1 = problem.bounds[0]
    assert a0 < w < a1


def test_quadratic_condition_number_sets_the_curvature_and_a_stable_step():
    problem = Quadratic(condition_number=25)
    assert problem.value(0.0, 1.0) == 12.5
    assert problem.lr == pytest.approx(1.3 / 25)
    assert repr(problem) == "Quadratic(condition_number=25)"


def test_saddle_has_zero_gradient_at_the_origin_and_two_minima():
    problem = Saddle()
    a = dc.tensor(0.0, dtype="float64", requires_grad=True)
    b = dc.tensor(0.0, dtype="float64", requires_grad=True)
    problem.loss(a, b).backward()
    assert (a.grad.item(), b.grad.item()) == (0.0, 0.0)
    assert problem.value(0.0, -1.0) == problem.value(0.0, 1.0) == -0.25


def test_beale_minimum():
    assert Beale().value(3.0, 0.5) == 0.0


def test_bad_problem_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match=r"unknown problem 'banana'.*rosenbrock"):
        get_problem("banana")
    with pytest.raises(ValueError, match="condition_number must be a number of at least 1"):
        Quadratic(condition_number=0.5)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        SigmoidNeuron(points=[(0.0, 1.5), (1.0, 0.5)])
    with pytest.raises(ValueError, match="give both x and y"):
        LinearRegression(x=[1.0, 2.0])
    with pytest.raises(ValueError, match="same length, got 2 x value"):
        LinearRegression([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="n must be an integer of at least 2"):
        Rosenbrock().surface(1)
    with pytest.raises(TypeError, match="pure function"):
        Rosenbrock().predict(0.0, 0.0, [1.0])
