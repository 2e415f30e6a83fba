"""Callbacks that write things down: History, CSV files, checkpoints, gradient norms, TensorBoard.

>>> from descend.train.loggers import History
>>> h = History()
>>> h.on_epoch_end(0, {"loss": 2.0, "val_loss": 2.5}); h.on_epoch_end(1, {"loss": 1.0})
>>> h.history
{'loss': [2.0, 1.0], 'val_loss': [2.5]}
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from descend.train.callbacks import Callback, Logs, _Monitor


class History(Callback):
    """Records every epoch's logs: ``history["loss"]``, ``history["val_mae"]``, ``history["lr"]``.

    ``fit`` returns it. ``epoch`` lists the epoch numbers recorded.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
    >>> history = model.fit(np.ones((4, 1)), np.ones(4), epochs=2, verbose=0)
    >>> history.epoch, sorted(history.history)
    ([0, 1], ['loss', 'lr'])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History({len(self.epoch)} epochs: {keys})"


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: the epoch, then every logged value.

    The columns are the first epoch's log keys, in the order the logs hold them (``loss``,
    metrics, ``val_*``, ``lr``). With ``append=True`` an existing file is continued under its
    own header (to resume training).

    >>> import tempfile, os
    >>> from descend.train.loggers import CSVLogger
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> log = CSVLogger(path); log.on_train_begin()
    >>> log.on_epoch_end(0, {"loss": 0.5}); log.on_train_end()
    >>> from pathlib import Path
    >>> Path(path).read_text().splitlines()
    ['epoch,loss', '0,0.5']
    """

    chief_only = True

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        from pathlib import Path  # (csv and pathlib load with the first CSVLogger)

        super().__init__()
        self.filename, self.separator, self.append = Path(filename), separator, append
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        import csv

        from descend.paths import output_file  # (pathlib loads with the first file written)

        output_file(self.filename, "CSVLogger", example="log.csv")
        resume = self.append and self.filename.exists() and self.filename.stat().st_size > 0
        if resume:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self._keys = header[1:] if header else None
        self._file = open(self.filename, "a" if resume else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)
        if not resume:
            self._keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = list(logs)
            self._writer.writerow(["epoch", *self._keys])
        self._writer.writerow([epoch, *[logs.get(k, "") for k in self._keys]])
        self._file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class ModelCheckpoint(_Monitor):
    """Save the model (atomically: temp file, then rename) after epochs.

    Args:
        filepath: where to save; may contain ``{epoch}`` and log names, e.g.
            ``"ckpt-{epoch:02d}-{val_loss:.2f}.safetensors"``. Its folder must exist (checked
            when training begins).
        monitor, mode, min_delta: with ``save_best_only``, what counts as better.
        save_best_only: save only when ``monitor`` improves.
        include_optimizer: also save the optimizer state and epoch (exact resume).

    >>> from descend.train.loggers import ModelCheckpoint
    >>> ModelCheckpoint("best.safetensors", save_best_only=True).monitor
    'val_loss'
    """

    chief_only = True

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto", min_delta: float = 0.0,
                 include_optimizer: bool = True) -> None:
        super().__init__(monitor, mode, min_delta)
        self.filepath, self.save_best_only = str(filepath), save_best_only
        self.include_optimizer = include_optimizer
        self.last_saved: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        from descend.paths import output_file

        if "{" not in os.path.dirname(self.filepath):  # a folder to fill in is checked on save
            output_file(self.filepath, "ModelCheckpoint", example="model.safetensors")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from descend.io import save

        logs = logs or {}
        if self.save_best_only:
            value = self._current(logs)
            if value is None or not self._improved(value):
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as err:
            raise ValueError(f"ModelCheckpoint: the file name {self.filepath!r} uses "
                             f"{err.args[0]}, which is not in the logs; available: epoch, "
                             f"{', '.join(logs)}") from None
        save(self.model, path, include_optimizer=self.include_optimizer, epoch=epoch + 1)
        self.last_saved = path


class GradientNormLogger(Callback):
    """Log each parameter's gradient norm per epoch; warn on vanishing or exploding gradients.

    The norms of the epoch's last batch are logged as ``grad_norm/<parameter name>`` and kept in
    ``self.norms`` (one dict per epoch).

    Args:
        vanishing: warn when a layer's gradient norm is below this.
        exploding: warn when it is above this.

    >>> from descend.train.loggers import GradientNormLogger
    >>> GradientNormLogger(vanishing=1e-7).vanishing
    1e-07
    """

    def __init__(self, vanishing: float = 1e-6, exploding: float = 1e3) -> None:
        super().__init__()
        if not 0 <= vanishing < exploding:
            raise ValueError(f"GradientNormLogger: expected 0 <= vanishing < exploding, got "
                             f"vanishing={vanishing!r}, exploding={exploding!r}")
        self.vanishing, self.exploding = vanishing, exploding
        self.norms: list[dict[str, float]] = []
        self._grads: list[tuple[str, Any]] = []

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        # Keep references only; the norms are computed once, at the end of the epoch.
        self._grads = [(name, p.grad) for name, p in self.model.named_parameters()
                       if p.grad is not None]

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        norms = {name: float(np.linalg.norm(grad.numpy())) for name, grad in self._grads}
        self.norms.append(norms)
        for name, norm in norms.items():
            if logs is not None:
                logs[f"grad_norm/{name}"] = norm
            if norm < self.vanishing:
                warnings.warn(f"GradientNormLogger: the gradient of '{name}' is vanishing "
                              f"(norm {norm:.3g} at epoch {epoch + 1}, below {self.vanishing:g})"
                              "; earlier layers barely learn. Try ReLU instead of sigmoid/tanh, "
                              "a better initialiser or BatchNorm", RuntimeWarning, stacklevel=2)
            elif norm > self.exploding or not math.isfinite(norm):
                warnings.warn(f"GradientNormLogger: the gradient of '{name}' is exploding "
                              f"(norm {norm:.3g} at epoch {epoch + 1}, above {self.exploding:g})"
                              "; try a smaller learning rate or dc.optim.clip_grad_norm",
                              RuntimeWarning, stacklevel=2)


class TensorBoard(Callback):
    """Write every epoch's logs as TensorBoard scalars.

    ``log_dir`` is a folder this callback owns: it is created (with its parents) when missing,
    as Keras and torch do, unlike the files other writers write, whose folder must exist.
    Needs the tensorboard extra: ``pip install "descend[tensorboard]"``.

    >>> import tempfile
    >>> from descend.train.loggers import TensorBoard
    >>> tb = TensorBoard(tempfile.mkdtemp()); tb.on_train_begin()
    >>> tb.on_epoch_end(0, {"loss": 1.0}); tb.on_train_end()
    """

    chief_only = True

    def __init__(self, log_dir: str | os.PathLike = "logs") -> None:
        super().__init__()
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError(
                "TensorBoard needs the tensorboardX package: pip install \"descend[tensorboard]\""
            ) from None
        self._writer_class = SummaryWriter
        self.log_dir = str(log_dir)
        self._writer: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._writer = self._writer_class(self.log_dir)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for key, value in (logs or {}).items():
            if isinstance(value, int | float) and math.isfinite(value):
                self._writer.add_scalar(key, value, epoch + 1)
        self._writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
