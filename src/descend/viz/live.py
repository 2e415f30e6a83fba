"""Training curves that update while ``fit`` runs: a notebook plot and a terminal chart.

Both are callbacks: ``model.fit(x, y, callbacks=[dc.viz.LivePlot()])``. ``LivePlot`` redraws
:func:`~descend.viz.plot_history` in a notebook cell (and/or saves it to a file) every few
epochs; ``TerminalChart`` prints :func:`~descend.viz.text_chart` every few epochs and at the end.
Neither changes the training: they only read the logs ``fit`` passes them.

>>> import io, numpy as np, descend as dc
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)])
>>> model.compile(optimizer=dc.optim.SGD(lr=0.3), loss="mse")
>>> x = np.linspace(-1, 1, 16).reshape(-1, 1)
>>> out = io.StringIO()
>>> _ = model.fit(x, 2 * x, epochs=6, verbose=0, seed=0,
...               callbacks=[dc.viz.TerminalChart(every=3, height=4, file=out)])
>>> [line for line in out.getvalue().splitlines() if line.startswith("after epoch")]
['after epoch 3 of 6', 'after epoch 6 of 6']
"""

from __future__ import annotations

import io
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TextIO

from descend.train.callbacks import Callback, Logs
from descend.viz._figure import PathLike, picture_path
from descend.viz.history import plot_history, text_chart


class _Curves(Callback, ABC):
    """Collects each epoch's logs and shows them every ``every`` epochs and at the end."""

    chief_only = True

    def __init__(self, every: int | None) -> None:
        super().__init__()
        name = type(self).__name__
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):
            raise ValueError(f"{name}: every must be a positive integer (epochs between "
                             f"updates) or None (only at the end), got {every!r}")
        self.every = every
        self.history: dict[str, list[float]] = {}
        self.updates = 0
        self._shown = -1
        self._last = -1

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.history, self._shown, self._last = {}, -1, -1

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._last = epoch
        if self.every is not None and (epoch + 1) % self.every == 0:
            self._update(epoch)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._last >= 0 and self._shown != self._last:
            self._update(self._last)

    def _update(self, epoch: int) -> None:
        self._shown = epoch
        self.updates += 1
        self._show(f"after epoch {epoch + 1} of {self.params.get('epochs', '?')}")

    @abstractmethod
    def _show(self, caption: str) -> None:
        """Show the curves so far, under ``caption``."""


class TerminalChart(_Curves):
    """Print a character chart of the loss (:func:`~descend.viz.text_chart`) as training runs.

    Args:
        every: epochs between charts (``None``: only one chart, at the end).
        keys: the series to draw (default: ``loss`` and ``val_loss``).
        width: columns of the plotting area.
        height: rows of the plotting area.
        log_scale: space the rows logarithmically.
        file: where to print (default: standard output).

    >>> import descend as dc
    >>> dc.viz.TerminalChart(every=5).every
    5
    """

    def __init__(self, every: int | None = 10, *, keys: Sequence[str] | None = None,
                 width: int = 60, height: int = 12, log_scale: bool = False,
                 file: TextIO | None = None) -> None:
        super().__init__(every)
        self.keys, self.width, self.height, self.log_scale = keys, width, height, log_scale
        self.file = file

    def _show(self, caption: str) -> None:
        chart = text_chart(self.history, keys=self.keys, width=self.width, height=self.height,
                           log_scale=self.log_scale)
        print(f"{caption}\n{chart}", file=self.file or sys.stdout, flush=True)


def notebook_display() -> Any:
    """IPython's ``display`` function when running in a notebook kernel, else ``None``.

    IPython is never imported here: outside IPython (a script, pytest) there is no display.

    >>> notebook_display() is None
    True
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display

    return display


class LivePlot(_Curves):
    """Redraw the training curves (:func:`~descend.viz.plot_history`) every ``every`` epochs.

    In a Jupyter notebook the picture appears under the cell and is replaced at each update.
    With ``path`` it is also saved there each time (overwriting), so a script or a remote run
    can watch the file. With neither a notebook nor a path it warns once and draws nothing.

    Args:
        every: epochs between redraws (``None``: only at the end).
        path: a file to save the picture to at every update (``.png``, ``.svg``, ``.pdf``).
        metrics: the quantities to draw (default: all; see ``plot_history``).
        log_scale: logarithmic y axes.
        title: a title over the panels.

    Attributes:
        figure: the last picture drawn (a matplotlib ``Figure``), or ``None``.
        updates: how many times it was drawn.

    >>> import descend as dc
    >>> dc.viz.LivePlot(path="curves.png", every=2).every
    2
    """

    def __init__(self, every: int | None = 1, *, path: PathLike | None = None,
                 metrics: Sequence[str] | None = None, log_scale: bool = False,
                 title: str | None = None) -> None:
        super().__init__(every)
        if path is not None:
            path = picture_path(path, "LivePlot")
        self.path, self.metrics, self.log_scale, self.title = path, metrics, log_scale, title
        self.figure: Any = None
        self._display: Any = None
        self._handle: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        super().on_train_begin(logs)
        self._display, self._handle = notebook_display(), None
        if self._display is None and self.path is None:
            warnings.warn("LivePlot: not running in a notebook and no path given, so nothing "
                          "will be drawn; give path='curves.png' to save the picture at every "
                          "update", RuntimeWarning, stacklevel=2)

    def _update(self, epoch: int) -> None:
        if self._display is not None or self.path is not None:
            super()._update(epoch)

    def _show(self, caption: str) -> None:
        title = f"{self.title}: {caption}" if self.title else caption
        self.figure = plot_history(self.history, metrics=self.metrics,
                                   log_scale=self.log_scale, path=self.path, title=title)
        if self._display is None:
            return
        from IPython.display import Image

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        image = Image(data=buffer.getvalue(), format="png")
        if self._handle is None:
            self._handle = self._display(image, display_id=True)
        else:
            self._handle.update(image)
