"""``fit(jit_compile=True)`` hands a whole epoch to the compiled step when nothing watches single
batches (``CompiledStep.run_each``): the History, weights, errors, stops and resumes are those of
the batch-by-batch fit and of the eager fit."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.compiler.step import CompiledStep
from jitcheck import make_step, same

LOSS = dc.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture
def epochs_at_once(monkeypatch):
    """How many times ``run_each`` ran (one call per epoch run at once)."""
    calls = []
    run_each = CompiledStep.run_each

    def counted(self, *args, **kwargs):
        calls.append(self)
        return run_each(self, *args, **kwargs)

    monkeypatch.setattr(CompiledStep, "run_each", counted)
    return calls


class Watching(dc.callbacks.Callback):
    """Listens to every batch (so fit goes batch by batch) and changes nothing."""

    def __init__(self, hook="on_batch_end"):
        super().__init__()
        setattr(self, hook, lambda batch, logs=None: None)


def _data(seed=0, rows=44):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, 6)).astype(np.float32), rng.integers(0, 3, rows)


def _mlp():
    return [dc.nn.Dense(16, activation="relu", input_dim=6), dc.nn.Dropout(0.2), dc.nn.Dense(3)]


def _batchnorm():
    return [dc.nn.Dense(8, input_dim=6), dc.nn.BatchNorm(), dc.nn.Dense(3, kernel_regularizer="l2")]


def _fit(jit_compile, layers, x, y, *, model_class=dc.Sequential, weight=None, **fit_args):
    dc.seed(0)
    model = model_class(layers())
    model.compile(dc.optim.SGD(lr=0.05, momentum=0.9), LOSS, jit_compile=jit_compile)
    settings = {"epochs": 3, "batch_size": 8, "verbose": 0, "seed": 1, **fit_args}
    history = model.fit(x, y, sample_weight=weight, **settings)
    return history.history, model.get_weights(), model


@pytest.mark.parametrize("layers", [_mlp, _batchnorm])
@pytest.mark.parametrize("weighted", [False, True])
def test_an_epoch_at_once_gives_the_batch_by_batch_and_eager_fits(layers, weighted,
                                                                  epochs_at_once):
    x, y = _data(rows=48)   # 36 to train: 4 batches of 8 and one of 4 (a second program)
    weight = np.random.default_rng(1).uniform(0.5, 2.0, len(x)) if weighted else None
    eager = _fit(False, layers, x, y, weight=weight, validation_split=0.25)
    one_by_one = _fit(True, layers, x, y, weight=weight, validation_split=0.25,
                      callbacks=[Watching()])
    assert epochs_at_once == []
    at_once = _fit(True, layers, x, y, weight=weight, validation_split=0.25)
    assert len(epochs_at_once) == 3
    assert at_once[0] == one_by_one[0] == eager[0]
    assert same(at_once[1], one_by_one[1]) and same(at_once[1], eager[1])
    assert len(at_once[2].compiled.jit_steps["train"].programs) == 2


class OwnStep(dc.Sequential):
    def train_step(self, x, y, sample_weight=None, metrics=()):
        return super().train_step(x, y, sample_weight, metrics)


class StopAtBegin(dc.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.model.stop_training = True


@pytest.mark.parametrize("case", [
    {"callbacks": [Watching("on_batch_end")]},
    {"callbacks": [Watching("on_batch_begin")]},
    {"callbacks": [dc.callbacks.TerminateOnNaN()]},
    {"verbose": 1},
    {"metrics": ["accuracy"]},
    {"model_class": OwnStep},
    {"jit_compile": "auto"},
])
def test_an_epoch_goes_batch_by_batch_when_something_watches_single_batches(
        case, epochs_at_once, capsys):
    """Batch callbacks, the progress bar, metrics, an overridden train_step and "auto" (which
    may choose the eager step at a new batch shape) need the batches one by one."""
    x, y = _data()
    fit_args = {k: v for k, v in case.items() if k in ("callbacks", "verbose")}
    dc.seed(0)
    model = case.get("model_class", dc.Sequential)(_mlp())
    model.compile("sgd", LOSS, metrics=case.get("metrics"),
                  jit_compile=case.get("jit_compile", True))
    history = model.fit(x, y, epochs=3, batch_size=8, seed=1, **{"verbose": 0, **fit_args})
    dc.seed(0)
    eager = case.get("model_class", dc.Sequential)(_mlp())
    eager.compile("sgd", LOSS, metrics=case.get("metrics"))
    eager_history = eager.fit(x, y, epochs=3, batch_size=8, seed=1, **{"verbose": 0, **fit_args})
    assert epochs_at_once == []
    assert history.history == eager_history.history
    assert same(model.get_weights(), eager.get_weights())


def test_bad_targets_in_a_later_batch_raise_before_that_batch_changes_weights(epochs_at_once):
    x, y = _data(rows=40)
    y[27] = 7                                        # in the fourth batch (no shuffling)
    weights = []
    for jit_compile, callbacks in ((False, None), (True, [Watching()]), (True, None)):
        dc.seed(0)
        model = dc.Sequential(_mlp())
        model.compile("sgd", LOSS, jit_compile=jit_compile)
        with pytest.raises(ValueError, match=r"label 7 is outside the valid range 0\.\.2"):
            model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                      callbacks=callbacks)
        weights.append(model.get_weights())
    assert len(epochs_at_once) == 1
    assert same(weights[0], weights[1]) and same(weights[0], weights[2])
    dc.seed(0)
    three_steps = dc.Sequential(_mlp())
    three_steps.compile("sgd", LOSS)
    three_steps.fit(x[:24], y[:24], epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert not same(weights[2], dc.Sequential(_mlp()).get_weights())
    assert same(weights[2], three_steps.get_weights())


def test_a_stop_asked_for_as_the_epoch_begins_ends_it_after_one_step(epochs_at_once):
    """As batch by batch: the stop is looked at after each step."""
    x, y = _data()
    eager = _fit(False, _mlp, x, y, callbacks=[StopAtBegin()])
    one_by_one = _fit(True, _mlp, x, y, callbacks=[StopAtBegin(), Watching()])
    at_once = _fit(True, _mlp, x, y, callbacks=[StopAtBegin()])
    assert len(epochs_at_once) == 1 and len(at_once[0]["loss"]) == 1
    assert at_once[0] == one_by_one[0] == eager[0]
    assert same(at_once[1], one_by_one[1]) and same(at_once[1], eager[1])
    assert not same(at_once[1], _fit(True, _mlp, x, y, epochs=0)[1])


def test_stops_and_resumes_are_those_of_the_batch_by_batch_fit(epochs_at_once):
    x, y = _data()
    stop = dc.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    whole = _fit(True, _mlp, x, y, epochs=4)
    stopped = _fit(True, _mlp, x, y, epochs=4, callbacks=[stop])
    assert len(stopped[0]["loss"]) == 2 and stopped[0]["loss"] == whole[0]["loss"][:2]
    dc.seed(0)
    model = dc.Sequential(_mlp())
    model.compile(dc.optim.SGD(lr=0.05, momentum=0.9), LOSS, jit_compile=True)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    resumed = model.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    assert resumed.history["loss"] == whole[0]["loss"][2:]
    assert same(model.get_weights(), whole[1])
    assert len(epochs_at_once) == 4 + 2 + 2 + 2


def test_a_later_batch_of_another_width_fails_before_its_step_as_batch_by_batch(
        epochs_at_once):
    """A one-shot iterator's batches are checked as they come: the second one fails before
    its step, after the first one's (in one call of the compiled step or batch by batch)."""
    x, y = _data(rows=16)
    results = []
    for callbacks in ([Watching()], None):
        dc.seed(0)
        model = dc.Sequential(_mlp())
        model.compile("sgd", LOSS, jit_compile=True)
        batches = iter([(x[:8], y[:8]), (x[8:, :5], y[8:])])
        with pytest.raises(ValueError, match=r"batch 1 has x of shape \(8, 5\)") as caught:
            model.fit(batches, verbose=0, callbacks=callbacks)
        results.append((str(caught.value), model.get_weights()))
    assert len(epochs_at_once) == 1
    assert results[0][0] == results[1][0] and same(results[0][1], results[1][1])


def test_a_train_step_set_on_the_model_is_called_per_batch(epochs_at_once):
    x, y = _data()
    dc.seed(0)
    model = dc.Sequential(_mlp())
    model.compile("sgd", LOSS, jit_compile=True)
    steps = []
    own = model.train_step
    model.train_step = lambda *args, **kwargs: steps.append(1) or own(*args, **kwargs)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert epochs_at_once == [] and len(steps) == 6


def _twin_steps():
    """Two alike models with a compiled step each (dropout draws from the global RNG)."""
    steps = []
    for _ in range(2):
        dc.seed(0)
        model = dc.Sequential(_mlp())
        optimizer = dc.optim.Adam(model.parameters(), lr=0.01)
        steps.append((model, dc.jit(make_step(model, optimizer, LOSS))))
    return steps


def test_run_each_is_a_loop_of_calls():
    """Same losses and weights as calling the step per batch, across a new shape (a trace
    mid-loop) and a parameter array replaced between two runs (the program is traced anew)."""
    x, y = _data(rows=40)
    calls = [(x[i:i + 8], y[i:i + 8]) for i in (0, 8, 16)] + [(x[24:28], y[24:28])] + \
        [(x[i:i + 8], y[i:i + 8]) for i in (28, 0)]
    (model, step), (twin, twin_step) = _twin_steps()
    results = []
    for each in (False, True):
        m, s = (twin, twin_step) if each else (model, step)
        dc.seed(1)
        losses = s.run_each(calls, float) if each else [float(s(*c)) for c in calls]
        m.layers[0].kernel.data = m.layers[0].kernel.data.copy()
        losses += s.run_each(calls[:2], float) if each else [float(s(*c)) for c in calls[:2]]
        results.append((losses, m.get_weights(), len(s.programs)))
    assert results[0][0] == results[1][0] and same(results[0][1], results[1][1])
    assert results[1][2] == 2


def test_run_each_stops_at_a_failing_call_after_the_earlier_steps():
    x, y = _data(rows=24)
    bad = y.copy()
    bad[20] = 9
    calls = [(x[:8], y[:8]), (x[8:16], y[8:16]), (x[16:], bad[16:])]
    (model, step), (twin, twin_step) = _twin_steps()
    dc.seed(1)
    [step(*c) for c in calls[:2]]
    dc.seed(1)
    with pytest.raises(ValueError, match="label 9 is outside"):
        twin_step.run_each(calls, float)
    assert same(model.get_weights(), twin.get_weights())
