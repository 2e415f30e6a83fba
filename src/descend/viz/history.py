"""Training curves from a ``History``: loss and metrics per epoch, train against validation.

``plot_history`` draws them with matplotlib; ``text_chart`` draws them with plain characters for
a terminal (the compact chart a ``fit`` callback can print).

>>> import descend as dc
>>> print(dc.viz.text_chart({"loss": [4.0, 2.0, 1.0, 0.5]}, width=12, height=4, log_scale=True))
loss
  4 |*
    |    *
    |       *
0.5 |           *
    +------------
     1          4
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descend.viz._figure import PathLike, colors, new_figure, save

_MARKS = "*o+x#@%&"


def history_dict(history: Any) -> dict[str, list[float]]:
    """The ``{name: [value per epoch]}`` dict of a ``History`` object or of a plain dict.

    >>> history_dict({"loss": [1, 0.5]})
    {'loss': [1.0, 0.5]}
    """
    data = getattr(history, "history", history)
    if isinstance(data, Sequence) and not isinstance(data, str):
        data = {"loss": data}
    if not isinstance(data, Mapping) or not data:
        raise TypeError(
            "plot_history: expected a History (with .history), a dict such as "
            f"{{'loss': [...], 'val_loss': [...]}} or a list of losses, got "
            f"{type(history).__name__}"
        )
    return {str(k): [float(v) for v in values] for k, values in data.items()}


def _groups(data: dict[str, list[float]], metrics: Sequence[str] | None) -> list[str]:
    """The quantities to draw: the chosen ones, or all but a learning rate that never changed."""
    names = [k for k in data if not k.startswith("val_")]
    names += [k[4:] for k in data if k.startswith("val_") and k[4:] not in names]
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"plot_history: no values for {', '.join(unknown)}; the history has "
                             f"{', '.join(names)}")
        return list(metrics)
    constant_lr = "lr" in data and len(set(data["lr"])) <= 1
    return [n for n in names if not (n == "lr" and constant_lr)] or names


def plot_history(history: Any, *, metrics: Sequence[str] | None = None, log_scale: bool = False,
                 path: PathLike | None = None, title: str | None = None) -> Any:
    """One panel per quantity (loss first, then each metric), training solid, validation dashed.

    The learning rate ``fit`` logs (``"lr"``) gets a panel of its own when it changed during
    training (a schedule, ``ReduceLROnPlateau``) or when ``metrics`` asks for it.

    Args:
        history: a ``History`` (anything with ``.history``), a dict of lists per epoch (keys
            like ``"loss"``, ``"val_loss"``, ``"mae"``, ``"val_mae"``) or a list of losses.
        metrics: which quantities to draw (default: all of them but a constant ``"lr"``).
        log_scale: use a logarithmic y axis.
        path: where to save.
        title: a title over the panels.

    Returns:
        The matplotlib ``Figure``.

    >>> import descend as dc
    >>> fig = dc.viz.plot_history({"loss": [3, 2, 1.5], "val_loss": [3.2, 2.4, 2.0],
    ...                            "mae": [1.5, 1.2, 1.0]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'mae']
    """
    data = history_dict(history)
    names = _groups(data, metrics)
    fig = new_figure(4.4 * len(names) + 0.4, 3.6, what="plot_history")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        color_train, color_val = colors(2)
        first = "learning rate" if name == "lr" else "training"
        for key, style, color, label in ((name, "-", color_train, first),
                                         (f"val_{name}", "--", color_val, "validation")):
            if key in data:
                values = data[key]
                ax.plot(np.arange(1, len(values) + 1), values, style, color=color,
                        linewidth=1.8, label=label, marker="." if len(values) < 30 else None)
        if log_scale:
            ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save(fig, path)


def text_chart(history: Any, *, width: int = 60, height: int = 12, log_scale: bool = False,
               keys: Sequence[str] | None = None) -> str:
    """A compact chart of values per epoch drawn with characters, for terminals and logs.

    Args:
        history: a ``History``, a dict of lists (every series is drawn with its own mark) or
            one list of values.
        width: columns of the plotting area.
        height: rows of the plotting area.
        log_scale: space the rows logarithmically (values must be positive).
        keys: which series to draw (default: ``loss`` and ``val_loss`` when the history has
            a loss, since one scale suits one quantity; else every series).

    Returns:
        The chart as one string (a legend line first, then the plot).

    >>> print(text_chart({"loss": [3, 2, 1], "val_loss": [3, 2.2, 2.2]}, width=9, height=3))
    * loss   o val_loss
    3 |o
      |    o   o
    1 |        *
      +---------
       1       3
    """
    data = history_dict(history)
    if keys is None:
        keys = [k for k in ("loss", "val_loss") if k in data] if "loss" in data else list(data)
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"text_chart: no series {', '.join(missing)}; have {', '.join(data)}")
    if width < 2 or height < 2:
        raise ValueError(f"text_chart: width and height must be at least 2, got {width}, {height}")
    series = {k: np.asarray(data[k], dtype=np.float64) for k in keys}
    values = np.concatenate([v for v in series.values() if v.size])
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("text_chart: there are no finite values to draw")
    if log_scale and (finite <= 0).any():
        raise ValueError("text_chart: log_scale needs positive values")
    scale = np.log10 if log_scale else (lambda v: v)
    lo, hi = float(scale(finite.min())), float(scale(finite.max()))
    hi = hi if hi > lo else lo + 1.0
    epochs = max(len(v) for v in series.values())
    grid = [[" "] * width for _ in range(height)]
    for mark, v in zip(_MARKS, series.values()):
        for i, value in enumerate(v):
            if not np.isfinite(value):
                continue
            col = 0 if epochs == 1 else round(i * (width - 1) / (epochs - 1))
            row = round((hi - float(scale(value))) * (height - 1) / (hi - lo))
            grid[row][col] = mark
    top, bottom = f"{finite.max():.3g}", f"{finite.min():.3g}"
    pad = max(len(top), len(bottom))
    legend = "   ".join(f"{mark} {k}" for mark, k in zip(_MARKS, keys))
    lines = [legend if len(keys) > 1 else keys[0]]
    for r, row in enumerate(grid):
        label = top if r == 0 else bottom if r == height - 1 else ""
        lines.append(f"{label:>{pad}} |{''.join(row).rstrip()}")
    lines.append(f"{'':>{pad}} +{'-' * width}")
    last = str(epochs)
    lines.append(f"{'':>{pad}}  1{last:>{width - 1}}")
    return "\n".join(lines)
