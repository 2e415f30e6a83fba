"""Every file writer in descend refuses a missing folder with a sentence and creates nothing.

The exception is TensorBoard, whose ``log_dir`` is a folder the callback owns (it is created,
as Keras and torch create it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from descend.demo.plots import check_plot_path
from descend.paths import output_file
from descend.viz._figure import picture_path


def _model() -> dc.Sequential:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    return model


def _fit(callback: dc.callbacks.Callback, model: dc.Sequential | None = None) -> None:
    (model or _model()).fit(np.ones((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0,
                            callbacks=[callback])


WRITERS: list[tuple[str, str, Callable[[Path], object]]] = [
    ("save", "save", lambda p: dc.save(dc.Sequential([dc.nn.Dense(1, input_dim=2)]), p)),
    ("draw_graph", "draw_graph",
     lambda p: dc.viz.draw_graph(dc.lab.explain("x*y", x=1.0, y=2.0).trace, p.with_suffix(".dot"))),
    ("animate_race", "animate_race",
     lambda p: dc.viz.animate_race(dc.lab.race("quadratic", ["gd"], steps=3),
                                   p.with_suffix(".gif"))),
    ("pictures", "plot_race", lambda p: picture_path(p.with_suffix(".png"), "plot_race")),
    ("demo --plot", "demo boston --plot",
     lambda p: check_plot_path(str(p.with_suffix(".png")), "demo boston")),
    ("CSVLogger", "CSVLogger", lambda p: _fit(dc.callbacks.CSVLogger(p.with_suffix(".csv")))),
    ("ModelCheckpoint", "ModelCheckpoint",
     lambda p: _fit(dc.callbacks.ModelCheckpoint(p.with_name("ckpt-{epoch}.safetensors")))),
]


@pytest.mark.parametrize(("where", "write"), [w[1:] for w in WRITERS], ids=[w[0] for w in WRITERS])
def test_a_missing_folder_is_a_clear_error_and_nothing_is_created(where, write, tmp_path):
    target = tmp_path / "missing" / "deeper" / "out.safetensors"
    with pytest.raises(FileNotFoundError, match=rf"^{where}: cannot write .*: the folder "
                                                rf"{target.parent} does not exist \(descend does "
                                                r"not create folders; make it first\)$"):
        write(target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make", [dc.callbacks.CSVLogger, dc.callbacks.ModelCheckpoint],
                         ids=["CSVLogger", "ModelCheckpoint"])
def test_a_callback_with_a_missing_folder_fails_before_any_weight_changes(make, tmp_path):
    model = _model()
    before = model.get_weights()
    with pytest.raises(FileNotFoundError):
        _fit(make(tmp_path / "missing" / "file"), model)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before, strict=True))


def test_a_folder_given_as_a_file_says_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match=rf"^draw_graph: {tmp_path} is a folder; expected a file "
                                         r"path such as .*graph.svg$"):
        output_file(tmp_path, "draw_graph", example="graph.svg")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"cannot write .*g.dot: .*file is a file, not a folder"):
        output_file(tmp_path / "file" / "g.dot", "draw_graph")


def test_tensorboard_creates_its_own_log_folder(tmp_path):
    pytest.importorskip("tensorboardX")
    log_dir = tmp_path / "runs" / "first"
    board = dc.callbacks.TensorBoard(log_dir)
    board.on_train_begin()
    board.on_epoch_end(0, {"loss": 1.0})
    board.on_train_end()
    assert log_dir.is_dir() and any(log_dir.iterdir())
    assert "created (with its parents)" in dc.callbacks.TensorBoard.__doc__
