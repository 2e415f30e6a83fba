"""fit(..., seed=s) repeats bit for bit, and a saved-and-resumed run equals an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc

OPTIMIZERS = {
    "adam": lambda: dc.optim.Adam(lr=0.01),
    "sgd-momentum": lambda: dc.optim.SGD(lr=0.02, momentum=0.9, nesterov=True),
    "rmsprop-centered": lambda: dc.optim.RMSprop(lr=0.005, centered=True, momentum=0.5),
}


def _model(optimizer: str) -> dc.Sequential:
    dc.seed(7)
    model = dc.Sequential([
        dc.nn.Dense(16, activation="relu", input_dim=3),
        dc.nn.BatchNorm(),
        dc.nn.Dropout(0.3),
        dc.nn.Dense(1),
    ])
    model.compile(OPTIMIZERS[optimizer](), "mse", metrics=["mae"])
    return model


def _fit(model, data, **kwargs):
    return model.fit(*data, batch_size=8, verbose=0, validation_split=0.2, **kwargs)


def test_the_same_seed_repeats_history_and_weights_bit_for_bit(regression, same_weights):
    first, second, other = _model("adam"), _model("adam"), _model("adam")
    h1 = _fit(first, regression, epochs=5, seed=3)
    dc.seed(999)  # the global generator's state must not matter when a seed is given
    np.random.default_rng().random(10)
    h2 = _fit(second, regression, epochs=5, seed=3)
    h3 = _fit(other, regression, epochs=5, seed=4)
    assert h1.history == h2.history
    assert same_weights(first.get_weights(), second.get_weights())
    assert first.state_dict().keys() == second.state_dict().keys()
    for name, value in first.state_dict().items():  # BatchNorm running statistics too
        np.testing.assert_array_equal(second.state_dict()[name], value, err_msg=name)
    assert h3.history["loss"] != h1.history["loss"]  # a different seed: other shuffles, masks


def test_dropout_masks_and_shuffling_both_follow_the_seed(regression, make_model,
                                                         same_weights):
    def run(seed, *, dropout, shuffle):
        model = make_model(dropout=dropout)
        model.fit(*regression, batch_size=8, epochs=2, verbose=0, seed=seed, shuffle=shuffle)
        return model.get_weights()

    # No dropout, no shuffle: nothing random, the seed changes nothing.
    assert same_weights(run(1, dropout=0, shuffle=False), run(2, dropout=0, shuffle=False))
    # Only shuffling is random, or only dropout: the seed changes the result.
    assert not same_weights(run(1, dropout=0, shuffle=True), run(2, dropout=0, shuffle=True))
    assert not same_weights(run(1, dropout=0.5, shuffle=False),
                            run(2, dropout=0.5, shuffle=False))


def test_without_a_seed_dc_seed_repeats_the_run(regression, same_weights):
    first, second = _model("sgd-momentum"), _model("sgd-momentum")
    dc.seed(5)
    h1 = _fit(first, regression, epochs=3)
    dc.seed(5)
    h2 = _fit(second, regression, epochs=3)
    assert h1.history == h2.history and first.fit_seed == second.fit_seed
    assert same_weights(first.get_weights(), second.get_weights())


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_ten_epochs_saved_loaded_and_ten_more_equal_twenty(optimizer, regression, tmp_path,
                                                           same_weights):
    straight = _model(optimizer)
    full = _fit(straight, regression, epochs=20, seed=21)

    interrupted = _model(optimizer)
    first_half = _fit(interrupted, regression, epochs=10, seed=21)
    path = tmp_path / "half.safetensors"
    dc.save(interrupted, path, include_optimizer=True)
    del interrupted
    resumed = dc.load(path)
    assert (resumed.epochs_trained, resumed.fit_seed) == (10, 21)
    second_half = _fit(resumed, regression, epochs=20, initial_epoch=resumed.epochs_trained)

    assert same_weights(resumed.get_weights(), straight.get_weights())
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
    assert second_half.epoch == list(range(10, 20))
    for key, values in full.history.items():
        assert first_half.history[key] == values[:10], key
        assert second_half.history[key] == values[10:], key


def test_resuming_without_the_optimizer_state_does_not_equal_twenty(regression, tmp_path,
                                                                    same_weights):
    straight = _model("adam")
    _fit(straight, regression, epochs=6, seed=2)
    interrupted = _model("adam")
    _fit(interrupted, regression, epochs=3, seed=2)
    dc.save(interrupted, tmp_path / "weights-only.safetensors")  # no optimizer state
    resumed = dc.load(tmp_path / "weights-only.safetensors")
    _fit(resumed, regression, epochs=6, initial_epoch=3, seed=2)
    assert not same_weights(resumed.get_weights(), straight.get_weights())
