"""Every picture renders headless: right pixel size, not blank, and different for other input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import descend as dc
from descend import lab, viz
from descend.viz._figure import require, save


@pytest.fixture(scope="module")
def sigmoid_race():
    return lab.race("sigmoid", ["gd", "momentum", "adam"], steps=40)


def test_slope_picture(tmp_path, picture):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    fig = viz.plot_slope(lambda w: (w - 3.0) ** 2, 0.5, lr=0.3, steps=3, path=a)
    first = picture(a, (640, 440))
    viz.plot_slope(lambda w: (w - 3.0) ** 2, 0.5, lr=0.1, steps=3, path=b)
    assert not np.array_equal(first, picture(b, (640, 440)))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[1] == "at w = 0.5: slope -5, step +1.5"      # dL/dw = 2(w - 3), lr 0.3


def test_slope_picture_errors():
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        viz.plot_slope(lambda w: w * w, 1.0, steps=0)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        viz.plot_slope(3.0, 1.0)
    with pytest.raises(ValueError, match="diverged to infinity"):
        viz.plot_slope(lambda w: w * w, 1.0, lr=1e200, steps=2)


def test_race_picture_with_the_fitted_sigmoid(tmp_path, picture, sigmoid_race):
    path = tmp_path / "race.png"
    fig = viz.plot_race(sigmoid_race, path=path)
    first = picture(path, (1360, 420))
    assert [ax.get_title() for ax in fig.axes] == ["SigmoidNeuron: loss surface",
                                                    "loss per step", "the fitted model"]
    gd_curve = fig.axes[2].get_lines()[0]
    w, b = sigmoid_race["GD"].params[-1]
    np.testing.assert_allclose(gd_curve.get_ydata(),
                               1 / (1 + np.exp(-(w * gd_curve.get_xdata() + b))))
    other = tmp_path / "other.png"
    viz.plot_race(lab.race("sigmoid", ["gd", "momentum", "adam"], steps=10), path=other)
    assert not np.array_equal(first, picture(other, (1360, 420)))


def test_sweep_picture_marks_divergence(tmp_path, picture):
    sweep = lab.lr_sweep("quadratic", steps=30)
    fig = viz.plot_race(sweep, path=tmp_path / "sweep.svg")
    texts = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert texts[2].startswith("lr=0.26: diverged at step")
    heads = [line.get_marker() for line in fig.axes[0].get_lines()]
    assert heads.count("X") == 1                                    # the diverged run's head
    assert (tmp_path / "sweep.svg").read_text().lstrip().startswith("<?xml")


def test_contour_3d_and_grid_pictures(tmp_path, picture, sigmoid_race):
    viz.plot_contour("rosenbrock", n=40, path=tmp_path / "c1.png")
    viz.plot_contour("beale", n=40, path=tmp_path / "c2.png")
    assert not np.array_equal(picture(tmp_path / "c1.png", (520, 440)),
                              picture(tmp_path / "c2.png", (520, 440)))
    fig = viz.plot_contour(sigmoid_race.problem, sigmoid_race, n=30)
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    viz.plot_surface_3d("sigmoid", sigmoid_race, n=25, path=tmp_path / "s.png")
    viz.plot_surface_3d("rosenbrock", n=25, path=tmp_path / "r.png")
    assert not np.array_equal(picture(tmp_path / "s.png", (640, 500)),
                              picture(tmp_path / "r.png", (640, 500)))
    fig = viz.plot_race_grid(sigmoid_race, columns=2, path=tmp_path / "g.png")
    picture(tmp_path / "g.png", (720, 660))
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["GD", "Momentum", "Adam"]


def test_race_animation_gif(tmp_path, picture, sigmoid_race):
    path = viz.animate_race(sigmoid_race, tmp_path / "race.gif", frames=4, fps=5)
    first = picture(path, frames=4, min_bytes=10_000)
    from PIL import Image

    with Image.open(path) as gif:
        gif.seek(3)
        last = np.asarray(gif.convert("RGB"), dtype=np.float64)
        assert gif.size == (870, 268)                      # 13.6 × 4.2 inches at 64 dpi
    assert not np.array_equal(first, last)                 # the runners moved
    frames = viz.race_frames(sigmoid_race, frames=4)
    assert len(frames) == 4 and frames[0].shape == (268, 870, 3)
    assert np.abs(frames[0].astype(int) - frames[3].astype(int)).sum() > 0
    # frames store only what changed; decoded, the last one is the full picture again
    assert np.abs(last - frames[3]).mean() < 4


def test_animation_errors(tmp_path, sigmoid_race, monkeypatch):
    with pytest.raises(ValueError, match=r"end the file name with .gif"):
        viz.animate_race(sigmoid_race, tmp_path / "race.avi")
    with pytest.raises(ValueError, match="frames must be an integer of at least 2"):
        viz.animate_race(sigmoid_race, tmp_path / "race.gif", frames=1)
    from descend.viz import animate

    monkeypatch.setattr(animate.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"writing .mp4 needs the ffmpeg program"):
        viz.animate_race(sigmoid_race, tmp_path / "race.mp4")


def test_history_picture(tmp_path, picture):
    history = {"loss": [3.0, 2.0, 1.5, 1.2], "val_loss": [3.3, 2.5, 2.1, 2.0],
               "mae": [1.5, 1.2, 1.0, 0.9], "val_mae": [1.6, 1.4, 1.3, 1.3]}
    fig = viz.plot_history(history, log_scale=True, path=tmp_path / "h.png", title="fit")
    first = picture(tmp_path / "h.png", (920, 360))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert fig.axes[0].get_yscale() == "log"
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training", "validation"]

    class History:
        def __init__(self):
            self.history = {"loss": [3.0, 1.0, 0.5, 0.4]}

    viz.plot_history(History(), path=tmp_path / "h2.png")
    assert not np.array_equal(first.shape, picture(tmp_path / "h2.png", (480, 360)).shape)
    only = viz.plot_history(history, metrics=["mae"])
    assert [ax.get_title() for ax in only.axes] == ["mae"]


def test_text_chart():
    chart = viz.text_chart({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [4.0, 3.5, 3.0, 2.5]},
                           width=10, height=4)
    lines = chart.splitlines()
    assert lines[0] == "* loss   o val_loss"
    assert lines[1] == "4 |o  o"                    # both start at 4: the last mark wins
    assert lines[4] == "1 |         *"
    assert lines[5] == "  +----------"
    assert lines[6] == "   1        4"
    assert viz.text_chart([1.0, 2.0], width=4, height=2).splitlines()[1] == "2 |   *"


def test_history_errors():
    with pytest.raises(TypeError, match="expected a History"):
        viz.plot_history(3)
    with pytest.raises(ValueError, match="no values for acc; the history has loss"):
        viz.plot_history({"loss": [1.0]}, metrics=["acc"])
    with pytest.raises(ValueError, match="log_scale needs positive values"):
        viz.text_chart([1.0, -1.0], log_scale=True)
    with pytest.raises(ValueError, match="no series acc"):
        viz.text_chart({"loss": [1.0]}, keys=["acc"])


def test_landscape_lr_finder_and_momentum_pictures(tmp_path, picture):
    dc.seed(0)
    w = dc.tensor([[1.0, -1.0], [0.5, 2.0]], dtype="float64", requires_grad=True)

    def loss_fn():
        return ((w - 0.5) ** 2).sum() + (w.sum() - 1.0) ** 4

    land2 = lab.loss_landscape_2d(loss_fn, [w], steps=9)
    viz.plot_landscape(land2, path=tmp_path / "l2.png")
    viz.plot_landscape(land2, kind="3d", path=tmp_path / "l3.png")
    viz.plot_landscape(lab.loss_landscape_1d(loss_fn, [w], steps=9), path=tmp_path / "l1.png")
    pictures = [picture(tmp_path / f"l{i}.png", (600, 460)) for i in (1, 2, 3)]
    assert not np.array_equal(pictures[1], pictures[2])
    snapshots = [[np.array([[1.0, -1.0], [0.5, 2.0]]) * 0.8**k + 0.01 * np.sin(k)]
                 for k in range(8)]
    path_land = lab.trajectory_landscape(loss_fn, [w], snapshots, steps=7)
    fig = viz.plot_landscape(path_land, log_scale=True)
    assert fig.axes[0].get_xlabel().startswith("PC 1 (")
    with pytest.raises(ValueError, match="kind must be 'contour' or '3d'"):
        viz.plot_landscape(land2, kind="surface")

    lr_w = [5.0]

    def step(lr):
        loss = lr_w[0] ** 2
        lr_w[0] -= lr * 2 * lr_w[0]
        return loss

    result = lab.lr_range_test(step, start_lr=1e-4, end_lr=10.0, steps=50)
    fig = viz.plot_lr_find(result, path=tmp_path / "lr.png")
    picture(tmp_path / "lr.png", (600, 420))
    assert fig.axes[0].get_legend().get_texts()[2].get_text().startswith("suggested lr")

    results = lab.momentum_lab([4.0, 30.0], steps=60)
    viz.plot_momentum_lab(results, path=tmp_path / "m.png")
    viz.plot_momentum_lab(results, show=0, path=tmp_path / "m0.png")
    assert not np.array_equal(picture(tmp_path / "m.png", (1100, 440)),
                              picture(tmp_path / "m0.png", (1100, 440)))


def test_missing_plotting_packages_say_how_to_install():
    with pytest.raises(ImportError, match=r'pip install "descend\[viz\]"'):
        require("descend_no_such_package", "plot_race")
    fig = viz.plot_contour("saddle", n=10)
    with pytest.raises(ValueError, match=r"end the file name with .png"):
        save(fig, "picture.txt")


def test_importing_descend_does_not_import_matplotlib():
    code = ("import sys, descend, descend.lab, descend.viz, descend.cli; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
