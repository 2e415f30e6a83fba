"""The backward engine: accumulation, graph freeing, retain/create graph, non-scalar seeds."""

from __future__ import annotations

import json
import subprocess
import sys
import weakref

import numpy as np
import pytest

import descend as dc
from descend.autograd import engine
from descend.autograd.engine import record_backward
from descend.autograd.function import Function
from descend.ops.elementwise import Mul


def test_gradients_accumulate_across_backward_calls():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.numpy().tolist() == [5.0, 7.0]


def test_gradients_accumulate_in_place_into_the_existing_buffer():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad, buffer = x.grad, x.grad.data
    (x * x).sum().backward()
    assert x.grad is grad and x.grad.data is buffer
    assert buffer.tolist() == [5.0, 7.0]


def test_zeroed_gradients_are_reused_as_preallocated_buffers():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    opt = dc.optim.SGD([x], lr=0.1)
    (x * x).sum().backward()
    buffer = x.grad.data
    opt.zero_grad(set_to_none=False)
    (x * 3).sum().backward()
    assert x.grad.data is buffer and buffer.tolist() == [3.0, 3.0]


def test_a_gradient_that_does_not_own_its_array_is_replaced_not_written_into():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    base = np.zeros(4, np.float32)
    x.grad = dc.Tensor._wrap(base[:2])  # a view of someone else's array
    (x * 3).sum().backward()
    assert x.grad.numpy().tolist() == [3.0, 3.0] and base.tolist() == [0.0] * 4


def test_a_tensor_used_on_several_paths_gets_the_sum():
    x = dc.tensor(0.5, dtype="float64", requires_grad=True)
    y = x * x.tanh() + x.exp() * x
    y.backward()
    t = np.tanh(0.5)
    expected = t + 0.5 * (1 - t * t) + np.exp(0.5) * 1.5
    assert abs(x.grad.item() - expected) < 1e-12


@pytest.mark.parametrize("t_first", [True, False])
@pytest.mark.parametrize("chain", [0, 1, 4])
def test_an_op_waits_for_every_op_that_used_its_output(chain, t_first):
    # t feeds the sum directly and through exp and a chain of ops: backward reaches t first
    # from the sum, but must run t's op only once the newer ops have passed their share back
    x = dc.tensor([0.25, -0.5], dtype="float64", requires_grad=True)
    t = x * 2.0
    u = t.exp()
    for _ in range(chain):
        u = u * 1.0
    ((t + u) if t_first else (u + t)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 + 2.0 * np.exp(2.0 * x.numpy()), rtol=1e-14)


def test_the_graph_is_freed_and_a_second_backward_says_so():
    x = dc.tensor([1.0], requires_grad=True)
    y = (x * 2).exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def graph_of(root: dc.Tensor) -> list:
    """Every op below ``root`` (while the graph is still whole)."""
    ops, stack = [], [root]
    while stack:
        fn = stack.pop()._ctx
        if fn is not None and fn not in ops:
            ops.append(fn)
            stack.extend(fn.inputs)
    return ops


@pytest.mark.parametrize("retain", [False, True])
def test_backward_frees_what_each_op_kept_unless_the_graph_is_retained(retain, monkeypatch):
    monkeypatch.setattr(engine, "PICTURE_VALUES", 0)  # as large a graph as a model's step
    x = dc.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    w = dc.ones((3, 4), requires_grad=True)
    logits = dc.linear(x, w, dc.zeros(4), activation="relu").sigmoid() * 2.0
    loss = dc.losses.sparse_categorical_crossentropy([1], logits, from_logits=True)
    ops = graph_of(loss)
    assert {fn.name for fn in ops} == {"linear", "sigmoid", "mul",
                                       "sparse_softmax_cross_entropy"}
    loss.backward(retain_graph=retain)
    for fn in ops:  # inputs and saved arrays: all gone, or all kept
        held = [fn.inputs is not None, *(name in vars(fn) for name in fn.saved_arrays)]
        assert held == [retain, *(retain for _ in fn.saved_arrays)], fn.name
        if fn.save_output and retain:  # the output is only referenced weakly: no memory held
            assert isinstance(vars(fn)["_output_ref"], weakref.ref), fn.name


def test_a_small_graph_keeps_its_values_after_backward_but_refuses_a_second_one():
    x = dc.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    loss = (x.exp() * 2.0).sum()
    ops = graph_of(loss)
    loss.backward()
    assert all(fn.inputs is not None and fn.released for fn in ops)
    with pytest.raises(RuntimeError, match="already freed by an earlier backward"):
        loss.backward()


def test_a_graph_over_the_picture_limits_is_freed(monkeypatch):
    x = dc.ones(50, requires_grad=True)
    monkeypatch.setattr(engine, "PICTURE_VALUES", 99)
    small = (x * 2.0).sum()  # 51 values
    large = (x * 2.0 + 1.0).sum()  # 101 values
    small.backward()
    large.backward()
    assert small.grad_fn.inputs is not None and large.grad_fn.inputs is None


def test_retain_graph_allows_a_second_backward():
    x = dc.tensor([1.0], requires_grad=True)
    y = (x * 2).exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * np.exp(2.0), rtol=1e-6)


def test_non_scalar_backward_needs_a_gradient():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*pass gradient="):
        y.backward()
    y.backward(gradient=[1.0, 10.0])
    assert x.grad.numpy().tolist() == [2.0, 20.0]


def test_backward_on_a_tensor_without_graph_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dc.tensor([1.0]).sum().backward()


def test_create_graph_gives_second_derivatives():
    x = dc.tensor(0.7, dtype="float64", requires_grad=True)
    y = x.tanh()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    t = np.tanh(0.7)
    assert abs(x.grad.item() - (-2 * t * (1 - t * t))) < 1e-12


def test_leaf_gradients_never_share_memory():
    a = dc.tensor([1.0, 2.0], requires_grad=True)
    b = dc.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[:] = 0
    assert b.grad.numpy().tolist() == [1.0, 1.0]


def test_no_grad_builds_no_graph_and_enable_grad_restores_it():
    x = dc.tensor([1.0], requires_grad=True)
    with dc.no_grad():
        y = x * 2
        with dc.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.name == "mul"
    assert dc.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = dc.tensor([2.0], requires_grad=True)
    y = x * x.detach()
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_retain_grad_keeps_an_intermediate_gradient():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.numpy().tolist() == [6.0, 12.0]


def test_record_backward_sees_every_edge():
    v = dc.tensor(0.0, requires_grad=True)
    with record_backward() as records:
        ((v * 2.0 - 5.0) ** 2).backward()
    assert [r.fn.name for r in records] == ["pow", "sub", "mul"]
    assert [r.grad_output.item() for r in records] == [1.0, -10.0, -10.0]


def test_in_place_update_of_a_parameter_needs_no_grad():
    w = dc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1
    with dc.no_grad():
        w -= dc.tensor([0.5, 0.5])
    assert w.numpy().tolist() == [0.5, 1.5] and w.requires_grad


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_anomaly_mode_names_the_op_and_where_it_was_made():
    x = dc.tensor([-1.0, 4.0], requires_grad=True)
    with dc.detect_anomaly(), pytest.raises(FloatingPointError) as info:
        x.sqrt()
    message = str(info.value)
    assert "'sqrt'" in message and "test_engine.py" in message


@pytest.mark.filterwarnings("ignore:divide by zero encountered in divide:RuntimeWarning")
def test_anomaly_mode_names_the_op_whose_gradient_is_not_finite():
    x = dc.tensor([0.0], requires_grad=True)
    with dc.detect_anomaly(), pytest.raises(FloatingPointError, match="gradient that 'sqrt'"):
        x.sqrt().sum().backward()


class _Broadcast(Function):
    """A user-defined op, x + b with b broadcast, whose backward can be made wrong."""

    mistake = ""

    def forward(self, x, b):
        return x + b

    def backward(self, gy):
        if self.mistake == "unsummed":
            return gy, gy  # b's gradient is not summed back to b's shape
        if self.mistake == "too few":
            return (gy,)
        return gy, gy.sum(axis=0)


@pytest.mark.parametrize(("mistake", "message"), [
    ("unsummed", r"_broadcast: backward gave a gradient of shape \(3, 2\) for an input of "
                 r"shape \(2,\); a gradient has its input's shape"),
    ("too few", r"_broadcast: backward returned 1 gradients for 2 inputs"),
])
def test_a_user_defined_op_whose_gradients_do_not_fit_its_inputs_is_named(
        mistake, message, monkeypatch):
    monkeypatch.setattr(_Broadcast, "mistake", mistake)
    x = dc.ones((3, 2), requires_grad=True)
    b = dc.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        _Broadcast.apply(x, b).sum().backward()


def test_a_correct_user_defined_op_passes_the_checks():
    x = dc.ones((3, 2), requires_grad=True)
    b = dc.ones(2, requires_grad=True)
    _Broadcast.apply(x, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0])


def test_descend_s_own_ops_have_their_gradients_checked_by_the_same_rule(monkeypatch):
    monkeypatch.setattr(Mul, "backward", lambda self, gy: (gy, gy.sum()))
    x = dc.ones((3, 2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul: backward gave a gradient of shape \(\) for"):
        (x * x).sum().backward()


MEMORY_PROBE = """
import gc, json, tracemalloc
import descend as dc

dc.seed(0)
w1 = dc.randn(8, 16, requires_grad=True)
w2 = dc.randn(16, 1, requires_grad=True)
x, y = dc.randn(32, 8), dc.randn(32, 1)


def step():
    loss = (((x @ w1).relu() @ w2 - y) ** 2).mean()
    loss.backward()
    with dc.no_grad():
        for w in (w1, w2):
            w -= w.grad * 1e-3
            w.grad = None


for _ in range(600):
    step()
tracemalloc.start()
peaks, currents = [], []
for _ in range(4):  # four equal windows of 1,100 steps: 5,000 steps with the warm-up
    gc.collect()  # a full collection also empties Python's free lists, which hold memory
    tracemalloc.reset_peak()
    for _ in range(1100):
        step()
    peaks.append(tracemalloc.get_traced_memory()[1])
    gc.collect()
    currents.append(tracemalloc.get_traced_memory()[0])
print(json.dumps({"peaks": peaks, "currents": currents}))
"""


def test_memory_stays_flat_over_5000_training_steps():
    # a fresh interpreter, so that what earlier tests left behind does not count
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True,
                         check=True)
    measured = json.loads(out.stdout)
    peaks, currents = measured["peaks"], measured["currents"]
    assert max(currents) - min(currents) <= 4_096, currents  # nothing is kept from step to step
    assert max(peaks) <= min(peaks) * 1.05 + 16_384, peaks  # no step holds more than the first
