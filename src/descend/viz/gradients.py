"""Gradient arrows on a contour plot: ``∇L`` points uphill across the contour lines, and
gradient descent steps the other way, ``−∇L``.

>>> import descend as dc
>>> fig = dc.viz.plot_gradients("quadratic", at=[(-3.0, 1.5)])
>>> fig.axes[0].get_title()
'Quadratic: ∇L is steepest ascent, −∇L steepest descent'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.lab.problems import Problem, get_problem
from descend.lab.trajectory import Trajectory
from descend.viz._figure import PathLike, new_figure, save
from descend.viz._race_artists import contour_background

UP, DOWN = "tab:red", "tab:blue"
"""The colours of ``∇L`` (steepest ascent) and ``−∇L`` (steepest descent)."""


def gradient_arrows(ax: Any, problem: Problem, points: np.ndarray, *, both: bool = False,
                    length: float | None = None) -> None:
    """Draw ``−∇L`` (and, with ``both``, ``∇L``) at each of ``points`` ``(n, 2)``.

    Arrows are scaled to one ``length`` (default: a twelfth of the window's width), so they
    show direction; the gradient's size is in the legend of :func:`plot_gradients`.
    """
    (a0, a1), _ = problem.bounds
    length = (a1 - a0) / 12 if length is None else length
    ga, gb = problem.gradient(points[:, 0], points[:, 1])
    norm = np.hypot(ga, gb)
    norm[norm == 0] = 1.0
    ua, ub = ga / norm * length, gb / norm * length
    options = {"angles": "xy", "scale_units": "xy", "scale": 1.0, "width": 0.006, "zorder": 6}
    if both:
        ax.quiver(points[:, 0], points[:, 1], ua, ub, color=UP, label="∇L (steepest ascent)",
                  **options)
    ax.quiver(points[:, 0], points[:, 1], -ua, -ub, color=DOWN,
              label="−∇L (steepest descent)", **options)
    ax.plot(points[:, 0], points[:, 1], "o", color="white", markeredgecolor="black",
            markersize=5, zorder=7, linestyle="none")


def plot_gradients(problem: Problem | str, *, at: Sequence[Sequence[float]] | None = None,
                   trajectory: Trajectory | None = None, every: int = 1,
                   path: PathLike | None = None) -> Any:
    """The contour plot with gradient arrows at points and along a path.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        at: points ``(a, b)`` where both ``∇L`` (red) and ``−∇L`` (blue) are drawn
            (default: the problem's start, unless a trajectory is given).
        trajectory: a run (from :func:`descend.lab.race`); ``−∇L`` is drawn at its points,
            showing each step leaving across the contour lines.
        every: draw an arrow at every ``every``-th point of the trajectory.
        path: where to save.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> t = dc.lab.race("quadratic", ["gd"], steps=10)["GD"]
    >>> fig = dc.viz.plot_gradients("quadratic", trajectory=t, every=2)
    >>> len(fig.axes[0].collections[-1].get_offsets())      # the arrows along the path
    6
    """
    problem = get_problem(problem)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"plot_gradients: every must be a positive integer, got {every!r}")
    if at is None and trajectory is None:
        at = [problem.start]
    fig = new_figure(5.6, 4.6, what="plot_gradients")
    ax = fig.add_subplot()
    contour_background(ax, problem, n=101, levels=20)
    if at is not None:
        points = np.asarray(at, dtype=np.float64).reshape(-1, 2)
        gradient_arrows(ax, problem, points, both=True)
        ga, gb = problem.gradient(points[:, 0], points[:, 1])
        ax.plot([], [], " ", label=f"|∇L| at the first point: {np.hypot(ga[0], gb[0]):.3g}")
    if trajectory is not None:
        ax.plot(trajectory.params[:, 0], trajectory.params[:, 1], color="black",
                linewidth=1.2, label=f"{trajectory.name} path")
        gradient_arrows(ax, problem, trajectory.params[::every])
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower left", framealpha=0.85)
    ax.set_title(f"{type(problem).__name__}: ∇L is steepest ascent, −∇L steepest descent")
    return save(fig, path)
