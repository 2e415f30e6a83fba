"""The momentum lab: why momentum helps on ill-conditioned problems, in theory and measured.

On the quadratic ``½(x² + κ·y²)`` (curvatures μ = 1 and L = κ), gradient descent with its best
step ``2/(L + μ)`` shrinks the error by ``(κ − 1)/(κ + 1)`` per step. Heavy-ball momentum
(Polyak, 1964) with step ``4/(√L + √μ)²`` and momentum ``((√κ − 1)/(√κ + 1))²`` shrinks it by
``(√κ − 1)/(√κ + 1)``: for κ = 100, 0.98 against 0.82 — about ten times fewer steps.
The lab runs ``dc.optim.SGD`` with those settings and measures the rates.

>>> import descend as dc
>>> s = dc.lab.optimal_settings(100.0)
>>> round(s.gd_lr, 4), round(s.momentum_lr, 4), round(s.momentum, 4)
(0.0198, 0.0331, 0.6694)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from descend.lab.problems import Quadratic
from descend.lab.races import Race, race


@dataclass(frozen=True)
class Settings:
    """The best hyperparameters and the convergence rates they give, for one κ.

    Attributes:
        condition_number: κ = L/μ.
        gd_lr: gradient descent's best step ``2/(L + μ)``.
        gd_rate: its error contraction per step ``(κ − 1)/(κ + 1)``.
        momentum_lr: heavy ball's best step ``4/(√L + √μ)²``.
        momentum: heavy ball's best momentum ``((√κ − 1)/(√κ + 1))²``.
        momentum_rate: its contraction per step ``(√κ − 1)/(√κ + 1)``.

    >>> import descend as dc
    >>> dc.lab.optimal_settings(1.0).momentum      # κ = 1: one step of GD solves it
    0.0
    """

    condition_number: float
    gd_lr: float
    gd_rate: float
    momentum_lr: float
    momentum: float
    momentum_rate: float


def optimal_settings(condition_number: float, *, mu: float = 1.0) -> Settings:
    """The best step sizes and momentum for a quadratic with curvatures ``mu`` and ``κ·mu``.

    Args:
        condition_number: κ ≥ 1.
        mu: the smallest curvature (1 for :class:`~descend.lab.problems.Quadratic`).

    >>> import descend as dc
    >>> s = dc.lab.optimal_settings(4.0)
    >>> s.gd_rate, round(s.momentum_rate, 6)
    (0.6, 0.333333)
    """
    k = float(condition_number)
    if not k >= 1 or not mu > 0:
        raise ValueError(f"optimal_settings: need condition_number >= 1 and mu > 0, got "
                         f"{condition_number!r} and {mu!r}")
    big = k * mu
    root = math.sqrt(k)
    rate = (root - 1) / (root + 1)
    return Settings(k, 2 / (big + mu), (k - 1) / (k + 1),
                    4 / (math.sqrt(big) + math.sqrt(mu)) ** 2, rate**2, rate)


def measured_rate(params: np.ndarray, minimum: Sequence[float], *, floor: float = 1e-11
                  ) -> float:
    """The error's contraction per step over the second half of a run: ``(e_K / e_{K/2})^(2/K)``.

    Only the steps whose distance to the minimum is above ``floor`` × the starting distance
    count (below that, rounding dominates).

    Args:
        params: ``(steps + 1, 2)`` parameters of a trajectory.
        minimum: the minimiser.
        floor: the relative error below which steps are ignored.

    >>> import numpy as np
    >>> path = np.array([[0.5 ** k, 0.0] for k in range(20)])
    >>> round(measured_rate(path, (0.0, 0.0)), 6)
    0.5
    """
    errors = np.linalg.norm(np.asarray(params) - np.asarray(minimum), axis=1)
    usable = int(np.argmax(errors <= floor * errors[0])) if (errors <= floor * errors[0]).any() \
        else errors.size
    if usable < 3:
        return 0.0
    last = usable - 1
    half = last // 2
    return float((errors[last] / errors[half]) ** (1.0 / (last - half)))


@dataclass
class MomentumLab:
    """Predicted and measured rates for each condition number, and the races behind them.

    Attributes:
        settings: the optimal :class:`Settings` for each κ.
        measured_gd: gradient descent's measured rate for each κ.
        measured_momentum: heavy ball's measured rate for each κ.
        races: the ``GD`` and ``Momentum`` runs for each κ.

    >>> import descend as dc
    >>> lab = dc.lab.momentum_lab([100.0], steps=50)
    >>> bool(lab.measured_momentum[0] < lab.measured_gd[0])
    True
    """

    settings: list[Settings]
    measured_gd: np.ndarray
    measured_momentum: np.ndarray
    races: list[Race]

    def table(self) -> str:
        """The results as a text table.

        >>> import descend as dc
        >>> print(dc.lab.momentum_lab([10.0], steps=100).table())
            κ   GD lr  rate (pred / measured)   HB lr  momentum  rate (pred / measured)
           10  0.1818     0.8182 / 0.8182      0.2309   0.2699      0.5195 / 0.5355
        """
        lines = ["    κ   GD lr  rate (pred / measured)   HB lr  momentum  rate (pred / measured)"]
        for s, g, m in zip(self.settings, self.measured_gd, self.measured_momentum):
            lines.append(f"{s.condition_number:5g}  {s.gd_lr:.4f}     {s.gd_rate:.4f} / {g:.4f}"
                         f"      {s.momentum_lr:.4f}   {s.momentum:.4f}      "
                         f"{s.momentum_rate:.4f} / {m:.4f}")
        return "\n".join(lines)


def momentum_lab(condition_numbers: Sequence[float] = (2, 5, 10, 30, 100, 300, 1000), *,
                 steps: int = 300) -> MomentumLab:
    """Run GD and heavy-ball momentum (``dc.optim.SGD``) with their best settings for each κ.

    Args:
        condition_numbers: the κ values to try.
        steps: optimizer steps per run.

    >>> import descend as dc
    >>> lab = dc.lab.momentum_lab([4.0, 16.0], steps=40)
    >>> lab.measured_gd.round(4).tolist()          # (κ − 1)/(κ + 1)
    [0.6, 0.8824]
    """
    from descend import optim

    if not condition_numbers:
        raise ValueError("momentum_lab: give at least one condition number")
    settings, gd, hb, races = [], [], [], []
    for k in condition_numbers:
        s = optimal_settings(k)
        problem = Quadratic(condition_number=s.condition_number)
        runners = {
            "GD": lambda p, s=s: optim.SGD(p, lr=s.gd_lr),
            "Momentum": lambda p, s=s: optim.SGD(p, lr=s.momentum_lr, momentum=s.momentum),
        }
        result = race(problem, runners, steps=steps)
        settings.append(s)
        gd.append(measured_rate(result["GD"].params, problem.minimum))
        hb.append(measured_rate(result["Momentum"].params, problem.minimum))
        races.append(result)
    return MomentumLab(settings, np.asarray(gd), np.asarray(hb), races)
