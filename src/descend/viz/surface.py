"""Loss surfaces of two parameters, with the paths optimizers take across them.

>>> import descend as dc
>>> race = dc.lab.race("sigmoid", ["gd", "momentum"], steps=60)
>>> fig = dc.viz.plot_race(race)          # surface + paths, loss per step, fitted sigmoid
>>> len(fig.axes)
3
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.lab.problems import Problem, get_problem
from descend.lab.races import Race
from descend.viz._figure import PathLike, colors, new_figure, save
from descend.viz._race_artists import contour_background, race_figure


def plot_race(race: Race, *, path: PathLike | None = None, fit: bool | None = None) -> Any:
    """The whole race at its end: paths on the contour plot, loss per step, the fitted model.

    Args:
        race: from :func:`descend.lab.race` or :func:`descend.lab.lr_sweep`.
        path: where to save (``.png``, ``.svg``, ``.pdf``).
        fit: draw the fitted model beside (default: for model problems with data).

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> fig = dc.viz.plot_race(dc.lab.lr_sweep("quadratic", steps=20))
    >>> fig.axes[1].get_legend().get_texts()[2].get_text()
    'lr=0.26: diverged at step 16'
    """
    fig, artists = race_figure(race, fit=fit)
    artists.show(race.steps, final=True)
    return save(fig, path)


def plot_contour(problem: Problem | str, race: Race | None = None, *, ax: Any = None,
                 path: PathLike | None = None, n: int = 121, levels: int = 25) -> Any:
    """The loss surface as filled contours (log-spaced for steep problems), paths overlaid.

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        race: trajectories to draw on it, with a legend.
        ax: draw into these matplotlib axes instead of a new figure.
        path: where to save.
        n: grid points per axis.
        levels: number of contour levels.

    >>> import descend as dc
    >>> fig = dc.viz.plot_contour("rosenbrock", n=30)
    >>> fig.axes[0].get_xlabel()
    'x'
    """
    problem = get_problem(problem)
    fig = ax.figure if ax is not None else new_figure(5.2, 4.4, what="plot_contour")
    ax = ax if ax is not None else fig.add_subplot()
    contour_background(ax, problem, n=n, levels=levels)
    ax.set_title(f"{type(problem).__name__}")
    if race is not None:
        for color, t in zip(colors(len(race)), race.values()):
            ax.plot(t.params[:, 0], t.params[:, 1], color=color, linewidth=1.6, marker=".",
                    markersize=3, label=f"{t.name} ({_outcome(t)})")
            ax.plot(*t.params[-1], marker="X" if t.diverged else "o", color=color,
                    markeredgecolor="black", markersize=8, linestyle="none")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.85)
    return save(fig, path)


def _outcome(t: Any) -> str:
    if t.diverged:
        return f"diverged at step {len(t.losses) - 1}"
    return f"loss {t.final_loss:.3g}"


def plot_surface_3d(problem: Problem | str, race: Race | None = None, *,
                    path: PathLike | None = None, n: int = 61, elev: float = 35.0,
                    azim: float = -60.0) -> Any:
    """The loss surface in 3-D with each path drawn on it (log10 height for steep problems).

    Args:
        problem: a :class:`~descend.lab.problems.Problem` or its short name.
        race: trajectories to draw on the surface.
        path: where to save.
        n: grid points per axis.
        elev: viewing elevation in degrees.
        azim: viewing azimuth in degrees.

    >>> import descend as dc
    >>> fig = dc.viz.plot_surface_3d("saddle", n=20)
    >>> fig.axes[0].name
    '3d'
    """
    problem = get_problem(problem)
    fig = new_figure(6.4, 5.0, what="plot_surface_3d")
    ax = fig.add_subplot(projection="3d")
    A, B, L = problem.surface(n)
    height = _height(problem)
    ax.plot_surface(A, B, height(L), cmap="viridis", alpha=0.75, linewidth=0,
                    antialiased=True, rstride=1, cstride=1)
    if race is not None:
        for color, t in zip(colors(len(race)), race.values()):
            inside = _inside(problem, t.params)
            ax.plot(t.params[inside, 0], t.params[inside, 1], height(t.losses[inside]),
                    color=color, linewidth=2.0, label=t.name, zorder=10)
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel(problem.param_names[0])
    ax.set_ylabel(problem.param_names[1])
    ax.set_zlabel("log10(loss − min)" if problem.log_levels else "loss")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(f"{type(problem).__name__}: loss surface")
    return save(fig, path)


def _height(problem: Problem) -> Any:
    if problem.log_levels:
        return lambda L: np.log10(np.maximum(np.asarray(L) - problem.min_loss, 1e-4))
    return lambda L: np.asarray(L)


def _inside(problem: Problem, params: np.ndarray) -> np.ndarray:
    (a0, a1), (b0, b1) = problem.bounds
    return (params[:, 0] >= a0) & (params[:, 0] <= a1) & (params[:, 1] >= b0) & (
        params[:, 1] <= b1)


def plot_race_grid(race: Race, *, columns: int = 3, path: PathLike | None = None) -> Any:
    """One contour panel per runner, side by side, each with its own path and outcome.

    Args:
        race: from :func:`descend.lab.race`.
        columns: panels per row.
        path: where to save.

    >>> import descend as dc
    >>> fig = dc.viz.plot_race_grid(dc.lab.race("beale", ["gd", "adam"], steps=20))
    >>> [ax.get_title().split(":")[0] for ax in fig.axes]
    ['GD', 'Adam']
    """
    if not race:
        raise ValueError("plot_race_grid: the race has no runners")
    count = len(race)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    fig = new_figure(3.6 * columns, 3.3 * rows, what="plot_race_grid")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, color, t in zip(axes, colors(count), race.values()):
        contour_background(ax, race.problem, n=81, levels=20)
        ax.plot(t.params[:, 0], t.params[:, 1], color=color, linewidth=1.6, marker=".",
                markersize=3)
        ax.plot(*t.params[0], marker="o", color="white", markeredgecolor="black",
                linestyle="none")
        ax.plot(*t.params[-1], marker="X" if t.diverged else "o", color=color,
                markeredgecolor="black", markersize=8, linestyle="none")
        ax.set_title(f"{t.name}: {_outcome(t)}", fontsize=10)
    for ax in axes[count:]:
        fig.delaxes(ax)
    return save(fig, path)
