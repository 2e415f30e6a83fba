"""LivePlot and TerminalChart: training curves redrawn by callbacks while fit runs."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
import pytest

import descend as dc
from descend import viz


def _fit(epochs, callbacks=(), **options):
    dc.seed(0)
    x = np.linspace(-1, 1, 40).reshape(-1, 1)
    y = np.sin(3 * x)
    model = dc.Sequential([dc.nn.Dense(8, activation="tanh", input_dim=1), dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.SGD(lr=0.1, momentum=0.9), loss="mse", metrics=["mae"])
    return model.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.25, verbose=0,
                     seed=0, callbacks=list(callbacks), **options).history


def test_terminal_chart_prints_every_few_epochs_and_at_the_end():
    out = io.StringIO()
    history = _fit(5, [viz.TerminalChart(2, width=20, height=5, file=out)])
    text = out.getvalue()
    captions = [line for line in text.splitlines() if line.startswith("after epoch")]
    assert captions == ["after epoch 2 of 5", "after epoch 4 of 5", "after epoch 5 of 5"]
    last = text.split("after epoch 5 of 5\n")[1]
    assert last == viz.text_chart(history, width=20, height=5) + "\n"   # loss and val_loss
    assert last.splitlines()[0] == "* loss   o val_loss"


def test_terminal_chart_only_at_the_end_on_stdout(capsys):
    chart = viz.TerminalChart(None, keys=["mae"], height=3)
    history = _fit(3, [chart])
    out = capsys.readouterr().out
    assert out == "after epoch 3 of 3\n" + viz.text_chart(history, keys=["mae"], height=3) + "\n"
    assert chart.updates == 1 and chart.history == history


def test_live_plot_saves_the_picture_every_epoch(tmp_path, picture, monkeypatch):
    path = tmp_path / "curves.png"
    saved = []
    real_plot = viz.live.plot_history
    monkeypatch.setattr(viz.live, "plot_history",
                        lambda *a, **k: saved.append(len(a[0]["loss"])) or real_plot(*a, **k))
    live = viz.LivePlot(path=path, title="sin(3x)")
    history = _fit(4, [live])
    assert saved == [1, 2, 3, 4] and live.updates == 4
    picture(path, (920, 360))                    # loss and mae panels (the lr never changed)
    ax = live.figure.axes[0]
    assert [a.get_title() for a in live.figure.axes] == ["loss", "mae"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), history["loss"])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), history["val_loss"])
    assert live.figure.get_suptitle() == "sin(3x): after epoch 4 of 4"


def test_live_plot_without_a_notebook_or_path_warns_and_draws_nothing():
    live = viz.LivePlot(every=2)
    with pytest.warns(RuntimeWarning, match="not running in a notebook and no path given"):
        _fit(4, [live])
    assert live.figure is None and live.updates == 0 and len(live.history["loss"]) == 4


def test_live_plot_updates_one_notebook_output(monkeypatch):
    shown = []

    class Handle:
        def update(self, image):
            shown.append(("update", image))

    def display(image, display_id=False):
        shown.append(("display", image, display_id))
        return Handle()

    kernel_shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: kernel_shell
    display_module = types.ModuleType("IPython.display")
    display_module.display = display
    display_module.Image = lambda data, format: (format, data)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    assert viz.live.notebook_display() is display
    live = viz.LivePlot(every=2)
    _fit(5, [live])                              # epochs 2, 4 and the end
    assert [entry[0] for entry in shown] == ["display", "update", "update"]
    assert shown[0][2] is True
    assert all(entry[1][0] == "png" and entry[1][1].startswith(b"\x89PNG") for entry in shown)
    assert shown[1][1] != shown[2][1]
    kernel_shell.kernel = None                   # a terminal IPython: no display
    assert viz.live.notebook_display() is None


def test_curve_callbacks_do_not_change_training(tmp_path):
    plain = _fit(3)
    watched = _fit(3, [viz.LivePlot(path=tmp_path / "c.svg"),
                       viz.TerminalChart(1, file=io.StringIO())])
    assert plain == watched


def test_curve_callback_errors():
    with pytest.raises(ValueError, match=r"LivePlot: every must be a positive integer .* got 0"):
        viz.LivePlot(every=0)
    with pytest.raises(ValueError, match=r"TerminalChart: every must be a positive integer"):
        viz.TerminalChart(every=1.5)
    with pytest.raises(ValueError, match=r"LivePlot: cannot tell the picture format"):
        viz.LivePlot(path="curves.txt")
