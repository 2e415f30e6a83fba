"""Metrics in a compiled step: what the step updates, reads, resets or makes is each call's own,
as eagerly (a replay repeats array operations and recorded calls, not Python)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError
from descend.metrics.base import batch_arrays
from jitcheck import dense_twins, on_arrays

X = np.ones((3, 2), dtype=np.float32)
RNG = np.random.default_rng(1)
BATCHES = [(RNG.standard_normal((6, 4)).astype(np.float32), RNG.integers(0, 3, 6))
           for _ in range(4)]

METRICS = {
    "mae": lambda: dc.metrics.MeanAbsoluteError(),
    "accuracy": lambda: dc.metrics.SparseCategoricalAccuracy(),
    "r2": lambda: dc.metrics.R2Score(),
    "f1": lambda: dc.metrics.F1Score(num_classes=3, average="macro"),
    "confusion": lambda: dc.metrics.ConfusionMatrix(num_classes=3),
}


def _update(metric: dc.metrics.Metric, y: dc.Tensor, logits: dc.Tensor,
            method: str = "update") -> None:
    """``metric.update(...)`` (or ``update_state``) with what this kind of metric takes."""
    update = getattr(metric, method)
    if isinstance(metric, dc.metrics.MeanAbsoluteError | dc.metrics.R2Score):
        update(logits.softmax(axis=-1).max(axis=-1), logits[:, 0])
    elif isinstance(metric, dc.metrics.ConfusionMatrix):
        update(y, dc.argmax(logits, axis=1))
    else:
        update(y, logits)


def _twin_runs(body: Any, metric: Any = None) -> list[tuple[list[Any], Any]]:
    """Eager, then compiled: what each of four calls of ``body``'s step returned (its
    ``"value"``), and ``metric.result()`` after them. ``body(y, logits, metric)`` runs after
    one SGD step of a 4-to-3 classifier."""
    runs = []
    for compiled, model, optimizer in dense_twins(3, 4):
        made = metric() if metric is not None else None

        def step(x, y, model=model, optimizer=optimizer, made=made):
            optimizer.zero_grad()
            logits = model(x)
            loss = dc.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
            loss.backward()
            optimizer.step()
            return {"loss": loss, "value": body(y, logits, made)}

        run = dc.jit(step) if compiled else on_arrays(step)
        values = [np.asarray(run(x, y)["value"]).tolist() for x, y in BATCHES]
        runs.append((values, None if made is None else np.asarray(made.result()).tolist()))
    return runs


@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("method", ["update", "update_state"])
def test_a_metric_updated_in_the_step_counts_every_batch_as_in_eager(name, method):
    """Keras' custom train_step updates its metrics inside the step: each replay updates
    them with its own batch and prediction (they counted the traced batch alone; a direct
    ``update_state``, Keras' name, was refused)."""
    def body(y, logits, metric):
        _update(metric, y, logits, method)

    eager, compiled = _twin_runs(body, METRICS[name])
    assert eager == compiled


@pytest.mark.parametrize("name", METRICS)
def test_a_metric_s_result_returned_by_the_step_is_each_call_s_own(name):
    """A Keras train_step returns ``{m.name: m.result() for m in metrics}``: each call
    returns the metric as it stands after that call, as eagerly (every replay returned the
    value traced at the first call: 0.125 four times where eager gave 0.125, 0.1875, 0.29,
    0.3125)."""
    def body(y, logits, metric):
        _update(metric, y, logits)
        return metric.result()

    eager, compiled = _twin_runs(body, METRICS[name])
    assert eager == compiled
    assert len({str(value) for value in compiled[0]}) > 1  # (the result moves between calls)


@pytest.mark.parametrize("how", ["reset after", "compute", "made in the step", "function"])
def test_a_metric_of_each_batch_alone_is_each_call_s_own(how):
    """A per-batch metric: reset in the step (the reset ran at the trace alone, so replays
    summed every batch), ``compute`` (reset, update, result), a metric made in the step, or
    the plain function, which makes one (each replay returned the traced value)."""
    def body(y, logits, metric):
        if how == "reset after":
            metric.update(y, logits)
            value = metric.result()
            metric.reset()
            return value
        if how == "compute":
            return metric.compute(y, logits)
        if how == "made in the step":
            made = dc.metrics.SparseCategoricalAccuracy()
            made.update(y, logits)
            return made.result()
        return dc.metrics.sparse_categorical_accuracy(y, logits)

    eager, compiled = _twin_runs(body, dc.metrics.SparseCategoricalAccuracy)
    assert eager == compiled
    assert len(set(compiled[0])) > 1


class Doubled(dc.metrics.SparseCategoricalAccuracy):
    """A user's metric whose result calls its parent's."""

    def result(self) -> float:
        return 2 * super().result()


class Counting(dc.metrics.MeanAbsoluteError):
    """A user's metric overriding ``update``, which calls ``update_state``."""

    def update(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight=sample_weight)


@pytest.mark.parametrize("metric", [Doubled, Counting])
def test_a_user_s_metric_is_recorded_as_a_built_in_one(metric):
    def body(y, logits, made):
        _update(made, y, logits)
        return made.result()

    eager, compiled = _twin_runs(body, metric)
    assert eager == compiled


def test_the_program_shows_the_metric_s_calls():
    metric = dc.metrics.MeanAbsoluteError()
    w = dc.tensor([[1.0], [-1.0]], requires_grad=True, name="w")

    def step(x):
        prediction = x @ w
        metric.update(prediction, prediction * 2.0)
        value = metric.result()
        metric.reset()
        return value

    text = str(dc.jit(step).program(X))
    assert "MeanAbsoluteError.update_state(t" in text
    assert "= MeanAbsoluteError.result()\n    MeanAbsoluteError.reset()" in text


def test_the_metric_methods_are_the_classes_own_again_after_a_trace():
    """The recording versions of the methods live only while a step is traced, also when the
    trace fails."""
    before = {cls: dict(vars(cls)) for cls in (dc.metrics.Metric, dc.metrics.MeanMetric, Doubled)}
    metric = Counting()
    step = dc.jit(lambda x: metric.update(x, x) or float(metric.result()))
    with pytest.raises(TraceError):
        step(np.zeros((2, 3), np.float32))
    assert {cls: dict(vars(cls)) for cls in before} == before


@pytest.mark.parametrize("use", [lambda loss, acc: loss * float(acc),
                                 lambda loss, acc: loss if acc > 0.5 else loss * 0.5,
                                 lambda loss, acc: f"{acc:.3f}",
                                 lambda loss, acc: np.asarray(acc),
                                 lambda loss, acc: loss * acc],
                         ids=["float()", "a branch", "formatted", "np.asarray()", "loss * acc"])
def test_computing_with_a_metric_s_result_in_the_step_is_refused(use):
    """A replay makes the recorded call but not the Python that used its value."""
    metric = dc.metrics.MeanAbsoluteError()
    w = dc.tensor([[1.0], [-1.0]], requires_grad=True)

    def step(x):
        loss = (x @ w).sum()
        metric.update(x @ w, x @ w)
        return use(loss, metric.result())

    with pytest.raises(TraceError, match=r"computes with the value MeanAbsoluteError.result\(\)"):
        dc.jit(step)(X)


def test_a_metric_reading_the_batch_in_its_own_update_is_refused():
    """A subclass overriding ``update`` that reads the batch itself would read it once."""
    class Own(dc.metrics.MeanAbsoluteError):
        def update(self, y_true, y_pred, sample_weight=None):
            true, pred = batch_arrays(self.name, y_true, y_pred)
            self.total += float(np.abs(true - pred).sum())
            self.count += len(true)

    metric = Own()
    w = dc.tensor([[1.0], [-1.0]], requires_grad=True)
    step = dc.jit(lambda x: metric.update((x @ w)[:, 0], (x @ w)[:, 0] * 2.0))
    with pytest.raises(TraceError, match=r"a metric reading a batch outside update_state"):
        step(X)
