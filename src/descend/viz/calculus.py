"""Pictures of the calculus behind gradient descent: secants closing in on the tangent, and
the Taylor argument for stepping against the gradient.

>>> import descend as dc
>>> fig = dc.viz.plot_secant(lambda x: x * x, 2.0)
>>> fig.axes[1].get_title()
'Δy/Δx → f′(2) = 4'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.lab.calculus import Function, Taylor, derivative, secant_slopes, taylor, value_at
from descend.lab.problems import Problem, get_problem
from descend.viz._figure import PathLike, colors, new_figure, save
from descend.viz._race_artists import contour_background
from descend.viz.gradients import gradient_arrows


def plot_secant(f: Function, x: float, dxs: Sequence[float] = (1.0, 0.5, 0.25, 0.1), *,
                path: PathLike | None = None, name: str = "x") -> Any:
    """Secants through ``(x, f(x))`` and ``(x + Δx, f(x + Δx))`` for shrinking ``Δx``, the
    tangent they close in on, and their slopes ``Δy/Δx`` beside ``f′(x)``.

    Args:
        f: a function of one number written with descend ops.
        x: where the slope is taken.
        dxs: the ``Δx`` values, largest first.
        path: where to save.
        name: the variable's name on the axis.

    Returns:
        The matplotlib ``Figure``: the curve with its secants and tangent, and the slopes.

    >>> import descend as dc
    >>> fig = dc.viz.plot_secant(lambda x: x * x, 2.0, [0.5])
    >>> fig.axes[0].get_legend().get_texts()[1].get_text()
    'Δx = 0.5: Δy/Δx = 4.5'
    """
    slopes = secant_slopes(f, x, dxs)
    exact = derivative(f, x)
    y = value_at(f, x)
    reach = max(abs(dx) for dx, _ in slopes)
    grid = np.linspace(x - 1.3 * reach, x + 1.3 * reach, 200)
    fig = new_figure(10.0, 4.2, what="plot_secant")
    curve_ax, slope_ax = fig.subplots(1, 2)
    values = np.array([value_at(f, v) for v in grid])
    curve_ax.plot(grid, values, color="black", linewidth=2, label=f"f({name})")
    for color, (dx, m) in zip(colors(len(slopes)), slopes):
        curve_ax.plot(grid, y + m * (grid - x), color=color, linewidth=1.3,
                      label=f"Δ{name} = {dx:g}: Δy/Δ{name} = {m:.4g}")
        curve_ax.plot([x + dx], [value_at(f, x + dx)], "o", color=color, markeredgecolor="black")
    curve_ax.plot(grid, y + exact * (grid - x), color="black", linestyle="--", linewidth=1.5,
                  label=f"tangent: f′({x:g}) = {exact:.4g}")
    curve_ax.plot([x], [y], "o", color="white", markeredgecolor="black", zorder=5)
    curve_ax.set_ylim(values.min() - 0.1 * np.ptp(values), values.max() + 0.1 * np.ptp(values))
    curve_ax.set_xlabel(name)
    curve_ax.set_title("secants close in on the tangent")
    curve_ax.legend(fontsize=8, loc="upper left")
    dx_values = [abs(dx) for dx, _ in slopes]
    slope_ax.plot(dx_values, [m for _, m in slopes], "o-", color="tab:blue", label="Δy/Δx")
    slope_ax.axhline(exact, color="black", linestyle="--", label=f"f′({x:g}) = {exact:.4g}")
    slope_ax.set_xscale("log")
    slope_ax.invert_xaxis()
    slope_ax.set_xlabel(f"Δ{name} (shrinking →)")
    slope_ax.set_ylabel("slope")
    slope_ax.set_title(f"Δy/Δx → f′({x:g}) = {exact:.4g}")
    slope_ax.legend(fontsize=8)
    return save(fig, path)


def plot_taylor(problem: Problem | str, at: Sequence[float] | None = None, *,
                result: Taylor | None = None, path: PathLike | None = None) -> Any:
    """Why step against the gradient, in three panels.

    Left: the loss surface around ``θ`` with ``∇L`` and ``−∇L``. Middle: the rate of change
    ``uᵀ∇L = |∇L| cos β`` along every unit direction ``u``, lowest (``cos β = −1``) at
    ``−∇L``, marked best. Right: along ``−∇L``, the first-order prediction
    ``L(θ) + η uᵀ∇L`` against the real loss as ``η`` grows; where the straight line stops
    being a good guess is why the learning rate must be small.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        at: the point ``θ`` (default: the problem's start).
        result: a :func:`~descend.lab.calculus.taylor` result to draw instead of computing it.
        path: where to save.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> fig = dc.viz.plot_taylor("quadratic", at=(-3.0, 1.5))
    >>> [ax.get_title() for ax in fig.axes][1:]
    ['uᵀ∇L along every direction u', 'along −∇L: prediction vs real loss']
    """
    problem = get_problem(problem)
    t = taylor(problem, at) if result is None else result
    fig = new_figure(14.0, 4.4, what="plot_taylor")
    surface, circle, line = fig.subplots(1, 3)
    contour_background(surface, problem, n=101, levels=20)
    gradient_arrows(surface, problem, t.point[None, :], both=True)
    surface.set_title(f"around θ = ({t.point[0]:.3g}, {t.point[1]:.3g})")
    degrees = np.degrees(t.angles)
    circle.plot(degrees, t.slopes, color="tab:blue", linewidth=2, label="uᵀ∇L = |∇L| cos β")
    circle.axhline(0.0, color="grey", linewidth=0.8)
    best = np.degrees(t.best_angle)
    norm = float(np.linalg.norm(t.gradient))
    circle.plot([best], [-norm], marker="*", color="gold", markersize=16,
                markeredgecolor="black", linestyle="none",
                label=f"u = −∇L/|∇L| (β = 180°): −|∇L| = {-norm:.3g}")
    circle.set_xlabel("direction of u (degrees)")
    circle.set_ylabel("change in loss per unit step")
    circle.set_xticks(np.arange(0, 361, 90))
    circle.set_title("uᵀ∇L along every direction u")
    circle.legend(fontsize=8, loc="upper right")
    line.plot(t.etas, t.real, color="black", linewidth=2, label="real L(θ − η ∇L/|∇L|)")
    line.plot(t.etas, t.predicted, color="tab:red", linestyle="--", linewidth=2,
              label="first order L(θ) − η|∇L|")
    line.set_xlabel("step length η")
    line.set_ylabel("loss")
    line.set_title("along −∇L: prediction vs real loss")
    line.legend(fontsize=8)
    return save(fig, path)
