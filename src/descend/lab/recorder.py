"""``TrajectoryRecorder``: a ``fit`` callback that saves the weights, to draw training's path.

Give it to ``fit``; afterwards it holds the weights at the start, after every ``every`` epochs
(or batches) and at the end, and draws them on the model's loss landscape (the loss ``compile``
chose, on data you give) in one call.

>>> import numpy as np, descend as dc
>>> dc.seed(0)
>>> x = np.linspace(-1, 1, 32).reshape(-1, 1); y = 3 * x + 2
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)])
>>> model.compile(optimizer=dc.optim.SGD(lr=0.2), loss="mse")
>>> recorder = dc.lab.TrajectoryRecorder()
>>> _ = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[recorder])
>>> len(recorder.snapshots), recorder.epochs
(6, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
>>> land = recorder.landscape(x, y, steps=5)
>>> land.losses.shape, land.path[-1].tolist()
((5, 5), [0.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.lab.landscape import Landscape, trajectory_landscape
from descend.train.callbacks import Callback, Logs

UNITS = ("epoch", "batch")


class TrajectoryRecorder(Callback):
    """Save the model's parameters during ``fit``: at the start, every ``every`` units, the end.

    Snapshots accumulate over several ``fit`` calls on the same model (training on continues
    the path); weights equal to the last snapshot are not saved again. Each snapshot is a full
    copy of the parameters, so for a large model record per epoch or every many batches.

    Args:
        every: record after every ``every`` epochs or batches (a positive integer).
        unit: ``"epoch"`` or ``"batch"``.

    Attributes:
        snapshots: the saved weights, first to last, each a list of arrays in
            ``model.parameters()`` order.
        epochs: when each snapshot was taken, in epochs trained since the recorder's first
            ``fit`` (``2.5`` = half-way through the third epoch; the start is ``0.0``).

    >>> import descend as dc
    >>> dc.lab.TrajectoryRecorder(every=10, unit="batch").unit
    'batch'
    """

    def __init__(self, *, every: int = 1, unit: str = "epoch") -> None:
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"TrajectoryRecorder: every must be a positive integer (record "
                             f"after every that many {unit}s), got {every!r}")
        if unit not in UNITS:
            raise ValueError(f"TrajectoryRecorder: unit must be 'epoch' or 'batch', got {unit!r}")
        self.every, self.unit = every, unit
        self.snapshots: list[list[np.ndarray]] = []
        self.epochs: list[float] = []
        self._done = 0.0                 # epochs completed while recording
        self._count = 0
        if unit == "batch":              # listening to batches costs the loop batch logs
            self.on_batch_end = self._after_batch

    # ----------------------------------------------------------------- recording
    def _record(self, when: float) -> None:
        weights = [np.array(p.data) for p in self.model.parameters()]
        if self.snapshots:
            shapes = [w.shape for w in self.snapshots[-1]]
            if [w.shape for w in weights] != shapes:
                raise ValueError(f"TrajectoryRecorder: the model's parameter shapes "
                                 f"{[w.shape for w in weights]} differ from the recorded ones "
                                 f"{shapes}; use a new recorder for another model")
            if all(np.array_equal(a, b) for a, b in zip(weights, self.snapshots[-1])):
                return
        self.snapshots.append(weights)
        self.epochs.append(when)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._count = 0
        self._record(self._done)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._done += 1.0
        if self.unit == "epoch":
            self._count += 1
            if self._count % self.every == 0:
                self._record(self._done)

    def _after_batch(self, batch: int, logs: Logs | None = None) -> None:
        self._count += 1
        if self._count % self.every == 0:
            steps = self.params.get("steps") or batch + 1
            self._record(self._done + (batch + 1) / steps)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._record(self._done)

    # ----------------------------------------------------------------- pictures
    def landscape(self, x: Any, y: Any, *, directions: str | Sequence[Any] = "pca",
                  steps: int = 21, margin: float = 0.25, span: float | None = None,
                  batch_size: int | None = None, sample_weight: Any = None) -> Landscape:
        """The model's loss on ``(x, y)`` on a plane through the last snapshot, with the path.

        The loss is ``model.evaluate(x, y)["loss"]``: the compiled loss (plus any
        regularisation), in eval mode. The model's weights are restored afterwards.

        Args:
            x: inputs ``(n, ...)`` (often the training data).
            y: targets ``(n, ...)``.
            directions: ``"pca"`` (the plane the path moved in most), ``"filter"``
                (two filter-normalised random directions) or two directions of your own.
            steps: grid points per axis (``steps²`` evaluations of the loss).
            margin: room around the path, as a fraction of its extent.
            span: the least half-width of the grid (see ``dc.lab.trajectory_landscape``).
            batch_size: samples per evaluation batch (default: all at once).
            sample_weight: one weight per sample ``(n,)``.

        Returns:
            A ``dc.lab.Landscape`` whose ``path`` runs from the first snapshot to the last,
            which is at ``(0, 0)``.

        >>> import numpy as np, descend as dc
        >>> x = np.linspace(-1, 1, 16).reshape(-1, 1)
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
        >>> recorder = dc.lab.TrajectoryRecorder()
        >>> _ = model.fit(x, 2 * x, epochs=4, verbose=0, callbacks=[recorder])
        >>> recorder.landscape(x, 2 * x, directions="filter", steps=3).alphas.tolist()
        [-1.0, 0.0, 1.0]
        """
        if self.model is None or not self.snapshots:
            raise RuntimeError("TrajectoryRecorder.landscape: nothing recorded yet; train with "
                               "model.fit(..., callbacks=[recorder]) first")
        size = batch_size or len(np.asarray(x))

        def loss_fn() -> float:
            return self.model.evaluate(x, y, batch_size=size, sample_weight=sample_weight)["loss"]

        return trajectory_landscape(loss_fn, self.model.parameters(), self.snapshots,
                                    directions=directions, steps=steps, margin=margin, span=span)

    def plot_landscape(self, x: Any, y: Any, *, path: Any = None, kind: str = "contour",
                       log_scale: bool = False, title: str | None = None,
                       **options: Any) -> Any:
        """Draw :meth:`landscape` with ``dc.viz.plot_landscape``: contours and the path.

        Args:
            x: inputs ``(n, ...)``.
            y: targets ``(n, ...)``.
            path: where to save the picture (``.png``, ``.svg``, ``.pdf``).
            kind: ``"contour"`` (with the path) or ``"3d"``.
            log_scale: colour by ``log10(loss)``.
            title: the title (default: says how many snapshots over how many epochs).
            **options: passed to :meth:`landscape` (``directions``, ``steps``, ``span``, ...).

        Returns:
            The matplotlib ``Figure``.

        >>> import numpy as np, descend as dc
        >>> x = np.linspace(-1, 1, 16).reshape(-1, 1)
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
        >>> recorder = dc.lab.TrajectoryRecorder()
        >>> _ = model.fit(x, 2 * x, epochs=4, verbose=0, callbacks=[recorder])
        >>> recorder.plot_landscape(x, 2 * x, steps=5).axes[0].get_title()
        'training path: 5 snapshots over 4 epochs'
        """
        from descend.viz.lab_plots import plot_landscape

        land = self.landscape(x, y, **options)
        if title is None:
            title = (f"training path: {len(self.snapshots)} snapshots over "
                     f"{self.epochs[-1] - self.epochs[0]:g} epochs")
        return plot_landscape(land, kind=kind, log_scale=log_scale, path=path, title=title)
