"""Random search: guess a nearby point, keep it if the loss is lower. No gradient at all.

The racer that shows what the gradient buys. With the same budget of loss evaluations as a
gradient-descent run (one per point: the start and every step), it tries a point drawn around
the best one so far and moves there only when the loss went down.

>>> import descend as dc
>>> t = random_search("quadratic", steps=50, seed=0)
>>> t.evaluations, bool(t.final_loss < t.losses[0]), bool((t.losses[1:] <= t.losses[:-1]).all())
(51, True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from descend.lab.problems import Problem, get_problem
from descend.lab.trajectory import Trajectory

LABEL = "Random search"
"""The runner's label in a race."""


def random_search(problem: Problem | str, *, steps: int | None = None,
                  start: Sequence[float] | None = None, scale: float | None = None,
                  seed: int = 0, tol: float | None = None, name: str = LABEL) -> Trajectory:
    """Search ``problem`` by random guesses around the best point so far.

    At each of ``steps`` steps a candidate ``θ + scale · z`` (``z`` standard normal in both
    coordinates) is evaluated; the search moves there if its loss is lower, else stays. So it
    evaluates the loss ``steps + 1`` times, as gradient descent does for as many steps.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        steps: how many guesses (default: the problem's steps).
        start: the starting ``(a, b)`` (default: the problem's).
        scale: the spread of the guesses (default: a twentieth of the window's width).
        seed: the seed of the guesses; the same seed gives the same run.
        tol: the tolerance for ``steps_to_tol`` (default: the problem's).
        name: the label of the run.

    Returns:
        A :class:`~descend.lab.trajectory.Trajectory` of the best point after each guess.

    >>> import descend as dc
    >>> random_search("sigmoid", steps=3, seed=1).params.shape
    (4, 2)
    >>> random_search("sigmoid", scale=0)
    Traceback (most recent call last):
    ...
    ValueError: random_search: scale must be a positive number, got 0
    """
    problem = get_problem(problem)
    steps = problem.steps if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"random_search: steps must be a non-negative integer, got {steps!r}")
    (a0, a1), _ = problem.bounds
    scale = (a1 - a0) / 20 if scale is None else scale
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise ValueError(f"random_search: scale must be a positive number, got {scale!r}")
    best = np.asarray(problem.start if start is None else start, dtype=np.float64)
    if best.shape != (2,):
        raise ValueError(f"random_search: start must be two numbers (a, b), got {start!r}")
    rng = np.random.default_rng(seed)
    best_loss = problem.value(*best)
    params, losses = [best.copy()], [best_loss]
    for _ in range(steps):
        candidate = best + scale * rng.standard_normal(2)
        loss = problem.value(*candidate)
        if loss < best_loss:
            best, best_loss = candidate, loss
        params.append(best.copy())
        losses.append(best_loss)
    return Trajectory(name, np.asarray(params), np.asarray(losses), False,
                      problem.tol if tol is None else tol, problem.min_loss)
