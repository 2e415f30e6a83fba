"""Random restarts: run the same optimizer from several random starts and keep the best end.

Gradient descent finds the minimum of the valley it starts in. On a surface with a local
minimum that is not global (:class:`~descend.lab.problems.DoubleWell`) some starts end in the
shallow valley; starting again from elsewhere, and keeping the lowest loss, finds the deep one.

>>> import descend as dc
>>> r = restarts("double_well", n=6, seed=0)
>>> sorted({round(float(t.params[-1][0]), 2) for t in r.values()}), round(r.best.final_loss, 3)
([-1.06, 0.93], -0.515)
"""

from __future__ import annotations

import numpy as np

from descend.lab.problems import Problem, get_problem
from descend.lab.races import Race, preset, run


def random_starts(problem: Problem | str, n: int, *, seed: int = 0) -> np.ndarray:
    """``(n, 2)`` starting points drawn uniformly over the problem's window.

    >>> random_starts("double_well", 3, seed=0).shape
    (3, 2)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"restarts: n must be a positive integer, got {n!r}")
    (a0, a1), (b0, b1) = get_problem(problem).bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(a0, a1, n), rng.uniform(b0, b1, n)])


def restarts(problem: Problem | str = "double_well", optimizer: str = "gd", *, n: int = 8,
             steps: int | None = None, seed: int = 0, lr: float | None = None) -> Race:
    """Run ``optimizer`` from ``n`` random starts; the race's ``best`` is the lowest end.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        optimizer: a preset name (see :data:`~descend.lab.races.PRESETS`).
        n: how many starts.
        steps: optimizer steps per start (default: the problem's).
        seed: the seed of the starting points.
        lr: a learning rate instead of the problem's.

    Returns:
        A :class:`~descend.lab.races.Race` with one runner per start (``"start 1"``, ...).

    >>> import descend as dc
    >>> list(restarts("double_well", n=2, steps=5))
    ['start 1', 'start 2']
    """
    problem = get_problem(problem)
    factory = preset(optimizer, problem, lr=lr)
    runs = [run(problem, factory, name=f"start {i + 1}", steps=steps, start=start)
            for i, start in enumerate(random_starts(problem, n, seed=seed))]
    return Race(problem, problem.steps if steps is None else steps, runs)
