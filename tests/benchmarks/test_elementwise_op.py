"""The elementwise-op benchmark times the same op everywhere, on tracked operands."""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import entry, fake_run, implementations, load

elementwise_op = load("elementwise_op")


@pytest.mark.parametrize("op", list(elementwise_op.OPS))
def test_every_implementation_computes_the_same_values(op):
    a, b = elementwise_op.operands(7, seed=1)
    expected = {"a * b": a * b, "a * 2.0": a * 2.0, "a + b": a + b}[op]
    for name, make in implementations(elementwise_op.IMPLEMENTATIONS).items():
        out = elementwise_op.bound_op(op, make, a, b)()
        values = out.detach().numpy() if name == "torch" else np.asarray(out)
        np.testing.assert_array_equal(values, expected, err_msg=name)
        assert values.dtype == np.float32, name


@pytest.mark.parametrize("op", list(elementwise_op.OPS))
def test_descend_and_torch_record_the_op_for_backward(op):
    arrays = elementwise_op.operands()
    a, b = elementwise_op._descend(*arrays)
    elementwise_op.OPS[op](a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2.0 if op == "a * 2.0" else
                                  (arrays[1] if op == "a * b" else 1.0))
    pytest.importorskip("torch")
    assert elementwise_op.OPS[op](*elementwise_op._torch(*arrays)).grad_fn is not None


def test_the_operands_are_not_shared_between_implementations():
    a, b = elementwise_op.operands()
    x, _ = elementwise_op._numpy(a, b)
    x += 1
    assert not np.array_equal(x, a)


def test_targets_are_descends_time_per_op_against_2_5_microseconds():
    rows = {op: {"NumPy": entry(0.3e-6), "descend": entry(t, ratio=t / 0.3e-6)}
            for op, t in zip(elementwise_op.OPS, (1.9e-6, 2.6e-6, 2.5e-6))}
    verdicts = [t.met() for t in elementwise_op.targets({1: fake_run(rows)})]
    assert verdicts == [True, False, True]
    markdown = elementwise_op.BENCH.markdown({1: fake_run(rows, 0.3)})
    assert "**not met** (2.6 µs (busy: 30%))" in markdown
    assert "| a * b | 0.3 µs | 1.9 µs | 6.33× (6.28–6.38) | — | 30% |" in markdown
