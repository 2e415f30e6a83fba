"""The pieces of a race picture, drawn once and then moved to any step (stills and animations).

:func:`race_figure` lays out the loss surface with every path, the loss curves and, for model
problems (sigmoid neuron, linear regression), the fitted model through the data;
:meth:`RaceArtists.show` moves every path, marker, curve and label to step ``k``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.lab.problems import Problem
from descend.lab.races import Race, Trajectory
from descend.viz._figure import colors, new_figure

_FLOOR = 1e-12
"""Smallest ``loss − min_loss`` shown on log axes."""


def contour_background(ax: Any, problem: Problem, *, n: int = 121, levels: int = 25) -> None:
    """Draw ``problem``'s loss surface as filled contours with its minimum starred."""
    A, B, L = problem.surface(n)
    gap = np.maximum(L - problem.min_loss, _FLOOR)
    if problem.log_levels:
        lo, hi = np.log10(max(gap.min(), 1e-4)), np.log10(gap.max())
        values, ticks = np.log10(gap), np.linspace(lo, hi, levels)
    else:
        values, ticks = L, np.linspace(L.min(), L.max(), levels)
    ax.contourf(A, B, values, levels=ticks, cmap="Greys_r", alpha=0.6, extend="both")
    ax.contour(A, B, values, levels=ticks, colors="white", linewidths=0.4, alpha=0.6)
    if problem.minimum is not None:
        ax.plot(*problem.minimum, marker="*", color="gold", markersize=14,
                markeredgecolor="black", zorder=5, linestyle="none")
    if problem.local_minimum is not None:
        ax.plot(*problem.local_minimum, marker="*", color="white", markersize=12,
                markeredgecolor="black", zorder=5, linestyle="none")
    (a0, a1), (b0, b1) = problem.bounds
    ax.set_xlim(a0, a1)
    ax.set_ylim(b0, b1)
    ax.set_xlabel(problem.param_names[0])
    ax.set_ylabel(problem.param_names[1])


def loss_axes(ax: Any, race: Race) -> None:
    """Set up ``ax`` for loss-versus-step curves of every runner (log scale, fixed limits)."""
    problem = race.problem
    gaps = [np.maximum(t.losses - problem.min_loss, _FLOOR) for t in race.values()]
    top = max(float(g[0]) for g in gaps) * 10
    bottom = max(min(float(g.min()) for g in gaps) / 3, _FLOOR)
    ax.set_yscale("log")
    ax.set_xlim(0, max(race.steps, 1))
    ax.set_ylim(bottom, top)
    ax.set_xlabel("step")
    ax.set_ylabel("loss" if problem.min_loss == 0 else "loss − min loss")
    ax.grid(True, which="major", alpha=0.3)


def steps_axes(ax: Any, race: Race) -> None:
    """Set up ``ax`` for each step's length ``‖Δθ‖`` and, dashed, the learning rate it used."""
    lengths = [t.step_lengths[t.step_lengths > 0] for t in race.values()]
    lengths = [v for v in lengths if v.size] or [np.ones(1)]
    rates = [t.lrs for t in race.values() if t.lrs is not None and t.lrs.size]
    values = np.concatenate(lengths + rates)
    values = values[np.isfinite(values) & (values > 0)]
    ax.set_yscale("log")
    ax.set_xlim(0, max(race.steps, 1))
    if values.size:
        ax.set_ylim(values.min() / 3, values.max() * 3)
    for color, t in zip(colors(len(race)), race.values()):
        if t.lrs is not None:
            ax.plot(np.arange(1, len(t.lrs) + 1), t.lrs, color=color, linestyle="--",
                    linewidth=1.0, alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("‖Δθ‖ (solid), lr (dashed)")
    ax.set_title("step length and learning rate")
    ax.grid(True, which="major", alpha=0.3)


def fit_axes(ax: Any, problem: Problem) -> np.ndarray:
    """Set up ``ax`` with the data points of a model problem; return the x grid of the curves."""
    x, y = problem.data
    pad = 0.15 * (x.max() - x.min() + 1e-9) + 0.5
    grid = np.linspace(x.min() - pad, x.max() + pad, 200)
    ax.scatter(x, y, color="black", zorder=5, s=25 if x.size > 5 else 60, label="data")
    ax.set_xlim(grid[0], grid[-1])
    span = y.max() - y.min() + 1e-9
    ax.set_ylim(y.min() - 0.6 * span - 0.1, y.max() + 0.6 * span + 0.1)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("the fitted model")
    return grid


@dataclass
class RaceArtists:
    """Every moving part of a race picture, one entry per runner."""

    race: Race
    paths: list[Any] = field(default_factory=list)
    heads: list[Any] = field(default_factory=list)
    curves: list[Any] = field(default_factory=list)
    fits: list[Any] = field(default_factory=list)
    step_curves: list[Any] = field(default_factory=list)
    legend: Any = None
    fit_grid: np.ndarray | None = None
    step_text: Any = None

    def show(self, k: int, *, final: bool = False) -> None:
        """Move everything to step ``k`` (runs that stopped earlier stay where they stopped)."""
        problem = self.race.problem
        for i, t in enumerate(self.race.values()):
            j = min(k, len(t.losses) - 1)
            self.paths[i].set_data(t.params[: j + 1, 0], t.params[: j + 1, 1])
            self.heads[i].set_data([t.params[j, 0]], [t.params[j, 1]])
            self.heads[i].set_marker("X" if t.diverged and j == len(t.losses) - 1 else "o")
            if self.curves:
                gaps = np.maximum(t.losses[: j + 1] - problem.min_loss, _FLOOR)
                self.curves[i].set_data(np.arange(j + 1), gaps)
            if self.fits:
                self.fits[i].set_ydata(problem.predict(*t.params[j], self.fit_grid))
            if self.step_curves:
                self.step_curves[i].set_data(np.arange(1, j + 1), t.step_lengths[:j])
            if self.legend is not None:
                self.legend.get_texts()[i].set_text(_legend_text(t, j, final))
        if self.step_text is not None:
            self.step_text.set_text(f"step {min(k, self.race.steps)} / {self.race.steps}")


def _legend_text(t: Trajectory, j: int, final: bool) -> str:
    if t.diverged and j == len(t.losses) - 1:
        return f"{t.name}: diverged at step {j}"
    text = f"{t.name}: loss {t.losses[j]:.3g}"
    if final and t.steps_to_tol is not None:
        text += f" (≤ tol at {t.steps_to_tol})"
    return text


def race_figure(race: Race, *, losses: bool = True, fit: bool | None = None,
                width: float | None = None, height: float = 4.2) -> tuple[Any, RaceArtists]:
    """Lay out a race picture: surface with paths, loss curves and (model problems) the fit."""
    problem = race.problem
    fit = problem.data is not None if fit is None else fit
    scheduled = any(t.lrs is not None for t in race.values())
    panels = 1 + int(losses) + int(fit) + int(scheduled)
    fig = new_figure(width or 4.4 * panels + 0.4, height, what="race pictures")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    surface = axes[0]
    contour_background(surface, problem)
    surface.set_title(f"{type(problem).__name__}: loss surface")
    artists = RaceArtists(race)
    palette = colors(len(race))
    for color, t in zip(palette, race.values()):
        (path,) = surface.plot([], [], color=color, linewidth=1.6, marker=".", markersize=3,
                               label=t.name)
        (head,) = surface.plot([], [], color=color, markersize=8, markeredgecolor="black",
                               linestyle="none")
        artists.paths.append(path)
        artists.heads.append(head)
    start = next(iter(race.values())).params[0] if race else problem.start
    surface.plot(*start, marker="o", color="white", markeredgecolor="black", markersize=7,
                 linestyle="none", zorder=4)
    if losses:
        loss_axes(axes[1], race)
        axes[1].set_title("loss per step")
        for color, t in zip(palette, race.values()):
            artists.curves.append(axes[1].plot([], [], color=color, linewidth=1.6,
                                               label=t.name)[0])
        artists.step_text = axes[1].text(0.98, 0.97, "", transform=axes[1].transAxes,
                                         ha="right", va="top", fontsize=10)
    if scheduled:
        steps_axes(axes[1 + int(losses)], race)
        for color in palette:
            artists.step_curves.append(axes[1 + int(losses)].plot(
                [], [], color=color, linewidth=1.6, marker=".", markersize=3)[0])
    if fit:
        artists.fit_grid = fit_axes(axes[-1], problem)
        for color in palette:
            artists.fits.append(axes[-1].plot(artists.fit_grid, np.zeros_like(
                artists.fit_grid), color=color, linewidth=1.6)[0])
    legend_ax = axes[1] if losses else surface
    artists.legend = legend_ax.legend(loc="lower left", fontsize=8, framealpha=0.85)
    return fig, artists
