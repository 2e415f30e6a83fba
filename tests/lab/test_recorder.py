"""TrajectoryRecorder: snapshots during fit, and the path drawn on the model's loss landscape."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.lab import TrajectoryRecorder, pca_directions
from descend.train.callbacks import CallbackList, LambdaCallback


def _data(n=48, shift=0.0):
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, n).reshape(-1, 1)
    y = np.sin(3 * x) + shift + 0.05 * rng.standard_normal((n, 1))
    return x, y


def _model(seed=0):
    dc.seed(seed)
    model = dc.Sequential([dc.nn.Dense(8, activation="tanh", input_dim=1), dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.SGD(lr=0.2, momentum=0.9), loss="mse")
    return model


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def test_records_the_start_every_few_epochs_and_the_end():
    x, y = _data()
    model = _model()
    start = model.get_weights()
    seen = []
    every_epoch = LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    recorder = TrajectoryRecorder(every=2)
    model.fit(x, y, epochs=7, batch_size=16, verbose=0, seed=0,
              callbacks=[recorder, every_epoch])
    assert recorder.epochs == [0.0, 2.0, 4.0, 6.0, 7.0]         # the end is always recorded
    assert _same(recorder.snapshots[0], start)
    for snapshot, epoch in zip(recorder.snapshots[1:], (2, 4, 6, 7)):
        assert _same(snapshot, seen[epoch - 1])
    assert _same(recorder.snapshots[-1], model.get_weights())
    assert not CallbackList([recorder]).listens("on_batch_end")  # no batch logs needed


def test_records_every_few_batches_and_continues_over_fits():
    x, y = _data(n=32)                                   # 4 batches of 8 per epoch
    model = _model()
    batches = []
    every_batch = LambdaCallback(on_batch_end=lambda b, logs: batches.append(model.get_weights()))
    recorder = TrajectoryRecorder(every=3, unit="batch")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0, callbacks=[recorder, every_batch])
    assert recorder.epochs == [0.0, 0.75, 1.5, 2.0]
    assert _same(recorder.snapshots[1], batches[2]) and _same(recorder.snapshots[2], batches[5])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=1, callbacks=[recorder])
    assert recorder.epochs == [0.0, 0.75, 1.5, 2.0, 2.75, 3.0]   # counted per fit
    assert _same(recorder.snapshots[-1], model.get_weights())


def test_the_landscape_is_the_compiled_loss_and_the_path_runs_first_to_last():
    x, y = _data()
    model = _model()
    recorder = TrajectoryRecorder()
    model.fit(x, y, epochs=12, batch_size=16, verbose=0, seed=0, callbacks=[recorder])
    final = model.get_weights()
    land = recorder.landscape(x, y, steps=7)
    assert _same(model.get_weights(), final)                     # weights put back
    directions, path, _ = pca_directions(recorder.snapshots)
    np.testing.assert_allclose(land.path, path)
    np.testing.assert_array_equal(land.path[-1], [0.0, 0.0])     # ends at the last snapshot
    first = np.concatenate([(a - b).ravel() for a, b in zip(recorder.snapshots[0], final)])
    basis = np.stack([np.concatenate([d.ravel() for d in direction])
                      for direction in directions])
    np.testing.assert_allclose(land.path[0], basis @ first)      # starts at the first one
    assert land.explained.sum() > 0.9
    # one grid point, by hand: the compiled loss (mse) at last + α·d + β·e
    j, i = 1, 5
    moved = [w + land.alphas[i] * d + land.betas[j] * e
             for w, d, e in zip(final, *directions)]
    model.set_weights(moved)
    expected = np.mean((model.predict(x) - y) ** 2)
    model.set_weights(final)
    assert land.losses[j, i] == pytest.approx(expected, rel=1e-5)


def test_recorder_errors():
    with pytest.raises(ValueError, match="every must be a positive integer"):
        TrajectoryRecorder(every=0)
    with pytest.raises(ValueError, match="unit must be 'epoch' or 'batch', got 'step'"):
        TrajectoryRecorder(unit="step")
    x, y = _data()
    recorder = TrajectoryRecorder()
    with pytest.raises(RuntimeError, match="nothing recorded yet"):
        recorder.landscape(x, y)
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[recorder])
    other = dc.Sequential([dc.nn.Dense(3, input_dim=1), dc.nn.Dense(1)])
    other.compile("sgd", "mse")
    with pytest.raises(ValueError, match="use a new recorder for another model"):
        other.fit(x, y, epochs=1, verbose=0, callbacks=[recorder])
