"""Before its first step, a compiled fit whose step is already traced for batches like the first
one tries that batch with the step's own data checks (``CompiledStep.check``) instead of a trial
forward pass: the same errors, raised before any callback runs or any weight changes."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import tracing
from descend.train import trainer

LOSS = dc.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture
def trial_passes(monkeypatch):
    """The batches ``fit`` tried with a forward pass (``check_batch``)."""
    calls = []
    check_batch = trainer.check_batch

    def counted(model, compiled, batch, where, device):
        calls.append(where)
        return check_batch(model, compiled, batch, where, device)

    monkeypatch.setattr(trainer, "check_batch", counted)
    return calls


class Began(dc.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.began = 0

    def on_train_begin(self, logs=None):
        self.began += 1


def _data(rows=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, 5)).astype(np.float32), rng.integers(0, 3, rows)


def _model(jit_compile=True, metrics=None):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(8, activation="relu", input_dim=5), dc.nn.Dense(3)])
    model.compile(dc.optim.SGD(lr=0.1), LOSS, metrics=metrics, jit_compile=jit_compile)
    return model


def _fit(model, x, y, **settings):
    return model.fit(x, y, **{"epochs": 1, "batch_size": 8, "verbose": 0, "seed": 0, **settings})


def test_a_traced_compiled_fit_tries_its_first_batch_with_the_step_checks(trial_passes):
    x, y = _data()
    model = _model()
    _fit(model, x, y)                       # traces the step: the first batch is tried first
    assert trial_passes == ["fit"]
    _fit(model, x, y)                       # replays: the step's label check tries the batch
    assert trial_passes == ["fit"]
    trained = _model(jit_compile=False)
    _fit(trained, x, y)
    _fit(trained, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), trained.get_weights()))


@pytest.mark.parametrize("bad", [3, -1])
def test_a_bad_first_batch_fails_as_the_trial_pass_does_before_anything_runs(bad, trial_passes):
    x, y = _data()
    wrong = y.copy()
    wrong[2] = bad
    with pytest.raises(ValueError) as eager:     # a fresh model: the trial forward pass
        _fit(_model(), x, wrong)
    model = _model()
    _fit(model, x, y)
    weights, began = model.get_weights(), Began()
    with pytest.raises(ValueError) as compiled:  # traced: the step's checks
        _fit(model, x, wrong, callbacks=[began])
    assert trial_passes == ["fit", "fit"]
    assert str(compiled.value) == str(eager.value)
    assert "fit: the loss SparseCategoricalCrossentropy cannot compare targets of shape " \
           "(8,) against outputs of shape (8, 3). " in str(compiled.value)
    assert f"label {bad} is outside the valid range 0..2" in str(compiled.value)
    assert began.began == 0
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


@pytest.mark.parametrize("why", ["metrics", "a new batch shape", "eval mode", "auto"])
def test_the_trial_pass_runs_where_the_step_checks_cannot_stand_for_it(why, trial_passes):
    x, y = _data()
    model = _model(metrics=["accuracy"] if why == "metrics" else None,
                   jit_compile="auto" if why == "auto" else True)
    _fit(model, x, y)
    if why == "eval mode":
        model.eval()
    _fit(model, x, y, batch_size=6 if why == "a new batch shape" else 8)
    assert trial_passes == ["fit", "fit"]


def test_compiled_checks_run_only_where_they_read_the_arguments():
    def halves(values):
        if (values > 1).any():
            raise ValueError("halves: a value above 1")

    @dc.jit
    def step(x):
        doubled = x * 2
        tracing.check(halves, doubled)        # a check of what the step computes
        return doubled.sum()

    @dc.jit
    def direct(x):
        tracing.check(halves, x)               # a check of the argument itself
        return (x * 2).sum()

    small, large = np.full(3, 0.25, np.float32), np.full(3, 2.0, np.float32)
    step(small), direct(small)
    assert step.check(small) is False and step.check(large) is False
    assert direct.check(small) is True
    with pytest.raises(ValueError, match="halves: a value above 1"):
        direct.check(large)
    assert direct(small).item() == 1.5          # the check changed nothing the replay reads
