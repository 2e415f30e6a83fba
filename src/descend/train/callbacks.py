"""Callbacks: code that ``fit`` calls at the start and end of training, epochs and batches.

Every live view (progress bar, CSV file, TensorBoard, plots) is a callback; the training loop
has no special paths for them. A callback sees the model (``self.model``), the run's settings
(``self.params``: epochs, steps per epoch, verbose) and a ``logs`` dict (``"loss"``, metrics,
``"val_*"``, ``"lr"``). Setting ``self.model.stop_training = True`` ends training after the
current batch.

>>> from descend.train.callbacks import LambdaCallback
>>> seen = []
>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
>>> cb.on_epoch_end(0, {"loss": 1.5}); seen
[(0, 1.5)]
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

Logs = dict[str, Any]

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
         "on_batch_end")
"""The hooks a callback may override."""


class Callback:
    """Base class: override any of the ``on_*`` hooks; each receives a ``logs`` dict.

    >>> import numpy as np, descend as dc
    >>> class CountBatches(dc.callbacks.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.count = 0
    ...     def on_batch_end(self, batch, logs=None):
    ...         self.count += 1
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
    >>> counter = CountBatches()
    >>> _ = model.fit(np.ones((10, 1)), np.ones(10), batch_size=4, epochs=2, verbose=0,
    ...               callbacks=[counter])
    >>> counter.count
    6
    """

    chief_only = False
    """Whether only rank 0 runs it in data-parallel training: set by callbacks that print or
    write files (progress, CSV, checkpoints, TensorBoard, live plots), so that N processes
    print once and write each file once."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training with the model being trained."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by ``fit`` with ``epochs``, ``steps`` (batches per epoch), ``verbose``,
        ``batch_size`` and ``metrics`` (the keys every epoch's logs will have)."""
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (or when training stopped early)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After each epoch; ``logs`` has the epoch's loss, metrics, val_* and lr."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before each training batch."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After each training batch; ``logs`` has the running averages so far this epoch."""


class CallbackList(Callback):
    """Several callbacks called in order, as one.

    >>> from descend.train.callbacks import CallbackList, LambdaCallback
    >>> calls = []
    >>> both = CallbackList([LambdaCallback(on_train_begin=lambda logs: calls.append("a")),
    ...                      LambdaCallback(on_train_begin=lambda logs: calls.append("b"))])
    >>> both.on_train_begin(); calls
    ['a', 'b']
    """

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        super().__init__()
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks: expected descend Callback objects (dc.callbacks.*), got "
                    f"{type(cb).__name__}; wrap a function in dc.callbacks.LambdaCallback"
                )
        self._hooks = {hook: [getattr(cb, hook) for cb in self.callbacks if _overrides(cb, hook)]
                       for hook in HOOKS}

    def listens(self, hook: str) -> bool:
        """Whether any callback overrides ``hook`` (so the loop can skip building its logs).

        >>> from descend.train.callbacks import CallbackList, TerminateOnNaN
        >>> lst = CallbackList([TerminateOnNaN()])
        >>> lst.listens("on_batch_end"), lst.listens("on_batch_begin")
        (True, False)
        """
        return bool(self._hooks[hook])

    def _each(self, hook: str, *args: Any) -> None:
        for method in self._hooks[hook]:
            method(*args)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._each("on_train_begin", logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._each("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._each("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._each("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._each("on_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._each("on_batch_end", batch, logs)


def _overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (its class or the instance sets it)."""
    return hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)


class LambdaCallback(Callback):
    """A callback made of plain functions, e.g. ``LambdaCallback(on_epoch_end=print)``.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_batch_begin, on_batch_end: ``f(batch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.

    >>> from descend.train.callbacks import LambdaCallback
    >>> LambdaCallback(on_batch_end=lambda batch, logs: None).on_batch_end(0, {})
    """

    def __init__(self, *, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_batch_begin: Callable | None = None,
                 on_batch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for hook, function in hooks.items():
            if function is not None:
                if not callable(function):
                    raise TypeError(f"LambdaCallback: {hook} must be callable")
                setattr(self, hook, function)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying where.

    >>> from descend.train.callbacks import TerminateOnNaN
    >>> TerminateOnNaN().message
    ''
    """

    def __init__(self) -> None:
        super().__init__()
        self.message = ""
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.message = (
                f"TerminateOnNaN: the loss became {loss} at epoch {self._epoch + 1}, batch "
                f"{batch + 1}; training stopped. Try a smaller learning rate, check the data "
                "for NaN/inf, or run under dc.detect_anomaly() to find the op."
            )
            warnings.warn(self.message, RuntimeWarning, stacklevel=2)
            self.model.stop_training = True


class _Monitor(Callback):
    """Shared logic for callbacks that watch one logged quantity (``monitor``) improve."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', "
                             f"got {mode!r}")
        if min_delta < 0:
            raise ValueError(f"{type(self).__name__}: min_delta must be >= 0, got {min_delta}")
        self.monitor, self.min_delta = monitor, float(min_delta)
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "r2", "precision", "recall",
                                                       "f1")) else "min"
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf

    def _current(self, logs: Logs | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            available = ", ".join(sorted(logs or {})) or "nothing"
            warnings.warn(
                f"{type(self).__name__}: '{self.monitor}' is not in the logs (available: "
                f"{available}); did you forget validation data?", RuntimeWarning, stacklevel=3
            )
        return value

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the logged quantity to watch (``"val_loss"`` by default).
        min_delta: a change smaller than this does not count as an improvement.
        patience: how many epochs in a row without improvement end training (as in Keras;
            0 behaves like 1: stop at the first epoch that does not improve).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy-like names).
        restore_best_weights: when it stops training, put back the weights (and buffers) of
            the best epoch; ``best_epoch`` says which one (counting from 0).

    >>> from descend.train.callbacks import EarlyStopping
    >>> EarlyStopping(patience=3).mode
    'min'
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        super().__init__(monitor, mode, min_delta)
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.patience, self.restore_best_weights = int(patience), restore_best_weights
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = self._current(logs)
        if value is None:
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.copy() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.load_state_dict(self.best_weights)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs in a row without an improvement of more than ``min_delta``
    (as in Keras), the optimizer's learning rate becomes ``max(lr * factor, min_lr)``; then
    ``cooldown`` epochs pass before the count starts again.

    >>> from descend.train.callbacks import ReduceLROnPlateau
    >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
    0.5
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta)
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if patience < 0 or cooldown < 0 or min_lr < 0:
            raise ValueError("ReduceLROnPlateau: patience, cooldown and min_lr must be >= 0")
        self.factor, self.patience, self.cooldown = factor, patience, cooldown
        self.min_lr = min_lr
        self.wait = self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = self._current(logs)
        if value is None:
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        if self.cooldown_left > 0:
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            optimizer = self.model.optimizer
            optimizer.lr = max(optimizer.lr * self.factor, self.min_lr)
            self.cooldown_left, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate each epoch from a schedule.

    Args:
        schedule: a ``dc.optim.schedules`` object (its ``step()`` is called after every epoch),
            or a function ``f(epoch, lr) -> new lr`` (or ``f(epoch) -> lr``) called before each.

    >>> from descend.train.callbacks import LearningRateScheduler
    >>> LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch).schedule(2)
    0.025
    """

    def __init__(self, schedule: Any) -> None:
        super().__init__()
        if not (callable(schedule) or hasattr(schedule, "step")):
            raise TypeError("LearningRateScheduler: schedule must be a function of the epoch "
                            "or a dc.optim.schedules object")
        self.schedule = schedule

    def on_train_begin(self, logs: Logs | None = None) -> None:
        owner = getattr(self.schedule, "optimizer", None)
        if owner is not None and owner is not self.model.optimizer:
            raise ValueError("LearningRateScheduler: the schedule was made for another "
                             "optimizer; make it for this model's: "
                             "schedule = ExponentialLR(model.optimizer, ...) after compile")

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if hasattr(self.schedule, "step"):
            return
        optimizer = self.model.optimizer
        lr = self.schedule(epoch, optimizer.lr) if _takes_two(self.schedule) else \
            self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) \
                or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; expected a non-negative number")
        optimizer.lr = float(lr)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if hasattr(self.schedule, "step"):
            self.schedule.step()


def _takes_two(function: Callable[..., Any]) -> bool:
    """Whether ``function`` accepts two positional arguments (``f(epoch, lr)``)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True
