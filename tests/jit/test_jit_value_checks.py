"""The library's own checks of a step's values run again on every replay, and no op's
backward branches on values: a compiled step fails on bad data as the eager step does (same
error, no weight changed), and gives the eager gradients on data its trace did not see."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import descend as dc
from descend.compiler.instructions import Backward
from jitcheck import same, twins, weights

LENGTH = 3


def _embedding():
    model = dc.nn.Embedding(10, 4)
    return model, dc.optim.SGD(model.parameters(), lr=0.1)


def _linear():
    model = dc.nn.Dense(1, input_dim=2, kernel_initializer=dc.nn.initializers.Constant(0.1),
                        bias_initializer=dc.nn.initializers.Constant(0.5))  # and no sigmoid
    return model, dc.optim.SGD(model.parameters(), lr=0.1)


def _mse(y, out):
    return dc.losses.mse(y, out)


def _raises_as_eager(eager, compiled, batch):
    """Both steps raise on ``batch`` (a replay, not a new trace), with the same ValueError."""
    assert compiled.ready(*batch)
    with pytest.raises(ValueError) as eager_error:
        eager(*batch)
    with pytest.raises(ValueError, match=re.escape(str(eager_error.value))):
        compiled(*batch)


def _indices(values):
    return np.array(values, np.int64).reshape(2, LENGTH)


TARGETS = np.random.default_rng(0).standard_normal((2, LENGTH, 4)).astype(np.float32)


@pytest.mark.parametrize("bad", [10, -1], ids=["past the table", "negative"])
def test_a_replay_checks_embedding_indices_as_the_eager_step_does(bad):
    eager_model, eager, model, step = twins(_embedding, _mse)
    step = dc.jit(step)
    good = _indices([1, 4, 1, 0, 9, 5])
    eager(good, TARGETS)
    step(good, TARGETS)
    before = weights(model)
    assert same(weights(eager_model), before)
    _raises_as_eager(eager, step, (_indices([1, 4, bad, 0, 2, 5]), TARGETS))
    assert same(weights(model), before)  # checked before any weight changed
    again = _indices([2, 2, 3, 7, 8, 0])
    assert eager(again, TARGETS).data.tobytes() == step(again, TARGETS).data.tobytes()
    assert same(weights(eager_model), weights(model))
    assert "check_indices(x, 10)" in str(step.program(good, TARGETS))


LABELS = np.array([[1.0], [0.0]], np.float32)


def test_a_replay_checks_that_predictions_are_probabilities_as_the_eager_step_does():
    eager_model, eager, model, step = twins(_linear, dc.losses.binary_crossentropy)
    step = dc.jit(step)
    inside = np.array([[0.5, 1.0], [1.0, 2.0]], np.float32)  # outputs 0.65, 0.8
    assert eager(inside, LABELS).data.tobytes() == step(inside, LABELS).data.tobytes()
    before = weights(model)
    assert same(weights(eager_model), before)
    _raises_as_eager(eager, step, (inside * 10, LABELS))  # outputs above 1
    assert same(weights(model), before)
    assert "check_probabilities('binary_crossentropy', " in str(step.program(inside, LABELS))


def _pick_rows():
    table = dc.tensor(np.arange(8.0, dtype=np.float32).reshape(4, 2), requires_grad=True)
    optimizer = dc.optim.SGD([table], lr=0.1)

    def step(rows):
        optimizer.zero_grad()
        loss = table[rows].sum()
        loss.backward()
        optimizer.step()
        return loss

    return table, step


def test_a_replay_names_an_index_out_of_range_as_the_eager_step_does():
    table, step = _pick_rows()
    eager_table, eager = _pick_rows()
    step = dc.jit(step)
    for rows in ([0, 3], [1, 1]):  # a trace, then a replay, both in range
        assert eager(np.array(rows)).item() == step(np.array(rows)).item()
    bad = np.array([2, 4])
    assert step.ready(bad)
    with pytest.raises(IndexError) as eager_error:
        eager(bad)
    assert str(eager_error.value).startswith("getitem: ")
    assert "(tensor shape (4, 2))" in str(eager_error.value)
    with pytest.raises(IndexError, match=re.escape(str(eager_error.value))):
        step(bad)
    assert table.data.tobytes() == eager_table.data.tobytes()  # neither changed a weight


def _power_runs(start: np.ndarray, power, batches):
    """A step whose loss is ``power(w, *batch).sum()`` for a parameter ``w`` (SGD), run on
    ``batches`` eagerly and compiled: for each, ``w.grad`` after every batch and ``w`` at the
    end; and the compiled step."""
    runs = []
    for compiled in (False, True):
        w = dc.tensor(start, requires_grad=True)
        optimizer = dc.optim.SGD([w], lr=0.01)

        def step(*batch, w=w, optimizer=optimizer):
            optimizer.zero_grad()
            loss = power(w, *batch).sum()
            loss.backward()
            optimizer.step()
            return loss

        step = dc.jit(step) if compiled else step
        grads = []
        for batch in batches:
            step(*batch)
            grads.append(w.grad.numpy().copy())
        runs.append([*grads, w.data.copy()])
    return *runs, step


def test_the_exponent_s_gradient_at_a_zero_base_is_replayed_without_a_branch():
    bases = [np.array([[0.5, 2.0, 1.5], [3.0, 0.25, 1.0]], np.float32),
             np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0]], np.float32)]  # zeros the trace lacked
    exponent = np.array([2.0, 0.5, 1.0], np.float32)
    eager, compiled, step = _power_runs(exponent, lambda b, a: a**b, [(a,) for a in bases])
    assert same(eager, compiled)
    b = torch.tensor(exponent - np.float32(0.01) * eager[0], requires_grad=True)
    (torch.tensor(bases[1]) ** b).sum().backward()
    assert np.isfinite(compiled[1]).all()
    np.testing.assert_allclose(compiled[1], b.grad.numpy(), rtol=1e-6)
    code = step.program(bases[0]).code
    assert not any(isinstance(i, Backward) for i in code)  # its backward's ops stay flat


def test_the_base_s_gradient_at_a_zero_exponent_is_replayed_without_a_branch():
    rng = np.random.default_rng(0)
    start = rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
    batches = [(rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32), np.float32([2.0, 0.5, 1.5])),
               (np.float32([[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]), np.float32([0.0, 2.0, 0.0]))]
    # the trace saw no zero; the replay gets 0 ** 0 three times, 0 ** 2 and w ** 0
    eager, compiled, _ = _power_runs(start, lambda w, x, b: (w * x) ** b, batches)
    assert same(eager, compiled)
    w = torch.tensor(start - np.float32(0.01) * eager[0], requires_grad=True)
    ((w * torch.tensor(batches[1][0])) ** torch.tensor(batches[1][1])).sum().backward()
    assert np.isfinite(compiled[1]).all()
    np.testing.assert_allclose(compiled[1], w.grad.numpy(), rtol=1e-6)
