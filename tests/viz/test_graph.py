"""``draw_graph`` and ``trace``: values on nodes, gradients on edges, with and without ``dot``."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import descend as dc
from descend.autograd import engine
from descend.autograd.trace import format_value
from descend.viz import draw_graph, trace, trace_backward
from descend.viz import graph as graph_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def _lecture():
    v = dc.tensor(0.0, dtype="float64", requires_grad=True, name="v")
    x = dc.tensor(2.0, dtype="float64", requires_grad=True, name="x")
    y = dc.tensor(5.0, dtype="float64", name="y")
    return v, x, y, (v * x - y) ** 2


def test_dot_text_has_values_on_nodes_and_gradients_on_edges():
    v, x, _, loss = _lecture()
    dot = draw_graph(loss)
    assert 'label="v = 0\\ngrad -20"' in dot
    assert 'label="x = 2\\ngrad 0"' in dot
    assert 'label="t1 = v * x\\n= 0"' in dot
    assert 'label="t2 = t1 - y\\n= -5"' in dot
    assert 'peripheries=2, label="L = t2 ** 2\\n= 25"' in dot
    assert [line.split("label=")[1] for line in dot.splitlines() if "-> " in line
            and "label=" in line] == ['"grad -10"];', '"grad -10"];', '"grad -20"];',
                                       '"grad 0"];']
    assert "n2 -> n4 [style=dashed" in dot        # the constant y: no gradient flows to it
    assert v.grad is None and x.grad is None       # draw_graph ran its own backward
    loss.backward()                                # and left the graph alive
    assert v.grad.item() == -20.0


def test_trace_records_a_backward_the_user_runs():
    v, _, _, loss = _lecture()
    with trace() as graph:
        loss.backward()
    assert v.grad.item() == -20.0
    labels = graph.labels()
    assert labels["v"].grad.item() == -20.0 and labels["L"].value.item() == 25.0
    assert [n.label for n in graph.nodes.values()] == ["v", "x", "y", "t1", "t2", "L"]
    # the same picture as from the live graph: backward keeps the ops' settings (pow's
    # exponent), so the formula still reads t2 ** 2
    live = draw_graph(trace_backward(_lecture()[3]))
    assert draw_graph(graph) == live
    assert "L = t2 ** 2" in live


def test_gradients_reaching_a_tensor_on_several_paths_are_summed():
    x = dc.tensor(3.0, dtype="float64", requires_grad=True, name="x")
    graph = trace_backward(x * x + x.sin())
    assert graph.labels()["x"].grad.item() == pytest.approx(6.0 + np.cos(3.0))
    into_x = [e for e in graph.edges if graph.nodes[e.source].label == "x"]
    assert len(into_x) == 3
    assert sum(e.grad.item() for e in into_x) == pytest.approx(6.0 + np.cos(3.0))
    assert sorted(e.local.item() for e in into_x) == pytest.approx(sorted([3.0, 3.0,
                                                                          np.cos(3.0)]))


def test_arrays_are_summarised_and_unnamed_tensors_get_labels():
    w = dc.tensor(np.ones((4, 3)), requires_grad=True)
    x = dc.tensor(np.arange(8.0).reshape(2, 4))
    dot = draw_graph(((x @ w).relu()).sum())
    assert "p1 = shape (4, 3), mean 1" in dot and "c1 = [0, 1, 2, 3, 4, 5, 6, 7]" not in dot
    assert "c1 = shape (2, 4): [0, 1, 2, 3, 4, 5, 6, 7]" in dot
    assert "t1 = matmul(c1, p1)" in dot
    assert format_value(np.float32(-0.0)) == "0" and format_value(3) == "3"


@needs_dot
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_rendered_with_dot(tmp_path, picture, suffix):
    _, _, _, loss = _lecture()
    path = tmp_path / f"graph{suffix}"
    drawn = draw_graph(loss, path)
    assert drawn.path == path
    if suffix == ".png":
        first = picture(path, min_bytes=5000)
        assert first.shape[1] > first.shape[0] > 100          # left-to-right layout
        other = tmp_path / "other.png"
        v = dc.tensor(1.0, dtype="float64", requires_grad=True, name="v")
        draw_graph((v * 3.0 - 5.0) ** 2, other)
        assert path.read_bytes() != other.read_bytes()
    else:
        text = path.read_text()
        assert text.lstrip().startswith("<?xml") and "grad &#45;20" in text
        assert "grad &#45;20" in drawn._repr_svg_()


def test_without_dot_it_warns_how_to_install_and_returns_the_text(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    _, _, _, loss = _lecture()
    with pytest.warns(RuntimeWarning, match="apt-get install graphviz"):
        drawn = draw_graph(loss, tmp_path / "g.svg")
    assert "grad -20" in drawn and drawn.path is None
    assert not (tmp_path / "g.svg").exists()
    assert drawn._repr_svg_() is None


def test_dot_files_are_written_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    _, _, _, loss = _lecture()
    drawn = draw_graph(loss, tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == drawn


def test_a_small_graph_is_drawn_after_backward_as_micrograd_draws_it():
    _, _, _, loss = _lecture()
    before = draw_graph(loss)
    loss.backward()
    assert draw_graph(loss) == before  # every op with its value, every edge with its gradient
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()  # kept for pictures only: a second backward still needs retain_graph


@needs_dot
def test_a_picture_is_rendered_after_backward(tmp_path):
    _, _, _, loss = _lecture()
    loss.backward()
    drawn = draw_graph(loss, tmp_path / "after_backward.png")
    assert drawn.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "grad -20" in drawn


def test_errors_say_what_to_do(monkeypatch):
    w = dc.tensor(1.0, requires_grad=True)
    loss = w * 2
    monkeypatch.setattr(engine, "PICTURE_VALUES", 0)  # freed, as a large graph is
    loss.backward()
    with pytest.raises(ValueError, match=r"graph was freed by backward.*not kept for pictures"
                                         r".*dc.viz.trace"):
        draw_graph(loss)
    with pytest.raises(ValueError, match="not computed from tensors with requires_grad"):
        draw_graph(dc.tensor(1.0) * 2)
    step = dc.jit(lambda x: (x * w).sum())
    step(np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"nor has a compiled step's result after its first "
                                         r"call.*print\(step.program"):
        draw_graph(step(np.ones(2, np.float32)))  # (a replay's)
    with pytest.raises(ValueError, match="must have one element"):
        draw_graph(dc.tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(TypeError, match="expected the output Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match=r"end the file name with .svg"):
        draw_graph(dc.tensor(1.0, requires_grad=True) * 2, "graph.jpg")
    with pytest.raises(ValueError, match="backward recorded no ops"), trace():
        pass
