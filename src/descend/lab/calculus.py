"""The calculus behind gradient descent, as numbers: secants closing in on the tangent, and the
first-order Taylor argument for stepping against the gradient.

>>> import descend as dc
>>> [(dx, round(m, 6)) for dx, m in secant_slopes(lambda x: x * x, 2.0, [0.5, 0.1])]
[(0.5, 4.5), (0.1, 4.1)]
>>> derivative(lambda x: x * x, 2.0)
4.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from descend.autograd.functional import value_and_grad
from descend.lab.problems import Problem, get_problem
from descend.tensors import Tensor

Function = Callable[[Tensor], Tensor]
"""A function of one number written with descend ops (a 0-d float64 Tensor in, one value out)."""


def value_at(f: Function, x: float) -> float:
    """``f(x)`` as a Python float (``x`` given to ``f`` as a 0-d float64 Tensor).

    >>> value_at(lambda x: 3 * x, 2.0)
    6.0
    """
    return float(f(Tensor(float(x), dtype=np.float64)).item())


def derivative(f: Function, x: float) -> float:
    """``f′(x)`` by descend's autodiff.

    >>> derivative(lambda x: x * x * x, 2.0)
    12.0
    """
    if not callable(f):
        raise TypeError(f"derivative: f must be callable, got {type(f).__name__}")
    _, slope = value_and_grad(f)(Tensor(float(x), dtype=np.float64))
    return float(slope.item())


def secant_slopes(f: Function, x: float, dxs: Sequence[float]) -> list[tuple[float, float]]:
    """``(Δx, Δy/Δx)`` for each ``Δx``: the slope of the line through ``(x, f(x))`` and
    ``(x + Δx, f(x + Δx))``. As ``Δx`` shrinks it closes in on ``f′(x)``.

    Raises:
        ValueError: if a ``Δx`` is zero or not finite (no line through one point).

    >>> [round(m, 4) for _, m in secant_slopes(lambda x: x * x, 2.0, [1.0, 0.01])]
    [5.0, 4.01]
    """
    if not callable(f):
        raise TypeError(f"secant_slopes: f must be callable, got {type(f).__name__}")
    dxs = [float(dx) for dx in dxs]
    if not dxs or not all(np.isfinite(dx) and dx != 0 for dx in dxs):
        raise ValueError(f"secant_slopes: every Δx must be a finite non-zero number, got {dxs}")
    y = value_at(f, x)
    return [(dx, (value_at(f, x + dx) - y) / dx) for dx in dxs]


@dataclass
class Taylor:
    """The first-order Taylor picture around a point ``θ`` of a two-parameter loss.

    Attributes:
        point: ``θ``, shape ``(2,)``.
        loss: ``L(θ)``.
        gradient: ``∇L(θ)``, shape ``(2,)``.
        angles: ``(n,)`` directions ``u = (cos α, sin α)`` in radians.
        slopes: ``(n,)`` ``uᵀ∇L = |∇L| cos β``, the rate the loss changes along each ``u``.
        best_angle: the angle of ``−∇L``, where ``cos β = −1`` and the slope is ``−|∇L|``.
        etas: ``(m,)`` step lengths along ``−∇L/|∇L|``.
        real: ``(m,)`` the real ``L(θ − η ∇L/|∇L|)``.
        predicted: ``(m,)`` the straight line ``L(θ) + η uᵀ∇L = L(θ) − η |∇L|``.
    """

    point: np.ndarray
    loss: float
    gradient: np.ndarray
    angles: np.ndarray
    slopes: np.ndarray
    best_angle: float
    etas: np.ndarray
    real: np.ndarray
    predicted: np.ndarray

    def gap(self) -> np.ndarray:
        """``(m,)`` how far the first-order prediction is from the real loss at each ``η``."""
        return np.abs(self.real - self.predicted)


def taylor(problem: Problem | str, at: Sequence[float] | None = None, *,
           etas: Sequence[float] | None = None, directions: int = 72) -> Taylor:
    """Why step against the gradient: ``L(θ + ηu) ≈ L(θ) + η uᵀ∇L``, smallest for ``u = −∇L``.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        at: the point ``θ`` (default: the problem's start).
        etas: step lengths to compare the prediction with the real loss (default: 40 from 0
            to a quarter of the window's width).
        directions: how many unit directions around the circle.

    Raises:
        ValueError: where the gradient is zero (every direction is as good) or not finite.

    >>> import descend as dc
    >>> t = taylor("quadratic", at=(1.0, 0.0), etas=[0.0, 0.5, 1.0])
    >>> t.gradient.tolist(), round(t.best_angle, 4), t.predicted.tolist(), t.real.tolist()
    ([1.0, 0.0], 3.1416, [0.5, 0.0, -0.5], [0.5, 0.125, 0.0])
    """
    problem = get_problem(problem)
    point = np.asarray(problem.start if at is None else at, dtype=np.float64)
    if point.shape != (2,):
        raise ValueError(f"taylor: at must be two numbers (a, b), got {at!r}")
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 4:
        raise ValueError(f"taylor: directions must be an integer of at least 4, got "
                         f"{directions!r}")
    gradient = np.array([g.item() for g in problem.gradient(*point)])
    norm = float(np.linalg.norm(gradient))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"taylor: the gradient at {point.tolist()} is {gradient.tolist()}; "
                         "the Taylor picture needs a finite, non-zero gradient")
    (a0, a1), _ = problem.bounds
    etas = np.linspace(0.0, (a1 - a0) / 4, 40) if etas is None else np.asarray(etas, float)
    angles = np.linspace(0.0, 2 * np.pi, directions, endpoint=False)
    slopes = np.cos(angles) * gradient[0] + np.sin(angles) * gradient[1]
    down = -gradient / norm
    loss = problem.value(*point)
    real = problem.grid(point[0] + etas * down[0], point[1] + etas * down[1])
    best = float(np.arctan2(down[1], down[0]) % (2 * np.pi))
    return Taylor(point, loss, gradient, angles, slopes, best, etas, np.asarray(real),
                  loss - etas * norm)
