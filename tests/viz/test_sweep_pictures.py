"""Pictures of a real sweep: the metric against each varying setting, and the best curves."""

from __future__ import annotations

import numpy as np
import pytest

from descend.demo.boston_sweep import boston_trial
from descend.distributed import SweepResult, TrialResult, sweep
from descend.viz.sweep_plots import plot_best_curves, plot_sweep


@pytest.fixture(scope="module")
def result():
    space = {"model": ["linear"], "optimizer": ["sgd", "adam"], "lr": [0.001, 0.01, 0.1],
             "epochs": [8]}
    return sweep(boston_trial, space, executor="serial", progress=False)


def test_metric_against_each_varying_setting(tmp_path, picture, result):
    fig = plot_sweep(result, "val_loss", tmp_path / "s.png")
    assert [ax.get_xlabel() for ax in fig.axes] == ["optimizer", "lr"]  # model, epochs fixed
    assert fig.axes[1].get_xscale() == "log"
    picture(tmp_path / "s.png", (720, 340))


def test_best_curves(tmp_path, picture, result):
    fig = plot_best_curves(result, "val_loss", tmp_path / "c.png", k=3)
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    assert len(fig.axes[0].lines) == 6  # val_loss and the dashed loss per trial
    picture(tmp_path / "c.png", (700, 420))


def test_pictures_change_with_the_sweep(tmp_path, picture, result):
    plot_sweep(result, "val_loss", tmp_path / "a.png")
    plot_sweep(result, "test_mse", tmp_path / "b.png")
    a, b = picture(tmp_path / "a.png"), picture(tmp_path / "b.png")
    assert np.abs(a - b).mean() > 1


def test_nothing_to_draw_is_a_clear_error():
    failed = SweepResult([TrialResult(0, {"lr": 1.0}, 0, {}, error="ValueError: x")])
    with pytest.raises(ValueError, match="no trial measured 'loss'"):
        plot_sweep(failed, "loss")
    flat = SweepResult([TrialResult(0, {"lr": 1.0}, 0, {"loss": 1.0})])
    with pytest.raises(ValueError, match="no trial returned a curve of 'loss'"):
        plot_best_curves(flat, "loss")
    with pytest.raises(ValueError, match="k must be a positive integer"):
        plot_best_curves(flat, "loss", k=0)
