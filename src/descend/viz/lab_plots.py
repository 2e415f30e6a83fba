"""Pictures of the lab's measurements: loss landscapes, the LR finder and the momentum lab.

>>> import descend as dc
>>> w = dc.tensor([3.0], requires_grad=True)
>>> land = dc.lab.loss_landscape_1d(lambda: (w * w).sum(), [w], direction=[[1.0]], steps=9)
>>> dc.viz.plot_landscape(land).axes[0].get_ylabel()
'loss'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.lab.landscape import Landscape
from descend.lab.lr_finder import LRFinderResult
from descend.lab.momentum import MomentumLab
from descend.viz._figure import PathLike, colors, new_figure, save


def plot_landscape(landscape: Landscape, *, kind: str = "contour", log_scale: bool = False,
                   path: PathLike | None = None, title: str | None = None) -> Any:
    """Draw a 1-D landscape as a curve, a 2-D one as contours or a 3-D surface (with its path).

    Args:
        landscape: from ``dc.lab.loss_landscape_1d``, ``loss_landscape_2d`` or
            ``trajectory_landscape`` (whose training path is drawn on top).
        kind: ``"contour"`` or ``"3d"`` for 2-D landscapes.
        log_scale: show ``log10(loss)``.
        path: where to save.
        title: the title.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> w = dc.tensor([1.0, -1.0], requires_grad=True)
    >>> land = dc.lab.loss_landscape_2d(lambda: (w * w).sum(), [w], steps=5,
    ...                                 directions=[[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> dc.viz.plot_landscape(land, kind="3d").axes[0].name
    '3d'
    """
    if kind not in {"contour", "3d"}:
        raise ValueError(f"plot_landscape: kind must be 'contour' or '3d', got {kind!r}")
    losses = np.log10(np.maximum(landscape.losses, 1e-12)) if log_scale else landscape.losses
    zlabel = "log10(loss)" if log_scale else "loss"
    fig = new_figure(6.0, 4.6, what="plot_landscape")
    if landscape.betas is None:
        ax = fig.add_subplot()
        ax.plot(landscape.alphas, losses, color=colors(1)[0], linewidth=2)
        ax.axvline(0.0, color="gray", linestyle=":", linewidth=1)
        ax.set_xlabel("α (step along the direction)")
        ax.set_ylabel(zlabel)
        ax.grid(True, alpha=0.3)
    elif kind == "3d":
        ax = fig.add_subplot(projection="3d")
        A, B = np.meshgrid(landscape.alphas, landscape.betas)
        ax.plot_surface(A, B, losses, cmap="viridis", alpha=0.85, linewidth=0)
        ax.set_zlabel(zlabel)
    else:
        ax = fig.add_subplot()
        filled = ax.contourf(landscape.alphas, landscape.betas, losses, levels=30,
                             cmap="viridis")
        ax.contour(landscape.alphas, landscape.betas, losses, levels=30, colors="white",
                   linewidths=0.3, alpha=0.5)
        fig.colorbar(filled, ax=ax, label=zlabel)
        if landscape.path is not None:
            p = landscape.path
            ax.plot(p[:, 0], p[:, 1], color="#e11d48", linewidth=1.8, marker=".", markersize=4,
                    label="training path")
            ax.plot(*p[0], "o", color="white", markeredgecolor="black", label="start")
            ax.plot(*p[-1], "*", color="gold", markeredgecolor="black", markersize=14,
                    label="end")
            ax.legend(fontsize=8, loc="best")
    if landscape.betas is not None:
        names = _axis_names(landscape)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    ax.set_title(title or ("loss along a direction" if landscape.betas is None
                           else "loss on a plane through the weights"))
    return save(fig, path)


def _axis_names(landscape: Landscape) -> tuple[str, str]:
    if landscape.explained is None:
        return "α (direction 1)", "β (direction 2)"
    e = landscape.explained
    return f"PC 1 ({100 * e[0]:.1f}% of the path)", f"PC 2 ({100 * e[1]:.1f}%)"


def plot_lr_find(result: LRFinderResult, *, path: PathLike | None = None) -> Any:
    """Loss against learning rate (log axis), smoothed, with the suggested learning rate marked.

    The y axis spans the smoothed loss up to its lowest point, so the blow-up runs off the top.

    Args:
        result: from ``dc.lab.lr_find``, ``lr_find_params`` or ``lr_range_test``.
        path: where to save.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> w = [5.0]
    >>> def step(lr):
    ...     loss = w[0] ** 2; w[0] -= lr * 2 * w[0]; return loss
    >>> fig = dc.viz.plot_lr_find(dc.lab.lr_range_test(step, start_lr=1e-4, end_lr=10,
    ...                                                  steps=40))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    fig = new_figure(6.0, 4.2, what="plot_lr_find")
    ax = fig.add_subplot()
    raw, smooth = colors(2)
    finite = np.isfinite(result.losses)
    ax.plot(result.lrs[finite], result.losses[finite], color=raw, alpha=0.35, label="loss")
    ok = np.isfinite(result.smoothed)
    ax.plot(result.lrs[ok], result.smoothed[ok], color=smooth, linewidth=2, label="smoothed")
    ax.axvline(result.suggestion, color="#b91c1c", linestyle="--",
               label=f"suggested lr {result.suggestion:.2g}")
    ax.set_xscale("log")
    if ok.any():
        smoothed = result.smoothed[ok]
        lowest = int(np.argmin(smoothed))
        low, high = smoothed[lowest], smoothed[:lowest + 1].max()
        room = abs(high - low) + 1e-12
        ax.set_ylim(low - 0.1 * room, high + 0.15 * room)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title("learning-rate finder" + (" (stopped: loss blew up)" if result.diverged else ""))
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8)
    return save(fig, path)


def plot_momentum_lab(lab: MomentumLab, *, show: int = -1, path: PathLike | None = None) -> Any:
    """Left: predicted (lines) and measured (dots) rates against κ; right: one κ's errors.

    Args:
        lab: from ``dc.lab.momentum_lab``.
        show: which condition number's run to draw on the right (an index into the list).
        path: where to save.

    >>> import descend as dc
    >>> fig = dc.viz.plot_momentum_lab(dc.lab.momentum_lab([4.0, 25.0], steps=30))
    >>> fig.axes[1].get_title().startswith("κ = 25")
    True
    """
    fig = new_figure(11.0, 4.4, what="plot_momentum_lab")
    left, right = fig.subplots(1, 2)
    kappas = np.array([s.condition_number for s in lab.settings])
    dense = np.geomspace(kappas.min(), kappas.max(), 200)
    gd_color, hb_color = colors(2)
    left.plot(dense, (dense - 1) / (dense + 1), color=gd_color, label="GD predicted (κ−1)/(κ+1)")
    root = np.sqrt(dense)
    left.plot(dense, (root - 1) / (root + 1), color=hb_color,
              label="momentum predicted (√κ−1)/(√κ+1)")
    left.plot(kappas, lab.measured_gd, "o", color=gd_color, markeredgecolor="black",
              label="GD measured")
    left.plot(kappas, lab.measured_momentum, "s", color=hb_color, markeredgecolor="black",
              label="momentum measured")
    left.set_xscale("log")
    left.set_xlabel("condition number κ")
    left.set_ylabel("error contraction per step")
    left.set_title("convergence rate: prediction vs measurement")
    left.grid(True, which="both", alpha=0.25)
    left.legend(fontsize=8, loc="lower right")
    s, race = lab.settings[show], lab.races[show]
    minimum = np.asarray(race.problem.minimum)
    for name, rate, color in (("GD", s.gd_rate, gd_color), ("Momentum", s.momentum_rate,
                                                              hb_color)):
        t = race[name]
        errors = np.linalg.norm(t.params - minimum, axis=1)
        steps = np.arange(errors.size)
        right.plot(steps, errors, color=color, linewidth=1.8, label=f"{name} measured")
        right.plot(steps, errors[0] * rate**steps, color=color, linestyle="--", linewidth=1,
                   label=f"{name} predicted rate {rate:.3f}")
    right.set_yscale("log")
    right.set_ylim(max(1e-13, right.get_ylim()[0]), None)
    right.set_xlabel("step")
    right.set_ylabel("distance to the minimum")
    right.set_title(f"κ = {s.condition_number:g}: GD lr {s.gd_lr:.3g}; momentum lr "
                    f"{s.momentum_lr:.3g}, γ {s.momentum:.3g}", fontsize=10)
    right.grid(True, alpha=0.25)
    right.legend(fontsize=8)
    return save(fig, path)
