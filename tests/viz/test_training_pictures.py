"""Pictures of a real training run (Boston Housing): curves from History, the path on the
loss landscape from TrajectoryRecorder, and the learning-rate finder of a compiled model."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import lab, viz


@pytest.fixture(scope="module")
def boston():
    (x, y), _ = dc.datasets.load_boston_housing()
    return dc.data.Standardizer().fit_transform(x), y


def _model(seed=0):
    dc.seed(seed)
    model = dc.Sequential([dc.nn.Dense(16, activation="relu", input_dim=12), dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.Adam(lr=0.02), loss="mse", metrics=["mae"])
    return model


@pytest.fixture(scope="module")
def run(boston):
    x, y = boston
    model = _model()
    recorder = lab.TrajectoryRecorder()
    history = model.fit(x, y, epochs=25, batch_size=32, validation_split=0.2, verbose=0,
                        seed=0, callbacks=[recorder])
    return model, recorder, history


def test_plot_history_of_a_real_fit(tmp_path, picture, run):
    _, _, history = run
    assert sorted(history.history) == ["loss", "lr", "mae", "val_loss", "val_mae"]
    fig = viz.plot_history(history, log_scale=True, path=tmp_path / "h.png")
    picture(tmp_path / "h.png", (920, 360))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]      # constant lr left out
    for ax, name in zip(fig.axes, ("loss", "mae")):
        train, val = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), np.arange(1, 26))
        np.testing.assert_allclose(train.get_ydata(), history.history[name])
        np.testing.assert_allclose(val.get_ydata(), history.history[f"val_{name}"])
    assert history.history["val_loss"][-1] < history.history["val_loss"][0] / 5
    chart = viz.text_chart(history, height=6).splitlines()
    assert chart[0] == "* loss   o val_loss" and chart[-1].endswith("25")
    only_lr = viz.plot_history(history, metrics=["lr"])
    assert only_lr.axes[0].get_lines()[0].get_label() == "learning rate"


def test_plot_history_shows_a_changing_learning_rate(tmp_path, picture, boston):
    x, y = boston
    model = _model()
    halve = dc.callbacks.LearningRateScheduler(lambda epoch: 0.02 * 0.5**epoch)
    history = model.fit(x, y, epochs=4, verbose=0, seed=0, callbacks=[halve])
    fig = viz.plot_history(history, path=tmp_path / "lr.png")
    picture(tmp_path / "lr.png", (1360, 360))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae", "lr"]
    np.testing.assert_allclose(fig.axes[2].get_lines()[0].get_ydata(),
                               [0.02, 0.01, 0.005, 0.0025])


def test_trajectory_on_the_loss_landscape(tmp_path, picture, boston, run):
    x, y = boston
    model, recorder, _ = run
    weights = model.get_weights()
    fig = recorder.plot_landscape(x, y, steps=11, log_scale=True, path=tmp_path / "a.png")
    first = picture(tmp_path / "a.png", (600, 460))
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    land = recorder.landscape(x, y, steps=11)
    line, start, end = fig.axes[0].get_lines()[:3]
    np.testing.assert_allclose(line.get_xydata(), land.path)
    np.testing.assert_allclose(start.get_xydata()[0], land.path[0])      # the first snapshot
    np.testing.assert_allclose(end.get_xydata()[0], [0.0, 0.0])          # the last one
    assert [start.get_label(), end.get_label()] == ["start", "end"]
    assert fig.axes[0].get_title() == "training path: 26 snapshots over 25 epochs"
    recorder.plot_landscape(x[:100], y[:100], steps=11, log_scale=True, path=tmp_path / "b.png")
    assert not np.array_equal(first, picture(tmp_path / "b.png", (600, 460)))


def test_lr_finder_picture_of_a_compiled_model(tmp_path, picture, boston):
    x, y = boston
    result = lab.lr_find(_model(), x, y, steps=150, seed=0)
    fig = viz.plot_lr_find(result, path=tmp_path / "lr.png")
    first = picture(tmp_path / "lr.png", (600, 420))
    suggested = fig.axes[0].get_lines()[2]
    assert suggested.get_xdata()[0] == result.suggestion
    assert suggested.get_label() == f"suggested lr {result.suggestion:.2g}"
    assert fig.axes[0].get_title().endswith("(stopped: loss blew up)")
    other = lab.lr_find(_model(), x, y, steps=150, seed=0, end_lr=0.05)
    viz.plot_lr_find(other, path=tmp_path / "lr2.png")
    assert not np.array_equal(first, picture(tmp_path / "lr2.png", (600, 420)))
