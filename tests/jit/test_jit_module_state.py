"""A module's attribute set to a tensor in a compiled step: each replay sets it to its own
values, as the eager step does; state carried from call to call by rebinding one is refused."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError
from jitcheck import on_arrays, squares_step

RNG = np.random.default_rng(0)
BATCHES = [RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]


class Keeping(dc.nn.Module):
    """A dense layer with ReLU that keeps something of each call in ``self.kept`` (``how``)."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.dense, self.how = dc.nn.Dense(3, input_dim=3), how
        self.state = dc.zeros(2, 3)

    def forward(self, x: dc.Tensor) -> dc.Tensor:
        pre = self.dense(x)
        if self.how == "its pre-activation":  # (the ReLU after it may not write into it)
            self.kept = pre
        elif self.how == "its input":
            self.kept = x
        elif self.how == "a detached copy":
            self.kept = (pre * 2.0).detach()
        out = pre.relu()
        if self.how == "a state updated in place":
            out = out + self.state
            with dc.no_grad():
                self.state *= 0.0
                self.state += out.detach()
            self.kept = self.state
        elif self.how == "a constant":
            self.kept = dc.ones(2, 3)
            out = out + self.kept
        return out


def _runs(how: str) -> list[list[object]]:
    """Eager, then compiled: each call's loss and ``kept`` after it, rounded."""
    runs = []
    for compiled in (False, True):
        dc.seed(0)
        model = Keeping(how)
        step = squares_step(model, dc.optim.SGD(model.parameters(), lr=0.1))
        run = dc.jit(step) if compiled else on_arrays(step)
        runs.append([(run(x).item(), model.kept.numpy().tolist()) for x in BATCHES])
    return runs


@pytest.mark.parametrize("how", ["its pre-activation", "its input", "a detached copy",
                                 "a state updated in place", "a constant"])
def test_an_attribute_set_in_the_step_holds_each_call_s_values(how):
    """An attention layer keeping its weights to look at, a layer keeping its input: after
    each call the attribute holds that call's values (it held the traced call's, and a
    pre-activation kept there was overwritten by the ReLU written into its array)."""
    eager, compiled = _runs(how)
    assert eager == compiled
    assert len({str(kept) for _, kept in compiled}) == (1 if how == "a constant" else 4)


def test_the_program_shows_the_attribute_set():
    model = Keeping("its pre-activation")
    text = str(dc.jit(lambda x: model(x).sum()).program(BATCHES[0]))
    assert "Keeping.kept = t" in text and "np.maximum(t3, 0)\n" in text


class Recurrent(dc.nn.Module):
    """A cell carrying its hidden state from call to call in ``self.h`` (truncated BPTT)."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = dc.nn.Dense(3, input_dim=3)
        self.h = dc.zeros(2, 3)

    def forward(self, x: dc.Tensor) -> dc.Tensor:
        h = (self.dense(x) + self.h).tanh()
        self.h = h.detach()
        return h


def test_a_hidden_state_carried_by_rebinding_an_attribute_is_refused():
    """The next call reads the new ``self.h`` eagerly; a replay read the traced one (losses
    0.118, 0.186, 0.249 where eager gave 0.118, 0.165, 0.346)."""
    model = Recurrent()
    step = dc.jit(lambda x: (model(x) ** 2).mean())
    with pytest.raises(TraceError, match=r"the step sets Recurrent.h to a tensor it computed, "
                                         r"replacing the tensor it read there"):
        step(BATCHES[0])


def test_module_attributes_are_set_as_usual_after_a_trace():
    """The watching ``__setattr__`` lives only while a step is traced, also when it fails."""
    model = Recurrent()
    with pytest.raises(TraceError):
        dc.jit(lambda x: model(x).sum())(BATCHES[0])
    assert "__setattr__" not in vars(dc.nn.Module)
    model.h = dc.ones(2, 3)
    assert model.h.numpy().sum() == 6.0


class Counting(dc.nn.Module):
    """A layer counting its calls in a Python number (or setting one it already holds)."""

    def __init__(self, change: str) -> None:
        super().__init__()
        self.dense, self.change, self.calls, self.scale, self.seen = (
            dc.nn.Dense(3, input_dim=3), change, 0, 2.0, False)

    def forward(self, x: dc.Tensor) -> dc.Tensor:
        if self.change == "a counter":
            self.calls += 1
        elif self.change == "the same number":
            self.scale = 2.0
        elif self.change == "a flag":
            self.seen = True
        return self.dense(x) * self.scale


def test_a_python_counter_changed_in_the_step_is_refused():
    """The counter moved once, at the trace, and stayed there (counted 1 after 4 calls)."""
    model = Counting("a counter")
    with pytest.raises(TraceError, match=r"the step changes Counting.calls \(0 -> 1\) while it "
                                         r"is traced"):
        dc.jit(lambda x: model(x).sum())(BATCHES[0])


@pytest.mark.parametrize("change", ["the same number", "a flag"])
def test_a_python_value_set_alike_on_every_call_is_not_refused(change):
    model = Counting(change)
    step = dc.jit(lambda x: model(x).sum())
    assert [step(x).item() for x in BATCHES] == [
        on_arrays(lambda x: model(x).sum())(x).item() for x in BATCHES]
