"""One run on a toy problem (:class:`Trajectory`) and the check that says it blew up.

Races, random search and random restarts all produce trajectories: the parameters and the loss
at every step, the learning rate where a schedule drove it, and whether the run diverged.

>>> import numpy as np
>>> t = Trajectory("GD", np.zeros((3, 2)), np.array([3.0, 2.0, 1.0]), False, 1.5, 0.0)
>>> t.steps_to_tol, t.final_loss, t.evaluations
(2, 1.0, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

BLOW_UP = 1e6
"""A run has diverged once its distance above the floor grows this many times its start's."""


@dataclass
class Trajectory:
    """One optimizer's run on a problem.

    Attributes:
        name: the runner's label (``"Momentum"``).
        params: ``(steps + 1, 2)``, the parameters before the first step and after each step.
        losses: ``(steps + 1,)``, the loss at each of those points.
        diverged: whether the run blew up (see :func:`blew_up`); it stops there, so
            ``params`` is shorter than asked.
        tol: the tolerance ``steps_to_tol`` is measured against.
        min_loss: the problem's smallest loss.
        optimizer: the optimizer after the run, gradients of its last step kept (for
            ``explain_step``); ``None`` for runners without one (random search).
        lrs: ``(len(params) - 1,)``, the learning rate each step was taken with, when a
            schedule drove the run (``None`` otherwise).

    >>> import descend as dc
    >>> t = dc.lab.race("saddle", ["rmsprop"], steps=30)["RMSProp"]
    >>> t.steps_to_tol, round(t.final_loss, 4)
    (10, -0.25)
    """

    name: str
    params: np.ndarray
    losses: np.ndarray
    diverged: bool
    tol: float
    min_loss: float
    optimizer: Any = None
    lrs: np.ndarray | None = None

    @property
    def steps_to_tol(self) -> int | None:
        """The first step after which ``loss - min_loss <= tol`` (``None`` if never)."""
        hits = np.flatnonzero(self.losses - self.min_loss <= self.tol)
        return int(hits[0]) if hits.size else None

    @property
    def final_loss(self) -> float:
        """The loss at the last point reached."""
        return float(self.losses[-1])

    @property
    def evaluations(self) -> int:
        """How many times the loss was evaluated: once per point (the start and every step)."""
        return len(self.losses)

    @property
    def step_lengths(self) -> np.ndarray:
        """``(len(params) - 1,)``: how far each step moved the parameters, ``‖θₖ₊₁ − θₖ‖``.

        >>> import numpy as np
        >>> Trajectory("t", np.array([[0.0, 0.0], [3.0, 4.0]]), np.ones(2), False, 0, 0
        ...            ).step_lengths.tolist()
        [5.0]
        """
        return np.linalg.norm(np.diff(self.params, axis=0), axis=1)


def blew_up(losses: list[float], min_loss: float | None) -> bool:
    """Whether a run whose losses so far are ``losses`` has diverged.

    A loss that is not finite has. Otherwise the floor is the problem's smallest loss
    ``min_loss``; a run blows up once ``loss − floor`` exceeds a million times the start's
    ``loss − floor``. Where no lower bound is known (``min_loss`` is ``None``, or above the
    starting loss, so it cannot be the minimum) the floor is unknown, and the run blows up once
    it has moved a million times ``|start| + 1`` away from its starting loss.

    >>> blew_up([-2.0, -2.5], 0.0)          # a negative start is not a blow-up
    False
    >>> blew_up([1.0, 2e6], 0.0), blew_up([-2.0, -1e8], None), blew_up([1.0, float("nan")], 0.0)
    (True, True, True)
    """
    first, last = losses[0], losses[-1]
    if not np.isfinite(last):
        return True
    if min_loss is None or min_loss > first:
        return abs(last - first) > BLOW_UP * (abs(first) + 1.0)
    return last - min_loss > BLOW_UP * (first - min_loss + 1e-12)
