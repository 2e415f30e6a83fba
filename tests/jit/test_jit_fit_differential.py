"""Random ``fit`` calls, each built from what a Keras user mixes (the model, the loss, the
optimizer, metrics, validation, sample or class weights, shuffling, batch sizes, callbacks that
change the learning rate, stop early, watch each batch or unfreeze a layer, a second fit
resuming the first),
run with ``jit_compile=False``, ``True`` and ``"auto"``: the same History, weights and
evaluation, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import descend as dc

FITS = st.fixed_dictionaries({
    "layers": st.sampled_from(["dense", "dropout", "batchnorm"]),
    "loss": st.sampled_from(["cross-entropy", "mse"]),
    "optimizer": st.sampled_from(["sgd", "adam", "rmsprop"]),
    "metrics": st.sampled_from([[], ["accuracy"], ["mae"]]),
    "validation_split": st.sampled_from([0.0, 0.25]),
    "weights": st.sampled_from(["none", "sample", "class"]),
    "shuffle": st.booleans(),
    "batch_size": st.sampled_from([5, 8, 16]),
    "callback": st.sampled_from(["none", "schedule", "plateau", "early stopping",
                                 "batch logs", "terminate on NaN", "unfreezing"]),
    "resume": st.booleans(),
})


def layers(kind: str, outputs: int) -> list[dc.nn.Module]:
    middle = {"dense": [], "dropout": [dc.nn.Dropout(0.3)], "batchnorm": [dc.nn.BatchNorm()]}
    return [dc.nn.Dense(8, activation="relu", input_dim=5), *middle[kind],
            dc.nn.Dense(outputs)]


def _unfreeze(model: dc.Sequential) -> None:
    for p in model.layers[0].parameters():
        p.requires_grad_(True)


def callbacks(kind: str, model: dc.Sequential) -> list[dc.callbacks.Callback]:
    """``kind``'s callbacks for ``model`` ("unfreezing": its first layer trains from the
    second epoch on, as when fine-tuning)."""
    return {
        "none": [],
        "schedule": [dc.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)],
        "plateau": [dc.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)],
        "early stopping": [dc.callbacks.EarlyStopping(monitor="loss", patience=0)],
        "batch logs": [dc.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: None)],
        "terminate on NaN": [dc.callbacks.TerminateOnNaN()],
        "unfreezing": [dc.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: _unfreeze(model))],
    }[kind]


def fit(recipe: dict[str, Any], jit_compile: bool) -> tuple[Any, ...]:
    """The History of one (or two, resuming) fits and the weights after them."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 5)).astype(np.float32)
    classes = recipe["loss"] == "cross-entropy"
    y = rng.integers(0, 3, 37) if classes else rng.standard_normal((37, 2)).astype(np.float32)
    metrics = [m for m in recipe["metrics"] if (m == "accuracy") == classes]
    dc.seed(0)
    model = dc.Sequential(layers(recipe["layers"], 3 if classes else 2))
    loss = dc.losses.SparseCategoricalCrossentropy(from_logits=True) if classes else "mse"
    model.compile(recipe["optimizer"], loss, metrics=metrics, jit_compile=jit_compile)
    weights = {"none": {}, "sample": {"sample_weight": rng.random(37)},
               "class": {"class_weight": {0: 1.0, 1: 2.0, 2: 0.5}} if classes else {}}
    arguments = dict(batch_size=recipe["batch_size"], verbose=0, seed=3,
                     shuffle=recipe["shuffle"], validation_split=recipe["validation_split"],
                     **weights[recipe["weights"]])
    if recipe["callback"] == "unfreezing":
        model.build((None, 5))
        for p in model.layers[0].parameters():
            p.requires_grad_(False)
    histories = [model.fit(x, y, epochs=3, callbacks=callbacks(recipe["callback"], model),
                           **arguments).history]
    if recipe["resume"]:
        histories.append(model.fit(x, y, epochs=5, initial_epoch=model.epochs_trained,
                                   **arguments).history)
    assert jit_compile is False or any(step.programs for step in model.compiled.jit_steps.values())
    scores = model.evaluate(x, y, batch_size=recipe["batch_size"], verbose=0)
    return histories, [w.tobytes() for w in model.get_weights()], scores


@settings(max_examples=25, deadline=None)
@given(recipe=FITS)
def test_a_random_fit_compiles_to_the_eager_fit_bit_for_bit(recipe):
    eager = fit(recipe, jit_compile=False)
    assert fit(recipe, jit_compile=True) == eager
    assert fit(recipe, jit_compile="auto") == eager
