"""matmul (every operand rank), the fused linear op, softmax and log_softmax."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend.autograd import function
from opcheck import check_op, second_derivative_checks

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


def _swap(shape):
    return (*shape[:-2], shape[-1], shape[-2])


def _transposed_product(transpose_a, transpose_b):
    """``matmul`` with the flags, the same product written with torch's ``mT``, and the
    operands' shapes for each entry of MATMUL_SHAPES (an operand taken transposed is stored
    transposed)."""
    def ours(a, b):
        return dc.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)

    def theirs(a, b):
        return (a.mT if transpose_a else a) @ (b.mT if transpose_b else b)

    def stored(shapes):
        a, b = shapes
        return [_swap(a) if transpose_a else a, _swap(b) if transpose_b else b]
    return ours, theirs, stored


TRANSPOSES = [(False, True), (True, False), (True, True)]


def transposed_cases(transposes, shapes):
    """(flags, shapes) pairs where every operand taken transposed has two axes or more."""
    return [pytest.param(flags, pair, id=f"{pair}-{flags}")
            for pair in shapes for flags in transposes
            if all(len(shape) > 1 for shape, t in zip(pair, flags) if t)]


@pytest.mark.parametrize(("transposes", "shapes"), transposed_cases(TRANSPOSES, MATMUL_SHAPES))
def test_matmul_of_transposed_operands(transposes, shapes):
    ours, theirs, stored = _transposed_product(*transposes)
    check_op(ours, theirs, stored(shapes), name=f"matmul{transposes}")


@pytest.mark.parametrize(("transposes", "shapes"), transposed_cases(
    [(False, False), *TRANSPOSES],
    [((3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]))
def test_matmul_has_second_derivatives(transposes, shapes):
    """The backward's products are differentiated again (``create_graph``): the gradient of
    a Hessian-vector product of ``tanh(op(a) @ op(b))``, against finite differences and torch."""
    ours, theirs, stored = _transposed_product(*transposes)
    a_shape, b_shape = stored(shapes)
    out_shape = ours(dc.zeros(a_shape), dc.zeros(b_shape)).shape
    check_op(*second_derivative_checks(lambda a, b: ours(a, b).tanh(),
                                       lambda a, b: torch.tanh(theirs(a, b)),
                                       [a_shape, b_shape], out_shape),
             [a_shape, b_shape], name=f"matmul{transposes} double backward")


def test_matmul_checks_the_shapes_it_multiplies():
    with pytest.raises(ValueError, match=r"transpose_a=True needs an operand of at least 2 "
                                         r"dimensions, got shape \(3,\)"):
        dc.matmul(dc.ones(3), dc.ones((3, 2)), transpose_a=True)
    with pytest.raises(ValueError, match=r"shapes \(3, 4\) transposed and \(4, 2\) do not "
                                         r"align: 3 != 4"):
        dc.matmul(dc.ones((3, 4)), dc.ones((4, 2)), transpose_a=True)
    assert dc.matmul(dc.ones((4, 3)), dc.ones((4, 2)), transpose_a=True).shape == (3, 2)


def test_the_backward_of_a_product_builds_no_transpose(monkeypatch):
    """``g @ wᵀ`` and ``xᵀ @ g`` are products taking an operand transposed, not a transpose op
    and a product: for ``matmul`` (batched too) and for ``linear``."""
    applied = []
    monkeypatch.setattr(function, "forward_hooks", [lambda fn, out: applied.append(fn.name)])
    x, w = dc.ones((2, 5, 3), requires_grad=True), dc.ones((3, 4), requires_grad=True)
    for y in (x @ w, dc.linear(x, w, dc.zeros(4), activation="relu")):
        applied.clear()
        y.sum().backward()
        assert "transpose" not in applied and applied.count("matmul") == 2, applied


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


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("row", [[-np.inf, -np.inf], [np.inf, 0.0], [np.nan, 0.0]],
                         ids=["all -inf", "+inf", "nan"])
def test_softmax_of_a_row_without_a_finite_maximum_is_nan_as_in_torch(row):
    x = np.array([row, [0.0, 1.0]], dtype=np.float32)
    for ours, theirs in ((dc.softmax, torch.softmax), (dc.log_softmax, torch.log_softmax)):
        np.testing.assert_allclose(ours(dc.tensor(x)).numpy(),
                                   theirs(torch.from_numpy(x), -1).numpy(), rtol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_linear_with_a_fused_activation(activation):
    torch_act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    check_op(lambda x, w, b: dc.linear(x, w, b, activation=activation),
             lambda x, w, b: torch_act(x @ w + b), [(5, 3), (3, 4), (4,)], name=activation,
             seed=3)


@pytest.mark.parametrize("rows", [1, 32, 128, 129])
def test_linear_input_gradient_with_a_large_kernel_matches_torch(rows):
    rng = np.random.default_rng(rows)
    x, w = rng.standard_normal((rows, 300)), rng.standard_normal((300, 256))
    b, g = rng.standard_normal(256), rng.standard_normal((rows, 256))
    ours = dc.tensor(x, requires_grad=True)
    dc.linear(ours, dc.tensor(w, requires_grad=True), dc.tensor(b), activation="relu").backward(
        dc.tensor(g))
    theirs = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    w32, b32, g32 = (torch.tensor(a, dtype=torch.float32) for a in (w, b, g))
    torch.relu(theirs @ w32 + b32).backward(g32)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_linear_with_a_fused_activation_has_second_derivatives(activation):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(3), rng.standard_normal((3, 2)), rng.standard_normal(2)
    torch_act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    ours = dc.hessian(lambda t: dc.linear(t, dc.tensor(w, dtype="float64"),
                                          dc.tensor(b, dtype="float64"),
                                          activation=activation).sum())(
        dc.tensor(x, dtype="float64"))
    theirs = torch.autograd.functional.hessian(
        lambda t: torch_act(t @ torch.tensor(w) + torch.tensor(b)).sum(), torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_refuses_an_activation_it_cannot_fuse():
    with pytest.raises(ValueError, match="linear: activation must be one of"):
        dc.linear(dc.ones((1, 2)), dc.ones((2, 2)), dc.zeros(2), activation="gelu")
    with pytest.raises(ValueError, match="without a bias"):
        dc.linear(dc.ones((1, 2)), dc.ones((2, 2)), activation="relu")
