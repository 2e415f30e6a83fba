"""Progress display for ``fit``: a bar per epoch (``verbose=1``) or a line each (``verbose=2``).

Both are ordinary callbacks. The bar uses tqdm when installed (``pip install "descend[progress]"``)
and a plain carriage-return line otherwise.

>>> from descend.train.progress import format_logs
>>> format_logs({"loss": 0.123456, "val_loss": 0.2, "lr": 0.01})
'loss 0.1235 · val_loss 0.2000 · lr 0.01'
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from descend.train.callbacks import Callback, Logs


def format_logs(logs: Logs) -> str:
    """``key value`` pairs joined by `` · ``; the learning rate in short form.

    >>> format_logs({"loss": 2.0, "grad_norm/0.kernel": 0.5})
    'loss 2.0000'
    """
    parts = []
    for key, value in logs.items():
        if not isinstance(value, int | float) or key.startswith("grad_norm/"):
            continue
        parts.append(f"{key} {value:.3g}" if key == "lr" else f"{key} {value:.4f}")
    return " · ".join(parts)


class EpochLine(Callback):
    """``verbose=2``: one line per epoch with its time, loss, metrics and validation figures.

    >>> import io
    >>> from descend.train.progress import EpochLine
    >>> out = io.StringIO(); line = EpochLine(stream=out); line.set_params({"epochs": 3})
    >>> line.on_epoch_begin(0); line.on_epoch_end(0, {"loss": 1.0}); out.getvalue()[:11]
    'Epoch 1/3 ·'
    """

    chief_only = True

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        seconds = time.perf_counter() - self._start
        stream = self.stream or sys.stdout
        stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')} · {seconds:.2f}s · "
                     f"{format_logs(logs or {})}\n")
        stream.flush()


class ProgressBar(Callback):
    """``verbose=1``: a bar per epoch with running loss and metrics and the time left.

    >>> import io
    >>> from descend.train.progress import ProgressBar
    >>> bar = ProgressBar(stream=io.StringIO()); bar.set_params({"epochs": 1, "steps": 2})
    >>> bar.on_epoch_begin(0); bar.on_batch_end(0, {"loss": 1.0})
    >>> bar.on_epoch_end(0, {"loss": 1.0})
    """

    chief_only = True

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self._bar: Any = None
        self._start = 0.0
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch, self._start = epoch, time.perf_counter()
        description = f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar = None
            return
        self._bar = tqdm(total=self.params.get("steps"), desc=description, unit="batch",
                         file=self.stream or sys.stdout, leave=True, dynamic_ncols=True)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
            return
        steps = self.params.get("steps") or "?"
        stream = self.stream or sys.stdout
        stream.write(f"\rEpoch {self._epoch + 1}/{self.params.get('epochs', '?')} "
                     f"[{batch + 1}/{steps}] {text}")
        stream.flush()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
            return
        stream = self.stream or sys.stdout
        stream.write(f"\rEpoch {epoch + 1}/{self.params.get('epochs', '?')} · "
                     f"{time.perf_counter() - self._start:.2f}s · {text}\n")
        stream.flush()


def check_verbose(verbose: Any, where: str) -> int:
    """``verbose`` if it is 0, 1 or 2, else a ValueError naming ``where``.

    >>> check_verbose(3, "fit")
    Traceback (most recent call last):
    ...
    ValueError: fit: verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got 3
    """
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0 (silent), 1 (progress bar) or 2 (one line "
                         f"per epoch), got {verbose!r}")
    return int(verbose)


def progress_callback(verbose: int) -> Callback | None:
    """The display for a ``verbose`` level: 0 none, 1 a bar per epoch, 2 a line per epoch.

    >>> type(progress_callback(2)).__name__
    'EpochLine'
    """
    level = check_verbose(verbose, "fit")
    return None if level == 0 else ProgressBar() if level == 1 else EpochLine()
