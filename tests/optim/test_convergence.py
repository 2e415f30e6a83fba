"""Convergence table: every optimizer, with sensible hyperparameters, ends within 1e-2 of the
minimum of a quadratic, the Rosenbrock function and Beale's function within a step budget.

Gradients are written out by hand (checked against descend's autograd below) so the ~70 000
steps take about a second. The last column names a learning-rate schedule where a constant
rate keeps the optimizer circling the minimum instead of settling.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim


def quadratic(w):
    x, y = w
    return (x - 1) ** 2 + 10 * (y + 2) ** 2, np.array([2 * (x - 1), 20 * (y + 2)])


def rosenbrock(w):
    x, y = w
    return ((1 - x) ** 2 + 100 * (y - x * x) ** 2,
            np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]))


def beale(w):
    x, y = w
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return (a * a + b * b + c * c,
            np.array([2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1),
                      2 * a * x + 4 * b * x * y + 6 * c * x * y**2]))


PROBLEMS = {  # function, start, minimum
    "quadratic": (quadratic, [-3.0, 3.0], [1.0, -2.0]),
    "rosenbrock": (rosenbrock, [-1.5, 2.0], [1.0, 1.0]),
    "beale": (beale, [1.0, 1.0], [3.0, 0.5]),
}

TABLE = [  # optimizer, extra hyperparameters, problem, lr, step budget, cosine schedule
    ("sgd", {"momentum": 0.9}, "quadratic", 0.01, 200, False),
    ("sgd", {"momentum": 0.9}, "rosenbrock", 1e-3, 2000, False),
    ("sgd", {"momentum": 0.9}, "beale", 0.01, 300, False),
    ("adam", {}, "quadratic", 0.3, 300, False),
    ("adam", {}, "rosenbrock", 0.1, 1500, False),
    ("adam", {}, "beale", 0.3, 200, False),
    ("adamw", {"weight_decay": 1e-4}, "quadratic", 0.3, 300, False),
    ("adamw", {"weight_decay": 1e-4}, "rosenbrock", 0.1, 1500, False),
    ("adamw", {"weight_decay": 1e-4}, "beale", 0.3, 200, False),
    ("rmsprop", {}, "quadratic", 0.1, 100, False),
    ("rmsprop", {}, "rosenbrock", 3e-3, 8000, False),
    ("rmsprop", {}, "beale", 0.1, 200, True),
    ("adagrad", {}, "quadratic", 1.0, 100, False),
    ("adagrad", {}, "rosenbrock", 1.0, 12000, False),
    ("adagrad", {}, "beale", 1.0, 200, False),
    ("adadelta", {}, "quadratic", 1.0, 2000, False),
    ("adadelta", {}, "rosenbrock", 0.03, 15000, False),
    ("adadelta", {}, "beale", 1.0, 800, True),
    ("adamax", {}, "quadratic", 1.0, 200, False),
    ("adamax", {}, "rosenbrock", 1.0, 3000, False),
    ("adamax", {}, "beale", 1.0, 300, False),
    ("nadam", {}, "quadratic", 0.3, 150, False),
    ("nadam", {}, "rosenbrock", 0.01, 4500, False),
    ("nadam", {}, "beale", 0.3, 100, False),
    ("radam", {}, "quadratic", 0.3, 400, False),
    ("radam", {}, "rosenbrock", 0.01, 8000, False),
    ("radam", {}, "beale", 0.03, 1200, False),
    ("lion", {}, "quadratic", 0.01, 1000, False),
    ("lion", {}, "rosenbrock", 1e-3, 5000, False),
    ("lion", {}, "beale", 1e-3, 3000, False),
]


def test_the_table_covers_every_optimizer_on_every_problem():
    covered = {(name, problem) for name, _, problem, *_ in TABLE}
    assert covered == {(n, p) for n in optim.OPTIMIZERS for p in PROBLEMS}


@pytest.mark.parametrize("name, extra, problem, lr, budget, cosine", TABLE,
                         ids=[f"{row[0]}-{row[2]}" for row in TABLE])
def test_converges_within_budget(name, extra, problem, lr, budget, cosine):
    function, start, minimum = PROBLEMS[problem]
    w = dc.tensor(start, dtype="float64", requires_grad=True)
    opt = optim.get(name, lr=lr, **extra).bind([w])
    schedule = optim.schedules.CosineAnnealingLR(opt, T_max=budget) if cosine else None
    for _ in range(budget):
        w.grad = dc.tensor(function(w.numpy())[1], dtype="float64")
        opt.step()
        if schedule is not None:
            schedule.step()
    distance = float(np.linalg.norm(w.numpy() - minimum))
    assert distance <= 1e-2, (f"{name} (lr={lr}) ends {distance:.3g} from the minimum of "
                              f"{problem} after {budget} steps")


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_hand_written_gradients_match_autograd(problem):
    function, start, minimum = PROBLEMS[problem]
    for point in (start, minimum, [0.3, -0.7]):
        w = dc.tensor(point, dtype="float64", requires_grad=True)
        value = function([w[0], w[1]])[0]
        value.backward()
        expected_value, expected_grad = function(np.array(point))
        assert value.item() == pytest.approx(expected_value, rel=1e-12)
        np.testing.assert_allclose(w.grad.numpy(), expected_grad, rtol=1e-12, atol=1e-12)
