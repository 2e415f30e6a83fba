"""``explain``: the numbers of the lecture example, exactly, and the text a learner reads."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.autograd import engine
from descend.lab.explanation import explain


def test_lecture_example_edge_gradients_and_update_are_exact():
    e = explain("(v*x - y)**2", v=0, x=2, y=5, lr=0.1, wrt=["v"])
    assert [(a, b, g.item()) for a, b, g in e.edge_gradients()] == [
        ("t2", "L", -10.0), ("t1", "t2", -10.0), ("v", "t1", -20.0)]
    assert e.gradients["v"].item() == -20.0
    assert e.updates["v"].item() == pytest.approx(2.0, abs=1e-15)
    text = str(e)
    assert "dL/dt2 = dL/dL * ∂L/∂t2 = 1 * -10 = -10" in text
    assert "dL/dt1 = dL/dt2 * ∂t2/∂t1 = -10 * 1 = -10" in text
    assert "dL/dv = dL/dt1 * ∂t1/∂v = -10 * 2 = -20" in text
    assert "v: 0 - 0.1 * -20 = 2" in text
    assert "t1 = v * x" in text and "L  = t2 ** 2 = 25" in text


def test_all_variables_are_differentiated_by_default():
    e = explain("(v*x - y)**2", {"v": 0, "x": 2, "y": 5})
    assert {k: g.item() for k, g in e.gradients.items()} == {"v": -20.0, "x": 0.0, "y": 10.0}
    assert e.updates == {}
    assert "Gradient-descent update" not in str(e)


def test_a_variable_used_twice_shows_both_contributions_and_their_sum():
    e = explain("x * x * x", x=2.0)
    text = str(e)
    assert text.count("dL/dx +=") == 3
    assert e.gradients["x"].item() == 12.0


def test_vectors_are_pulled_back_without_local_derivatives():
    e = explain("sum(w * x)", w=[1.0, 2.0], x=[3.0, 4.0], wrt=["w"])
    np.testing.assert_array_equal(e.gradients["w"], [3.0, 4.0])
    assert "pulled back through mul = [3, 4]" in str(e)


def test_a_live_tensor_graph_is_explained_without_touching_grad():
    w = dc.tensor(1.5, dtype="float64", requires_grad=True, name="w")
    loss = (w * 4.0).sigmoid()
    e = explain(loss)
    s = 1 / (1 + np.exp(-6.0))
    assert e.gradients["w"].item() == pytest.approx(4 * s * (1 - s), rel=1e-14)
    assert w.grad is None
    loss.backward()                      # the graph is still usable
    assert w.grad.item() == pytest.approx(4 * s * (1 - s), rel=1e-14)


def test_bad_calls_say_what_is_wrong(monkeypatch):
    with pytest.raises(ValueError, match="wrt names z, which the expression does not use"):
        explain("x * y", x=1, y=2, wrt=["z"])
    with pytest.raises(ValueError, match="does not depend on any of"):
        explain("2 * 3")
    with pytest.raises(ValueError, match="explain: the output must have one element"):
        explain("x * 2", x=[1.0, 2.0])
    with pytest.raises(TypeError, match="only for a formula given as a string"):
        explain(dc.tensor(1.0, requires_grad=True) * 2, x=1)
    w = dc.tensor(1.0, requires_grad=True)
    loss = w * 3
    monkeypatch.setattr(engine, "PICTURE_OPS", 0)  # the graph is freed, as a large one is
    loss.backward()
    with pytest.raises(ValueError, match="explain: the graph was freed by backward"):
        explain(loss)
