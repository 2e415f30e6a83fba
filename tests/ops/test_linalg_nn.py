"""matmul (every operand rank), the fused linear op, softmax and log_softmax."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from opcheck import check_op

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, list(shapes), name="matmul")


def test_matmul_with_a_constant_operand_skips_its_gradient():
    check_op(lambda a, b: dc.matmul(a, b), lambda a, b: a @ b, [(3, 4), (4, 2)],
             grad_inputs=[False, True], name="matmul")


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 5, 3), (3,)], ids=str)
def test_linear(x_shape):
    check_op(lambda x, w, b: dc.linear(x, w, b), lambda x, w, b: x @ w + b,
             [x_shape, (3, 4), (4,)], name="linear")
    check_op(lambda x, w: dc.linear(x, w), lambda x, w: x @ w, [x_shape, (3, 4)], name="linear")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_log_softmax(axis):
    check_op(lambda x: dc.softmax(x, axis), lambda x: torch.softmax(x, axis), [(3, 4, 5)],
             name="softmax")
    check_op(lambda x: dc.log_softmax(x, axis), lambda x: torch.log_softmax(x, axis),
             [(3, 4, 5)], name="log_softmax")


def test_softmax_is_stable_for_extreme_logits():
    x = dc.tensor([[1000.0, -1000.0, 0.0], [-np.inf, 0.0, 0.0]], dtype="float64",
                  requires_grad=True)
    p = dc.softmax(x)
    lp = dc.log_softmax(x)
    np.testing.assert_allclose(p.numpy(), [[1, 0, 0], [0, 0.5, 0.5]], atol=1e-300)
    assert lp.numpy()[0, 0] == 0.0 and lp.numpy()[0, 1] == -2000.0
    (p.sum() + lp[0].sum()).backward()
    assert np.isfinite(x.grad.numpy()).all()
