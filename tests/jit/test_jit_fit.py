"""``compile(..., jit_compile=True)``: fit gives the eager fit's History and weights."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from jitcheck import same


def _fit(jit_compile, model_layers, x, y, loss, metrics=("accuracy",)):
    dc.seed(0)
    model = dc.Sequential(model_layers())
    model.compile(dc.optim.Adam(lr=0.01), loss, metrics=list(metrics), jit_compile=jit_compile)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, seed=1)
    return history.history, model.get_weights(), model


def _mlp():
    return [dc.nn.Dense(16, activation="relu", input_dim=6), dc.nn.Dropout(0.2), dc.nn.Dense(3)]


def _batchnorm():
    return [dc.nn.Dense(8, input_dim=6), dc.nn.BatchNorm(), dc.nn.Activation("tanh"),
            dc.nn.Dense(3)]


def _regularized():
    return [dc.nn.Dense(8, activation="relu", input_dim=6, kernel_regularizer="l2"),
            dc.nn.Dense(3, kernel_regularizer="l1")]


@pytest.mark.parametrize("layers", [_mlp, _batchnorm, _regularized])
def test_fit_with_jit_compile_equals_the_eager_fit(layers):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 6)).astype(np.float32)   # 36 to train: 4 batches of 8, one of 4
    y = rng.integers(0, 3, 48)
    loss = dc.losses.SparseCategoricalCrossentropy(from_logits=True)
    eager_history, eager_weights, _ = _fit(False, layers, x, y, loss)
    history, weights, model = _fit(True, layers, x, y, loss)
    assert history == eager_history
    assert same(eager_weights, weights)
    (step,) = model.compiled.jit_steps.values()
    assert len(step.programs) == 2   # batch sizes 8 and 4


def _regression():
    return [dc.nn.Dense(8, activation="relu", input_dim=6), dc.nn.Dense(1)]


def test_fit_on_float64_targets_with_mse_equals_the_eager_fit():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.standard_normal((40, 1))                       # float64: cast inside the step
    eager = _fit(False, _regression, x, y, "mse", ["mae"])
    compiled = _fit(True, _regression, x, y, "mse", ["mae"])
    assert eager[0] == compiled[0] and same(eager[1], compiled[1])


def test_jit_compile_is_off_by_default():
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    assert model.compiled.jit_compile is False


def test_jit_compile_auto_is_refused_for_now():
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    with pytest.raises(ValueError, match="jit_compile must be True or False, got 'auto'"):
        model.compile("sgd", "mse", jit_compile="auto")
