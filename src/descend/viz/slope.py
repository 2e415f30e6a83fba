"""The basic picture of gradient descent: the loss of one weight, its slope, and the step taken.

At the current weight the tangent shows the slope ``dL/dw`` (computed by descend's autodiff);
the step goes against it, ``w ← w − lr · dL/dw``. Several steps show the ball rolling down.

>>> import descend as dc
>>> fig = dc.viz.plot_slope(lambda w: (w - 3.0) ** 2, 0.5, lr=0.3, steps=3)
>>> fig.axes[0].get_title()
'w ← w − lr·dL/dw with lr = 0.3'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.functional import value_and_grad
from descend.tensors import Tensor
from descend.viz._figure import PathLike, colors, new_figure, save


def descent_steps(loss_fn: Callable[[Tensor], Tensor], w: float, *, lr: float, steps: int
                  ) -> list[tuple[float, float, float]]:
    """``(w, loss, slope)`` at the start and after each of ``steps`` gradient-descent steps.

    >>> descent_steps(lambda w: w * w, 1.0, lr=0.25, steps=2)
    [(1.0, 1.0, 2.0), (0.5, 0.25, 1.0), (0.25, 0.0625, 0.5)]
    """
    f = value_and_grad(loss_fn)
    points = []
    for _ in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):   # a too-large lr may blow up
            value, slope = f(Tensor(float(w), dtype=np.float64))
        if value.size != 1:
            raise ValueError(f"plot_slope: loss_fn must return one value, got shape {value.shape}")
        points.append((float(w), value.item(), slope.item()))
        w = w - lr * slope.item()
    return points


def plot_slope(loss_fn: Callable[[Tensor], Tensor], w: float, *, lr: float = 0.1,
               steps: int = 1, span: tuple[float, float] | None = None,
               path: PathLike | None = None, name: str = "w") -> Any:
    """Plot ``L(w)``, the tangent at each visited point and each step ``−lr · dL/dw``.

    Args:
        loss_fn: the loss as a function of one weight (a 0-d float64 Tensor in, one value out).
        w: the starting weight.
        lr: the learning rate.
        steps: how many gradient-descent steps to draw.
        span: the range of weights to plot (default: around the visited points).
        path: where to save.
        name: the weight's name on the axis.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> fig = dc.viz.plot_slope(lambda w: w * w, 1.0, lr=0.25, steps=2)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][1:]
    ['at w = 1: slope 2, step -0.5', 'at w = 0.5: slope 1, step -0.25']
    """
    if not callable(loss_fn):
        raise TypeError(f"plot_slope: loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"plot_slope: steps must be a positive integer, got {steps!r}")
    points = descent_steps(loss_fn, float(w), lr=lr, steps=steps)
    ws = np.array([p[0] for p in points])
    if not np.isfinite(ws).all():
        raise ValueError("plot_slope: the steps diverged to infinity; try a smaller lr")
    if span is None:
        width = max(ws.max() - ws.min(), 1.0)
        span = (ws.min() - 0.4 * width, ws.max() + 0.4 * width)
    grid = np.linspace(span[0], span[1], 200)
    curve = np.array([_value(loss_fn, v) for v in grid])
    fig = new_figure(6.4, 4.4, what="plot_slope")
    ax = fig.add_subplot()
    ax.plot(grid, curve, color="black", linewidth=2, label=f"L({name})")
    reach = 0.12 * (span[1] - span[0])
    palette = colors(len(points))
    for (wk, lk, gk), (wn, ln, _), color in zip(points, points[1:], palette):
        ax.plot([wk - reach, wk + reach], [lk - gk * reach, lk + gk * reach], color=color,
                linewidth=2, label=f"at {name} = {wk:.3g}: slope {gk:.3g}, step {wn - wk:+.3g}")
        ax.annotate("", xy=(wn, ln), xytext=(wk, lk),
                    arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.8})
        ax.plot([wk], [lk], "o", color=color, markeredgecolor="black")
    ax.plot([points[-1][0]], [points[-1][1]], "o", color="white", markeredgecolor="black")
    lo, hi = float(np.min(curve)), float(np.max(curve))
    ax.set_ylim(lo - 0.08 * (hi - lo + 1e-9), hi + 0.08 * (hi - lo + 1e-9))
    ax.set_xlim(*span)
    ax.set_xlabel(name)
    ax.set_ylabel("loss")
    ax.set_title(f"{name} ← {name} − lr·dL/d{name} with lr = {lr:g}")
    ax.legend(fontsize=8, loc="best")
    return save(fig, path)


def _value(loss_fn: Callable[[Tensor], Tensor], w: float) -> float:
    return float(loss_fn(Tensor(w, dtype=np.float64)).item())
