"""The training loop behind ``Model.fit``: checks first, then epochs of the four-step loop.

Each batch: predict (forward), measure the loss, compute the gradient (backward), step
against it (the optimizer). Everything ``fit`` is given is checked before the first step, so
bad input fails fast with a clear message instead of after minutes of training.

>>> from descend.train.loop import check_count
>>> check_count(5, "epochs", "fit")
5
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from descend import backend
from descend.autograd.mode import no_grad
from descend.data import Dataset
from descend.data.batching import check_batch_size as _check_batch_size
from descend.tensor import Tensor
from descend.train.adapter import (
    BatchSource,
    class_weights_to_samples,
    make_dataset,
    match_target_shape,
    split_validation,
    validation_dataset,
)
from descend.train.callbacks import CallbackList
from descend.train.loggers import History
from descend.train.progress import progress_callback

if TYPE_CHECKING:
    from descend.metrics import Metric
    from descend.train.compiled import Compiled
    from descend.train.model import Model


def check_batch_size(batch_size: Any, where: str = "fit") -> int:
    """``batch_size`` as a positive int, or a ValueError naming ``where``."""
    return _check_batch_size(batch_size, where)


def check_count(value: Any, name: str, where: str) -> int:
    """``value`` as a non-negative int, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


@dataclass
class FitPlan:
    """Everything one ``fit`` call will do, decided and checked before training starts."""

    train: Dataset | BatchSource
    validation: Dataset | None
    batch_size: int
    epochs: int
    initial_epoch: int
    shuffle: bool
    seed: int
    verbose: int


def plan_fit(model: Model, x: Any, y: Any, *, batch_size: Any, epochs: Any, verbose: Any,
             validation_split: Any, validation_data: Any, shuffle: bool, initial_epoch: Any,
             sample_weight: Any, class_weight: Mapping[int, float] | None,
             seed: int | None) -> FitPlan:
    """Check the arguments of ``fit``, load and split the data, build the model."""
    size = check_batch_size(batch_size)
    epochs = check_count(epochs, "epochs", "fit")
    initial_epoch = check_count(initial_epoch, "initial_epoch", "fit")
    if initial_epoch > epochs:
        raise ValueError(f"fit: initial_epoch ({initial_epoch}) is after epochs ({epochs}); "
                         "epochs is the epoch to stop at, counting from 0")
    progress_callback(verbose)
    if isinstance(validation_split, bool) or not isinstance(validation_split, int | float) or \
            not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be a fraction in [0, 1), got "
                         f"{validation_split!r}")
    if seed is not None:
        check_count(seed, "seed", "fit")
    data = make_dataset(x, y, sample_weight, "fit", model.dtype)
    validation = None
    if isinstance(data, BatchSource):
        if validation_split or class_weight is not None:
            raise ValueError("fit: validation_split and class_weight need arrays x and y, not "
                             "an iterable of batches")
        first = next(iter(data), None)
        if first is None:
            raise ValueError("fit: the iterable of batches is empty")
        model._ensure_built(first[0].shape)
    else:
        if data.y is None:
            raise ValueError("fit: needs targets y as well as inputs x")
        model._ensure_built(data.x.shape)
        weights = data.sample_weight
        if class_weight is not None:
            by_class = class_weights_to_samples(data.y, class_weight)
            weights = by_class if weights is None else weights * by_class
        data = Dataset(data.x, match_target_shape(data.y, model.output_shape), weights)
        if validation_data is not None:
            validation = validation_dataset(validation_data, model.dtype)
            validation = Dataset(validation.x, match_target_shape(validation.y,
                                                                  model.output_shape),
                                 validation.sample_weight)
        elif validation_split:
            data, validation = split_validation(data, float(validation_split))
    if seed is None:
        seed = model.fit_seed if initial_epoch and model.fit_seed is not None else \
            model.random_seed()
    model.fit_seed = int(seed)
    return FitPlan(data, validation, size, epochs, initial_epoch, bool(shuffle), int(seed),
                   int(verbose))


def run_fit(model: Model, compiled: Compiled, plan: FitPlan,
            callbacks: Sequence[Any] | None) -> History:
    """Run the epochs of ``plan``, calling the callbacks; returns the History."""
    history = History()
    display = progress_callback(plan.verbose)
    callback_list = CallbackList([*(callbacks or []), history,
                                  *([display] if display is not None else [])])
    steps = plan.train.num_batches(plan.batch_size) if isinstance(plan.train, Dataset) else \
        len(plan.train) or None
    callback_list.set_model(model)
    callback_list.set_params({"epochs": plan.epochs, "steps": steps, "verbose": plan.verbose,
                              "batch_size": plan.batch_size})
    sample = plan.train.y if isinstance(plan.train, Dataset) else None
    metric_objects = compiled.make_metrics(None if sample is None else sample.shape,
                                           model.output_shape)
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(plan.initial_epoch, plan.epochs):
        callback_list.on_epoch_begin(epoch)
        logs = _run_epoch(model, compiled, plan, epoch, metric_objects, callback_list)
        if plan.validation is not None:
            scores = evaluate_batches(model, compiled, plan.validation, plan.batch_size)
            logs.update({f"val_{name}": value for name, value in scores.items()})
        logs["lr"] = float(compiled.optimizer.param_groups[0]["lr"])
        model.epochs_trained = epoch + 1
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history


def _batches(plan: FitPlan, epoch: int) -> Iterator[tuple[np.ndarray, ...]]:
    if isinstance(plan.train, Dataset):
        return plan.train.batches(plan.batch_size, shuffle=plan.shuffle, seed=plan.seed,
                                  epoch=epoch)
    return iter(plan.train)


def _run_epoch(model: Model, compiled: Compiled, plan: FitPlan, epoch: int,
               metric_objects: list[Metric], callback_list: CallbackList) -> dict[str, float]:
    model.train()
    for metric in metric_objects:
        metric.reset()
    total, count = 0.0, 0
    logs: dict[str, float] = {}
    with backend.using_rng(np.random.default_rng([plan.seed, epoch, 1])):
        for step, batch in enumerate(_batches(plan, epoch)):
            callback_list.on_batch_begin(step)
            loss, size = train_step(model, compiled, batch, metric_objects)
            total, count = total + loss * size, count + size
            logs = {"loss": total / count, **{m.name: m.result() for m in metric_objects}}
            callback_list.on_batch_end(step, logs)
            if model.stop_training:
                break
    return logs


def _unpack(model: Model, batch: tuple[np.ndarray, ...]) -> tuple[Any, Any, Any]:
    x, y = batch[0], batch[1] if len(batch) > 1 else None
    weights = batch[2] if len(batch) > 2 else None
    if y is None:
        raise ValueError("fit: every batch needs targets y")
    return x, match_target_shape(y, model.output_shape), weights


def train_step(model: Model, compiled: Compiled, batch: tuple[np.ndarray, ...],
               metric_objects: list[Metric]) -> tuple[float, int]:
    """One step of the four-step loop on one batch; returns its loss and its size."""
    x, y, weights = _unpack(model, batch)
    prediction = model(Tensor._wrap(x))
    loss = compiled.batch_loss(y, prediction, weights)
    if model.has_regularizers():
        loss = loss + model.regularization_loss()
    optimizer = compiled.optimizer
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    for metric in metric_objects:
        metric.update(y, prediction.data, sample_weight=weights)
    return float(loss.data), len(x)


@contextlib.contextmanager
def inference_mode(model: Model) -> Iterator[None]:
    """Eval mode and no graph inside the block; the previous modes come back afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode


def evaluate_batches(model: Model, compiled: Compiled, data: Dataset | BatchSource,
                     batch_size: int) -> dict[str, float]:
    """Loss (sample-weighted mean, plus regularisation) and metrics over ``data``."""
    sample = data.y if isinstance(data, Dataset) else None
    metric_objects = compiled.make_metrics(None if sample is None else sample.shape,
                                           model.output_shape)
    total, count = 0.0, 0
    batches = data.batches(batch_size) if isinstance(data, Dataset) else iter(data)
    with inference_mode(model):
        for batch in batches:
            x, y, weights = _unpack(model, batch)
            prediction = model(Tensor._wrap(x))
            total += float(compiled.batch_loss(y, prediction, weights).data) * len(x)
            count += len(x)
            for metric in metric_objects:
                metric.update(y, prediction.data, sample_weight=weights)
        penalty = float(model.regularization_loss().data) if model.has_regularizers() else 0.0
    return {"loss": total / max(count, 1) + penalty,
            **{m.name: m.result() for m in metric_objects}}


def fresh_dataset(x: Any, y: Any, sample_weight: Any, where: str, model: Model) -> Dataset:
    """A checked dataset with targets shaped for the model (for ``train_on_batch``)."""
    data = make_dataset(x, y, sample_weight, where, model.dtype)
    if not isinstance(data, Dataset) or data.y is None:
        raise ValueError(f"{where}: needs arrays x and y")
    model._ensure_built(data.x.shape)
    return Dataset(data.x, match_target_shape(data.y, model.output_shape), data.sample_weight)
