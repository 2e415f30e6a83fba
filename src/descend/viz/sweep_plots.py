"""Pictures of a sweep: the final metric against each hyperparameter, and the best curves.

>>> from descend.distributed import SweepResult, TrialResult
>>> result = SweepResult([
...     TrialResult(0, {"lr": 0.1, "optimizer": "sgd"}, 0, {"loss": 0.5}, {"loss": [1.0, 0.5]}),
...     TrialResult(1, {"lr": 0.01, "optimizer": "adam"}, 0, {"loss": 0.2}, {"loss": [0.9, 0.2]})])
>>> result.varying_settings
['lr', 'optimizer']
>>> len(plot_sweep(result, "loss").axes), len(plot_best_curves(result, "loss", k=1).axes)
(2, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.viz._figure import PathLike, colors, new_figure, save

WHERE = "plot_sweep"


def plot_sweep(result: Any, metric: str, path: PathLike | None = None, *,
               mode: str = "min") -> Any:
    """One panel per hyperparameter: each trial's final ``metric`` against its setting.

    Only the hyperparameters that vary get a panel (all of them when none varies). Floats go
    on a numeric axis (logarithmic when they are positive and span 100× or more); names and
    integers with at most 10 values (seeds, batch sizes) get a column each. The best trial is
    ringed; failed trials are counted in the title.

    Args:
        result: a ``SweepResult`` from ``dc.sweep``.
        metric: the metric to show (``"val_loss"``).
        path: where to save the picture (PNG, SVG or PDF), or None.
        mode: ``"min"`` when lower is better, ``"max"`` when higher is.

    Returns:
        The matplotlib ``Figure``.
    """
    ranked = result.ranked(metric, mode=mode)
    names = result.varying_settings or result.setting_names
    if not ranked or not names:
        raise ValueError(f"{WHERE}: nothing to draw; no trial has a finite {metric!r} or the "
                         "sweep has no hyperparameters")
    fig = new_figure(3.6 * len(names), 3.4, what=WHERE)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    best = ranked[0]
    values = np.array([t.metrics[metric] for t in ranked])
    for ax, name in zip(axes, names):
        settings = [t.settings[name] for t in ranked]
        xs = _positions(ax, settings)
        ax.scatter(xs, values, color=colors(1)[0], alpha=0.75, zorder=2)
        ax.scatter(xs[:1], values[:1], s=160, facecolors="none", edgecolors="crimson",
                   linewidths=2, zorder=3, label=f"best: trial {best.index}")
        ax.set_xlabel(name)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize=8)
    failed = len(result) - len(ranked)
    fig.suptitle(f"{metric} after each of {len(result)} trials"
                 + (f" ({failed} failed or not finite, not shown)" if failed else ""))
    return save(fig, path)


def _positions(ax: Any, settings: list[Any]) -> np.ndarray:
    """x positions of ``settings`` on ``ax``: the numbers themselves, or a column per value
    (names, and integers with few values such as seeds)."""
    numbers = all(isinstance(s, int | float) and not isinstance(s, bool) for s in settings)
    if numbers and (any(isinstance(s, float) for s in settings) or len(set(settings)) > 10):
        xs = np.asarray(settings, dtype=np.float64)
        if xs.min() > 0 and xs.max() >= 100 * xs.min():
            ax.set_xscale("log")
        return xs
    labels = [str(s) for s in (sorted(set(settings)) if numbers else dict.fromkeys(settings))]
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    return np.array([labels.index(str(s)) for s in settings], dtype=np.float64)


def plot_best_curves(result: Any, metric: str, path: PathLike | None = None, *, k: int = 5,
                     mode: str = "min") -> Any:
    """The per-epoch curves of the ``k`` best trials by ``metric``, labelled by their settings.

    For ``val_loss`` the training ``loss`` is drawn too, dashed, in the same colour.

    Returns:
        The matplotlib ``Figure``.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"plot_best_curves: k must be a positive integer, got {k!r}")
    best = [t for t in result.ranked(metric, mode=mode) if metric in t.history][:k]
    if not best:
        raise ValueError(f"plot_best_curves: no trial returned a curve of {metric!r} (return "
                         "the History, or lists of values per epoch, from the trial function)")
    train = metric[4:] if metric.startswith("val_") else None
    fig = new_figure(7.0, 4.2, what="plot_best_curves")
    ax = fig.subplots()
    shown = result.varying_settings or result.setting_names
    for trial, color in zip(best, colors(len(best))):
        label = ", ".join(f"{n}={_short(trial.settings[n])}" for n in shown)
        curve = trial.history[metric]
        ax.plot(range(1, len(curve) + 1), curve, color=color, label=label)
        if train in trial.history:
            ax.plot(range(1, len(trial.history[train]) + 1), trial.history[train],
                    color=color, linestyle="--", alpha=0.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric + (f" (dashed: {train})" if train else ""))
    if all(v > 0 for t in best for v in t.history[metric]):
        ax.set_yscale("log")
    ax.set_title(f"the {len(best)} best trials by {metric}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
