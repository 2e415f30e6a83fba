"""The training loop behind ``Model.fit``: epochs of batches, callbacks around them.

:func:`~descend.train.plan.plan_fit` has checked everything first; :func:`run_fit` then runs
epoch after epoch of training steps (:func:`~descend.train.steps.train_step`), evaluates the
validation data after each epoch, logs the learning rate as ``"lr"`` and calls the callbacks.
Epoch ``k`` is repeatable on its own: its sample order comes from ``(seed, k)`` and its random
draws (dropout masks) from ``(seed, k, 1)``, so a run resumed at epoch ``k`` continues exactly.
Batch logs (running loss and metrics) are computed only when a callback listens to batches.

>>> import numpy as np, descend as dc
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
>>> x, y = np.ones((8, 2)), np.zeros((8, 1))
>>> history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, seed=0)
>>> sorted(history.history), len(history.history["loss"])
(['loss', 'lr'], 2)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descend import backend
from descend.data import Dataset
from descend.train.callbacks import CallbackList
from descend.train.loggers import History
from descend.train.progress import progress_callback
from descend.train.steps import evaluate_batches, train_step, unpack

if TYPE_CHECKING:
    from descend.metrics import Metric
    from descend.train.compiled import Compiled
    from descend.train.model import Model
    from descend.train.plan import FitPlan


def run_fit(model: Model, compiled: Compiled, plan: FitPlan,
            callbacks: Sequence[Any] | None) -> History:
    """Run the epochs of ``plan``, calling the callbacks; returns the History.

    >>> import numpy as np, descend as dc
    >>> from descend.train.plan import plan_fit
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
    >>> plan = plan_fit(model, model.compiled, np.ones((6, 1)), np.ones(6), batch_size=4,
    ...                 epochs=2, verbose=0, validation_split=0.0, validation_data=None,
    ...                 shuffle=True, initial_epoch=0, sample_weight=None, class_weight=None,
    ...                 seed=0)
    >>> run_fit(model, model.compiled, plan, None).epoch
    [0, 1]
    """
    history = History()
    display = progress_callback(plan.verbose)
    callback_list = CallbackList([*(callbacks or []), history,
                                  *([display] if display is not None else [])])
    steps = plan.train.num_batches(plan.batch_size) if isinstance(plan.train, Dataset) else \
        len(plan.train) or None
    callback_list.set_model(model)
    names = ["loss", *compiled.metric_names]
    logged = [*names, *(f"val_{n}" for n in names if plan.validation is not None), "lr"]
    callback_list.set_params({"epochs": plan.epochs, "steps": steps, "verbose": plan.verbose,
                              "batch_size": plan.batch_size, "metrics": logged})
    sample = plan.train.y if isinstance(plan.train, Dataset) else plan.train.first()[1]
    metric_objects = compiled.make_metrics(sample.shape, model.output_shape)
    model.stop_training = False
    model.train()
    callback_list.on_train_begin()
    for epoch in range(plan.initial_epoch, plan.epochs):
        callback_list.on_epoch_begin(epoch)
        logs = _run_epoch(model, compiled, plan, epoch, metric_objects, callback_list)
        if plan.validation is not None:
            scores = evaluate_batches(model, compiled, plan.validation, plan.batch_size,
                                      "fit (validation data)")
            logs.update({f"val_{name}": value for name, value in scores.items()})
        logs["lr"] = float(compiled.optimizer.param_groups[0]["lr"])
        model.epochs_trained = epoch + 1
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history


def _batches(model: Model, plan: FitPlan, epoch: int) -> Iterator[tuple[np.ndarray, ...]]:
    """Epoch ``epoch``'s batches: ``(x, y)`` or ``(x, y, sample_weight)``, y shaped."""
    if isinstance(plan.train, Dataset):  # (y was shaped when the plan was made)
        return plan.train.batches(plan.batch_size, shuffle=plan.shuffle, seed=plan.seed,
                                  epoch=epoch)
    return (unpack(model, batch, "fit") for batch in plan.train)


class _EpochGenerator:
    """The generator of one epoch's random draws, ``default_rng([seed, epoch, 1])``, made
    when a layer first draws from it: seeding one costs as much as a small model's training
    step, and most models (no dropout) draw nothing while training.

    >>> import numpy as np
    >>> lazy = _EpochGenerator((3, 1, 1))
    >>> float(lazy.random()) == float(np.random.default_rng([3, 1, 1]).random())
    True
    """

    __slots__ = ("_generator", "_key")

    def __init__(self, key: tuple[int, int, int]) -> None:
        self._key = key
        self._generator: np.random.Generator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._generator is None:
            self._generator = np.random.default_rng(list(self._key))
        return getattr(self._generator, name)


def _logs(total: float, count: int, metric_objects: list[Metric]) -> dict[str, float]:
    """The running loss (sample mean so far) and metrics."""
    return {"loss": total / count if count else float("nan"),
            **{m.name: m.result() for m in metric_objects}}


def _run_epoch(model: Model, compiled: Compiled, plan: FitPlan, epoch: int,
               metric_objects: list[Metric], callbacks: CallbackList) -> dict[str, float]:
    if not model.training:  # a callback switched to eval mode (evaluate/predict restore it)
        model.train()
    for metric in metric_objects:
        metric.reset()
    total, count = 0.0, 0
    batch_begin, batch_end = callbacks.listens("on_batch_begin"), callbacks.listens("on_batch_end")
    with backend.using_rng(_EpochGenerator((plan.seed, epoch, 1))):  # type: ignore[arg-type]
        for step, batch in enumerate(_batches(model, plan, epoch)):
            if batch_begin:
                callbacks.on_batch_begin(step, {})
            x = batch[0]
            loss = train_step(model, compiled, x, batch[1], batch[2] if len(batch) > 2 else None,
                              metric_objects, regularized=plan.regularized)
            total, count = total + loss * len(x), count + len(x)
            if batch_end:
                callbacks.on_batch_end(step, _logs(total, count, metric_objects))
            if model.stop_training:
                break
    return _logs(total, count, metric_objects)
