"""``compile(..., jit_compile=True)``: fit gives the eager fit's History and weights."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError
from jitcheck import same


def _fit(jit_compile, model_layers, x, y, loss, metrics=("accuracy",), verbose=0):
    dc.seed(0)
    model = dc.Sequential(model_layers())
    model.compile(dc.optim.Adam(lr=0.01), loss, metrics=list(metrics), jit_compile=jit_compile)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=verbose,
                        seed=1)
    return history.history, model.get_weights(), model


def _classes(rows):
    """Random float32 inputs of 6 features and labels of 3 classes."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((rows, 6)).astype(np.float32), rng.integers(0, 3, rows)


def _logits_mlp(optimizer, jit_compile):
    """:func:`_mlp` (seeded, built), compiled with the cross-entropy of its logits."""
    dc.seed(0)
    model = dc.Sequential(_mlp())
    model.build((None, 6))
    model.compile(optimizer, dc.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit_compile)
    return model


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


def test_jit_compile_takes_true_false_or_auto():
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    with pytest.raises(ValueError, match="jit_compile must be True, False or 'auto', got 'yes'"):
        model.compile("sgd", "mse", jit_compile="yes")


class Peek(dc.nn.Module):
    """A layer that reads a value into Python (an ``if`` on a tensor): not traceable."""

    def forward(self, x):
        return x * 2.0 if x.abs().max() > 1e9 else x


def _untraceable():
    return [dc.nn.Dense(8, input_dim=6), dc.nn.BatchNorm(), dc.nn.Dropout(0.3), Peek(),
            dc.nn.Dense(3)]


@pytest.mark.parametrize("layers, choice", [(_mlp, "compiled"), (_untraceable, "eager")])
def test_jit_compile_auto_compiles_what_it_can_and_tells(layers, choice, capsys):
    """"auto" traces the first step; a step that cannot be traced puts back the weights,
    running statistics and random draws the attempt changed and runs eagerly: either way
    the fit equals the eager fit."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((48, 6)).astype(np.float32), rng.integers(0, 3, 48)
    loss = dc.losses.SparseCategoricalCrossentropy(from_logits=True)
    eager_history, eager_weights, _ = _fit(False, layers, x, y, loss)
    capsys.readouterr()
    history, weights, model = _fit("auto", layers, x, y, loss, verbose=2)
    assert history == eager_history and same(eager_weights, weights)
    assert model.compiled.jit_choice == choice
    said = capsys.readouterr().out
    assert said.count(f"fit: jit_compile='auto' runs the {choice} step") == 1
    assert choice == "compiled" or "jit: bool() (an `if`" in said


def test_jit_compile_true_refuses_a_step_it_cannot_trace():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 6)).astype(np.float32), rng.integers(0, 3, 16)
    with pytest.raises(TraceError, match="bool"):
        _fit(True, _untraceable, x, y, dc.losses.SparseCategoricalCrossentropy(from_logits=True))


def test_a_model_switched_to_eval_mode_gets_its_own_program():
    """The training flag is baked into a trace (dropout draws a mask, or not): train_step in
    eval mode traces a second program instead of replaying the train-mode one."""
    x, y = _classes(8)
    losses = []
    for jit_compile in (False, True):
        model = _logits_mlp(dc.optim.SGD(lr=0.01), jit_compile)
        runs = [model.train_step(x, y), model.train_step(x, y)]
        model.eval()
        runs += [model.train_step(x, y), model.train_step(x, y)]
        losses.append(runs + [w.copy() for w in model.get_weights()])
    assert losses[0][:4] == losses[1][:4] and same(losses[0][4:], losses[1][4:])
    assert len(model.compiled.jit_steps["train"].programs) == 2


def test_sample_weighted_batches_run_compiled():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 6)).astype(np.float32), rng.standard_normal((40, 1))
    weight = rng.uniform(0.5, 2.0, 40)
    results = []
    for jit_compile in (False, True):
        dc.seed(0)
        model = dc.Sequential(_regression())
        model.compile(dc.optim.Adam(lr=0.01), "mse", metrics=["mae"], jit_compile=jit_compile)
        history = model.fit(x, y, sample_weight=weight, epochs=2, batch_size=8, verbose=0,
                            seed=1)
        results.append((history.history, model.get_weights(), model))
    assert results[0][0] == results[1][0] and same(results[0][1], results[1][1])
    (step,) = results[1][2].compiled.jit_steps.values()
    assert len(step.programs) == 1


@pytest.mark.parametrize("metrics", [(), ("mae",)])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_fit_without_metrics_replays_a_step_giving_back_only_the_loss(metrics, weighted):
    """No metric needs the prediction: the compiled step returns the loss alone (and may
    overwrite the prediction in place); the weights and History are the eager fit's, and
    those of the compiled fit that keeps the prediction for a metric."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((40, 6)).astype(np.float32), rng.standard_normal(40)
    weight = rng.uniform(0.5, 2.0, 40) if weighted else None
    results = []
    for jit_compile in (False, True):
        dc.seed(0)
        model = dc.Sequential(_regression())
        model.compile("sgd", "mse", metrics=list(metrics), jit_compile=jit_compile)
        history = model.fit(x, y, sample_weight=weight, epochs=3, batch_size=16, verbose=0,
                            seed=1)
        results.append((history.history, model.get_weights(), model.compiled.jit_steps))
    assert results[0][0] == results[1][0] and same(results[0][1], results[1][1])
    name = "train with prediction" if metrics else "train"
    assert list(results[1][2]) == [name]
    assert len(results[1][2][name].programs) == 2   # batch sizes 16 and 8


def test_an_embedding_model_fits_compiled():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 10, (24, 3)), rng.integers(0, 2, 24)
    loss = dc.losses.SparseCategoricalCrossentropy(from_logits=True)

    def layers():
        return [dc.nn.Embedding(10, 4), dc.nn.Flatten(), dc.nn.Dense(2)]

    eager_history, eager_weights, _ = _fit(False, layers, x, y, loss, metrics=())
    history, weights, model = _fit(True, layers, x, y, loss, metrics=())
    assert history == eager_history and same(eager_weights, weights)
    assert "scatter(" in str(next(iter(model.compiled.jit_steps["train"].programs.values())))


class _Unfreezing(dc.callbacks.Callback):
    """Fine-tuning: the first layer, frozen at the start, trains from the second epoch on."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            for p in self.model.layers[0].parameters():
                p.requires_grad_(True)


def test_a_layer_unfrozen_by_a_callback_trains_from_then_on_as_in_eager():
    """The program traced while the layer was frozen computes no gradient for it and does
    not update it: it is traced anew once the layer requires gradients (before, its replays
    kept the layer frozen: the losses and weights parted from eager's at the second epoch)."""
    x, y = _classes(64)
    runs = []
    for jit_compile in (False, True):
        model = _logits_mlp(dc.optim.SGD(lr=0.05), jit_compile)
        for p in model.layers[0].parameters():
            p.requires_grad_(False)
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=0,
                            callbacks=[_Unfreezing()])
        runs.append((history.history["loss"], model.get_weights()))
    assert runs[0][0] == runs[1][0] and same(runs[0][1], runs[1][1])


def test_a_deep_copy_of_a_compiled_model_trains_itself_not_the_original():
    """``copy.deepcopy`` of a model fitted with ``jit_compile=True``: the copy's fit traced
    nothing new and replayed the original's programs, which train the original's weights
    (the copy stayed as it was, the original moved)."""
    x, y = _classes(32)
    model = _logits_mlp(dc.optim.SGD(lr=0.05), True)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=0)
    before = [w.copy() for w in model.get_weights()]
    twin, eager = copy.deepcopy(model), copy.deepcopy(model)
    eager.compiled.jit_compile = False
    twin.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    eager.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    assert same(model.get_weights(), before)
    assert same(twin.get_weights(), eager.get_weights())
    assert not same(twin.get_weights(), before)
