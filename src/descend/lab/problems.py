"""Toy problems with two parameters, where gradient descent can be watched on the whole surface.

Every problem is a loss of two parameters ``(a, b)`` written with descend ops, so the same code
gives gradients for the optimizers (on 0-d tensors) and the whole surface for pictures (on grids
of any shape, evaluated elementwise). Each knows a sensible plotting window, a start, a learning
rate that works for plain gradient descent and one for the adaptive methods, and its minimum.

>>> import descend as dc
>>> p = dc.lab.SigmoidNeuron()
>>> p.param_names, p.start, p.lr
(('w', 'b'), (-2.0, -2.0), 1.0)
>>> round(p.value(-2.0, -2.0), 4)
0.4158
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from descend.autograd.mode import no_grad
from descend.names import lookup
from descend.tensors import ArrayLike, Tensor

Bounds = tuple[tuple[float, float], tuple[float, float]]


class Problem:
    """A loss ``L(a, b)`` of two parameters, with what is needed to run and draw descent on it.

    Attributes:
        name: the short name used by ``descend lab <name>``.
        param_names: how the two parameters are labelled (``("w", "b")``, ``("x", "y")``).
        bounds: ``((a_min, a_max), (b_min, b_max))``, the window pictures show.
        start: where races start unless told otherwise.
        lr: a learning rate that works for plain gradient descent (and momentum, NAG).
        adaptive_lr: a learning rate for Adagrad, RMSprop, Adam and the other adaptive methods.
        minimum: the minimising ``(a, b)``, where known.
        local_minimum: a local minimum that is not global, where the problem has one.
        min_loss: the smallest value of the loss (0 unless a problem says otherwise). A race
            whose starting loss lies below it takes the loss to have no known lower bound and
            judges divergence by how far the loss moved from its start.
        tol: a race counts a run as converged once ``loss - min_loss <= tol``.
        log_levels: whether contour levels should be spaced logarithmically (steep valleys).
        steps: how many steps a race takes by default.

    Subclass it with a ``loss`` written with descend ops (elementwise in ``a`` and ``b``):

    >>> import descend as dc
    >>> class Bowl(dc.lab.Problem):
    ...     name, bounds, start, lr, adaptive_lr = "bowl", ((-2, 2), (-2, 2)), (1.5, 1.0), 0.1, 0.1
    ...     minimum = (0.0, 0.0)
    ...     def loss(self, a, b):
    ...         return a * a + b * b
    >>> Bowl().value(1.0, 2.0), dc.lab.race(Bowl(), ["gd"], steps=3)["GD"].params.shape
    (5.0, (4, 2))
    """

    name: ClassVar[str] = ""
    param_names: tuple[str, str] = ("x", "y")
    bounds: Bounds
    start: tuple[float, float]
    lr: float
    adaptive_lr: float
    minimum: tuple[float, float] | None = None
    local_minimum: tuple[float, float] | None = None
    min_loss: float = 0.0
    tol: float = 1e-3
    log_levels: bool = False
    steps: int = 100

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        """The loss at ``(a, b)``; both tensors have one shape and the result has it too."""
        raise NotImplementedError

    def value(self, a: float, b: float) -> float:
        """The loss at one point, as a Python float."""
        return float(self.grid(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))

    def grid(self, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        """The loss evaluated elementwise on arrays ``a`` and ``b`` (float64, no graph)."""
        with no_grad():
            a_t = Tensor(np.asarray(a, dtype=np.float64), dtype=np.float64)
            b_t = Tensor(np.asarray(b, dtype=np.float64), dtype=np.float64)
            return np.asarray(self.loss(a_t, b_t).data, dtype=np.float64)

    def surface(self, n: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, B, L)``: ``n`` × ``n`` grids of the parameters over ``bounds`` and the loss."""
        if not isinstance(n, int) or n < 2:
            raise ValueError(f"surface: n must be an integer of at least 2, got {n!r}")
        (a0, a1), (b0, b1) = self.bounds
        A, B = np.meshgrid(np.linspace(a0, a1, n), np.linspace(b0, b1, n))
        return A, B, self.grid(A, B)

    def gradient(self, a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``(∂L/∂a, ∂L/∂b)`` at each point of ``a`` and ``b`` (float64, by descend's autodiff).

        >>> import descend as dc
        >>> [g.item() for g in dc.lab.Quadratic(condition_number=10).gradient(1.0, 1.0)]
        [1.0, 10.0]
        """
        a_t = Tensor(np.asarray(a, dtype=np.float64), dtype=np.float64, requires_grad=True)
        b_t = Tensor(np.asarray(b, dtype=np.float64), dtype=np.float64, requires_grad=True)
        self.loss(a_t, b_t).sum().backward()
        return np.asarray(a_t.grad.data), np.asarray(b_t.grad.data)

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The ``(x, y)`` points a model problem is fitted to (``None`` for pure functions)."""
        return None

    def predict(self, a: float, b: float, x: ArrayLike) -> np.ndarray:
        """The fitted model's output at inputs ``x`` for parameters ``(a, b)`` (model problems)."""
        raise TypeError(f"{type(self).__name__} is a pure function: it has no model to predict")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ModelProblem(Problem):
    """A one-input model with parameters ``(w, b)`` fitted to points ``(x, y)``."""

    param_names = ("w", "b")

    def __init__(self, x: ArrayLike, y: ArrayLike, where: str) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape or x.size == 0:
            raise ValueError(
                f"{where}: x and y must be non-empty and the same length, got {x.size} x "
                f"value(s) and {y.size} y value(s)"
            )
        self._x, self._y = x, y

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def model(self, a: Tensor, b: Tensor, x: np.ndarray) -> Tensor:
        """The model's outputs at inputs ``x`` (1-D), shape ``a.shape + x.shape``."""
        raise NotImplementedError

    def predict(self, a: float, b: float, x: ArrayLike) -> np.ndarray:
        with no_grad():
            out = self.model(Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64),
                             np.asarray(x, dtype=np.float64).ravel())
        return np.asarray(out.data)


class SigmoidNeuron(_ModelProblem):
    """One sigmoid neuron ``f(x) = σ(w·x + b)`` fitted to two points with ``Σ ½(f(x) − y)²``.

    The standard lecture example of a plateau: from ``(w, b) = (−2, −2)`` plain gradient descent
    with learning rate 1 crawls for about 50 steps before it finds the way down, while momentum
    (γ = 0.9), NAG and the adaptive methods get there sooner.

    Args:
        points: the ``(x, y)`` points to fit; the lecture's ``(0.5, 0.2)`` and ``(2.5, 0.9)``.

    >>> import descend as dc
    >>> p = dc.lab.SigmoidNeuron()
    >>> p.minimum is not None and p.value(*p.minimum) < 1e-12
    True
    """

    name = "sigmoid"
    bounds = ((-6.0, 6.0), (-6.0, 6.0))
    start = (-2.0, -2.0)
    lr = 1.0
    adaptive_lr = 0.1
    tol = 1e-2
    steps = 150

    def __init__(self, points: Sequence[tuple[float, float]] = ((0.5, 0.2), (2.5, 0.9))) -> None:
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(
                f"SigmoidNeuron: points must be a list of (x, y) pairs, got shape {pts.shape}"
            )
        if not ((pts[:, 1] > 0) & (pts[:, 1] < 1)).all():
            raise ValueError("SigmoidNeuron: every y must lie strictly between 0 and 1, "
                             f"got {pts[:, 1].tolist()}")
        super().__init__(pts[:, 0], pts[:, 1], "SigmoidNeuron")
        if len(pts) == 2 and pts[0, 0] != pts[1, 0]:
            logits = np.log(pts[:, 1] / (1 - pts[:, 1]))
            w = (logits[1] - logits[0]) / (pts[1, 0] - pts[0, 0])
            self.minimum = (float(w), float(logits[0] - w * pts[0, 0]))

    def model(self, a: Tensor, b: Tensor, x: np.ndarray) -> Tensor:
        return (a.unsqueeze(-1) * x + b.unsqueeze(-1)).sigmoid()

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return (0.5 * (self.model(a, b, self._x) - self._y) ** 2).sum(axis=-1)


class LinearRegression(_ModelProblem):
    """A line ``f(x) = w·x + b`` (``kernel·x + bias``) fitted to data by mean squared error.

    Args:
        x: the inputs (a 1-D array); with ``y``, the data to fit.
        y: the targets. Without data, a fixed example: ``y = 2x − 1`` plus a small
            deterministic wiggle at 24 points in ``[−1, 1]``.

    The window is centred on the least-squares solution; ``lr`` is ``1/λ_max`` of the
    loss's (constant) Hessian, a step size that converges without oscillating.

    >>> import descend as dc
    >>> p = dc.lab.LinearRegression([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    >>> [round(v, 6) for v in p.minimum]
    [2.0, 1.0]
    """

    name = "linear"

    def __init__(self, x: ArrayLike | None = None, y: ArrayLike | None = None) -> None:
        if (x is None) != (y is None):
            raise ValueError("LinearRegression: give both x and y, or neither for the example")
        if x is None:
            x = np.linspace(-1.0, 1.0, 24)
            y = 2.0 * x - 1.0 + 0.3 * np.sin(7.0 * x)
        super().__init__(x, y, "LinearRegression")
        design = np.stack([self._x, np.ones_like(self._x)], axis=1)
        (w, b), *_ = np.linalg.lstsq(design, self._y, rcond=None)
        self.minimum = (float(w), float(b))
        self.min_loss = self.value(w, b)
        hessian = 2.0 * design.T @ design / len(self._x)
        self.lr = float(1.0 / np.linalg.eigvalsh(hessian).max())
        self.adaptive_lr = 0.5
        half = (abs(w) + 2.0, abs(b) + 2.0)
        self.bounds = ((w - half[0], w + half[0]), (b - half[1], b + half[1]))
        self.start = (float(w - 0.8 * half[0]), float(b + 0.8 * half[1]))

    def model(self, a: Tensor, b: Tensor, x: np.ndarray) -> Tensor:
        return a.unsqueeze(-1) * x + b.unsqueeze(-1)

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return ((self.model(a, b, self._x) - self._y) ** 2).mean(axis=-1)


class Quadratic(Problem):
    """The ill-conditioned bowl ``½(x² + κ·y²)``: curvatures 1 and κ (the condition number).

    Plain gradient descent zig-zags across the narrow valley. The default ``lr = 1.3/κ`` makes
    it zig-zag visibly while momentum and NAG (γ = 0.9) stay stable (NAG diverges beyond
    ``2(1 + γ)/((1 + 2γ)κ) ≈ 1.36/κ``, plain GD beyond ``2/κ``); the best step for plain
    gradient descent, ``2/(κ + 1)``, and the best momentum are worked out by
    :func:`~descend.lab.momentum.optimal_settings`.

    Args:
        condition_number: κ ≥ 1, the ratio of the largest to the smallest curvature.

    >>> import descend as dc
    >>> dc.lab.Quadratic(condition_number=10).value(1.0, 1.0)
    5.5
    """

    name = "quadratic"
    bounds = ((-5.0, 5.0), (-2.5, 2.5))
    start = (-4.5, 2.0)
    minimum = (0.0, 0.0)
    adaptive_lr = 0.5
    steps = 60

    def __init__(self, condition_number: float = 10.0) -> None:
        if not isinstance(condition_number, int | float) or not condition_number >= 1:
            raise ValueError(
                f"Quadratic: condition_number must be a number of at least 1, got "
                f"{condition_number!r}"
            )
        self.condition_number = float(condition_number)
        self.lr = 1.3 / self.condition_number

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return 0.5 * (a * a + self.condition_number * (b * b))

    def __repr__(self) -> str:
        return f"Quadratic(condition_number={self.condition_number:g})"


class Rosenbrock(Problem):
    """Rosenbrock's banana valley ``(a − x)² + b·(y − x²)²``, minimum at ``(a, a²)``.

    Args:
        a: where the minimum lies along x (1 by default).
        b: how steep the valley walls are (100 by default).

    >>> import descend as dc
    >>> dc.lab.Rosenbrock().value(1.0, 1.0)
    0.0
    """

    name = "rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    start = (-1.5, 2.0)
    lr = 1e-3
    adaptive_lr = 0.1
    log_levels = True
    steps = 500

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = float(a), float(b)
        self.minimum = (self.a, self.a * self.a)

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return (self.a - a) ** 2 + self.b * (b - a * a) ** 2


class Beale(Problem):
    """Beale's function, flat plateaus and sharp ridges, minimum 0 at ``(3, 0.5)``.

    ``(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²``

    >>> import descend as dc
    >>> dc.lab.Beale().value(3.0, 0.5)
    0.0
    """

    name = "beale"
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    start = (1.0, 1.5)
    minimum = (3.0, 0.5)
    lr = 3e-3
    adaptive_lr = 0.1
    log_levels = True
    steps = 300

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        terms = [(c - a + a * b**k) ** 2 for c, k in ((1.5, 1), (2.25, 2), (2.625, 3))]
        return terms[0] + terms[1] + terms[2]


class Saddle(Problem):
    """A saddle point between two valleys: ``x² + y⁴/4 − y²/2``.

    The origin is a saddle (flat gradient, curving up along x and down along y); the minima
    ``−1/4`` lie at ``(0, ±1)``. Started just off the ridge, plain gradient descent lingers near
    the saddle while the adaptive methods escape quickly.

    >>> import descend as dc
    >>> dc.lab.Saddle().value(0.0, 1.0)
    -0.25
    """

    name = "saddle"
    bounds = ((-2.0, 2.0), (-1.6, 1.6))
    start = (1.8, 0.01)
    minimum = (0.0, 1.0)
    min_loss = -0.25
    lr = 0.1
    adaptive_lr = 0.1
    steps = 100

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return a * a + 0.25 * b**4 - 0.5 * (b * b)


TILT = 0.5
"""How much the double well leans: its left well is lower by about ``2 · TILT``."""

_WELLS = np.sort(np.roots([4.0, 0.0, -4.0, TILT]).real)
"""Where the double well's slope ``4w(w² − 1) + TILT`` is zero: two minima around a maximum."""


def double_well(w: Tensor) -> Tensor:
    """The 1-D double well ``(w² − 1)² + w/2``: a global minimum near −1.06, a local one near 0.93.

    >>> import descend as dc
    >>> [round(double_well(dc.tensor(w, dtype="float64")).item(), 3) for w in (-1.0575, 0.9304)]
    [-0.515, 0.483]
    """
    return (w * w - 1.0) ** 2 + TILT * w


class DoubleWell(Problem):
    """Two valleys, one deeper: ``(x² − 1)² + x/2 + y²``, the 1-D double well along x.

    The minimum ``≈ −0.515`` is at ``(−1.06, 0)``; the valley at ``(0.93, 0)``
    (``local_minimum``, loss ``≈ 0.483``) is a local minimum that is not global. From the
    start ``(1.9, 1)`` plain gradient descent rolls into the near, shallower valley and stays;
    momentum (γ = 0.9) carries enough speed over the hump at ``x ≈ 0.13`` to reach the deeper
    one. Random restarts (:func:`~descend.lab.random_restarts.restarts`) find it too.

    >>> import descend as dc
    >>> r = dc.lab.race("double_well", ["gd", "momentum"])
    >>> [round(float(t.params[-1][0]), 2) for t in r.values()]
    [0.93, -1.06]
    """

    name = "double_well"
    bounds = ((-2.0, 2.0), (-1.5, 1.5))
    start = (1.9, 1.0)
    minimum = (float(_WELLS[0]), 0.0)
    local_minimum = (float(_WELLS[2]), 0.0)
    min_loss = float((_WELLS[0] ** 2 - 1.0) ** 2 + TILT * _WELLS[0])
    lr = 0.02
    adaptive_lr = 0.1
    tol = 1e-2
    steps = 150

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return double_well(a) + b * b


PROBLEMS: dict[str, type[Problem]] = {
    cls.name: cls for cls in (SigmoidNeuron, LinearRegression, Quadratic, Rosenbrock, Beale, Saddle,
                              DoubleWell)
}
"""Every toy problem by its short name (what ``descend lab <name>`` accepts)."""


def get_problem(problem: str | Problem) -> Problem:
    """A problem instance from its short name (see :data:`PROBLEMS`), or ``problem`` itself.

    >>> import descend as dc
    >>> dc.lab.get_problem("rosenbrock")
    Rosenbrock()
    """
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, str):
        return lookup("lab", "problem", problem, PROBLEMS)()
    raise TypeError(f"lab: expected a Problem or a problem's name, got {type(problem).__name__}")

