"""Extreme inputs: the naive formulas overflow to NaN/inf, descend's stay finite and match torch.

Also: the fused cross-entropy ops have correct second derivatives (their backward recomputes
the softmax with differentiable ops when the backward is recorded).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import losses
from opcheck import check_op

EXTREMES = [100.0, 1000.0]


def extreme_logits(scale: float, shape=(4, 3)) -> np.ndarray:
    """Logits of ±scale mixed with ordinary values (every row has one extreme)."""
    z = np.random.default_rng(0).standard_normal(shape)
    z[:, 0] = scale
    z[::2, 1] = -scale
    z[1::2, 2] = -scale
    return z


def naive(fn):
    with np.errstate(all="ignore"):
        return fn()


@pytest.mark.parametrize("scale", EXTREMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_from_logits_is_finite_where_the_naive_formula_is_not(scale, dtype):
    z = extreme_logits(scale).astype(dtype)
    t = (np.arange(z.size).reshape(z.shape) % 2).astype(dtype)

    def naive_bce():
        p = 1 / (1 + np.exp(-z))
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))

    assert not np.isfinite(naive(naive_bce)).all()
    logits = dc.tensor(z, requires_grad=True)
    loss = losses.bce(t, logits, from_logits=True, reduction="sum")
    loss.backward()
    assert np.isfinite(loss.numpy()).all() and np.isfinite(logits.grad.numpy()).all()
    check_op(lambda t_, z_: losses.bce(t_, z_, from_logits=True, reduction="none"),
             lambda t_, z_: F.binary_cross_entropy_with_logits(z_, t_, reduction="none").mean(1),
             inputs=[t.astype(np.float64), z.astype(np.float64)], name="bce_logits_extreme")


@pytest.mark.parametrize("scale", EXTREMES)
@pytest.mark.parametrize("targets", ["one_hot", "sparse"])
def test_softmax_crossentropy_is_finite_where_the_naive_formula_is_not(scale, targets):
    z = extreme_logits(scale)
    labels = np.array([1, 2, 1, 0])
    one_hot = np.eye(3)[labels]

    def naive_cce(dtype):
        e = np.exp(z.astype(dtype))
        return -(one_hot * np.log(e / e.sum(1, keepdims=True))).sum(1)

    assert not np.isfinite(naive(lambda: naive_cce(np.float32))).all()
    assert np.isfinite(naive(lambda: naive_cce(np.float64))).all() == (scale < 1000)
    torch_labels = torch.tensor(labels)
    if targets == "one_hot":
        check_op(lambda t_, z_: losses.categorical_crossentropy(t_, z_, from_logits=True,
                                                                reduction="none"),
                 lambda t_, z_: F.cross_entropy(z_, t_, reduction="none"),
                 inputs=[one_hot, z], name="cce_logits_extreme")
    else:
        check_op(lambda z_: losses.sparse_categorical_crossentropy(labels, z_, from_logits=True,
                                                                   reduction="none"),
                 lambda z_: F.cross_entropy(z_, torch_labels, reduction="none"),
                 inputs=[z], name="scce_logits_extreme")


@pytest.mark.parametrize("loss", [
    lambda z: losses.bce(np.array([[1.0, 0.0, 1.0]] * 4), z, from_logits=True),
    lambda z: losses.categorical_crossentropy(np.eye(3)[[0, 1, 2, 0]], z, from_logits=True),
    lambda z: losses.sparse_categorical_crossentropy([0, 1, 2, 0], z, from_logits=True),
], ids=["bce", "cce", "scce"])
def test_extreme_logits_pass_anomaly_detection(loss):
    z = dc.tensor(extreme_logits(1000.0), requires_grad=True)
    with dc.detect_anomaly():
        loss(z).backward()
    assert np.isfinite(z.grad.numpy()).all()


def test_log_cosh_is_finite_for_huge_errors():
    d = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    assert not np.isfinite(naive(lambda: np.log(np.cosh(d)))).all()
    y_pred = dc.tensor(d, dtype="float64", requires_grad=True)
    out = losses.log_cosh(np.zeros(5), y_pred, reduction="none")
    np.testing.assert_allclose(out.numpy(), np.abs(d) + np.log1p(np.exp(-2 * np.abs(d)))
                               - np.log(2), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(y_pred.grad.numpy(), np.tanh(d), rtol=1e-15)


def test_probabilities_are_clipped_to_epsilon():
    p = dc.tensor([[1.0, 0.0], [0.0, 1.0]], dtype="float64", requires_grad=True)
    t = [[0.0, 1.0], [0.0, 1.0]]
    loss = losses.bce(t, p, reduction="none")
    worst = -np.log(losses.EPSILON)
    np.testing.assert_allclose(loss.numpy(), [worst, -np.log(1 - losses.EPSILON)], rtol=1e-9)
    loss.sum().backward()
    assert (p.grad.numpy() == 0).all()          # the clip is active: no gradient
    cce = losses.categorical_crossentropy(t, p, reduction="none")
    np.testing.assert_allclose(cce.numpy(), [worst, -np.log(1 - losses.EPSILON)], rtol=1e-9)


def hessian_against_torch(ours, theirs, z: np.ndarray) -> None:
    flat = z.reshape(-1)
    h = dc.hessian(lambda v: ours(v.reshape(z.shape)))(dc.tensor(flat, dtype="float64"))
    expected = torch.autograd.functional.hessian(lambda v: theirs(v.reshape(z.shape)),
                                                 torch.tensor(flat))
    np.testing.assert_allclose(h.numpy(), expected.numpy(), atol=1e-10)


def test_fused_ops_have_exact_second_derivatives():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    t = np.exp(rng.standard_normal((3, 4)))
    t /= t.sum(1, keepdims=True)
    hessian_against_torch(
        lambda v: losses.categorical_crossentropy(t, v, from_logits=True),
        lambda v: F.cross_entropy(v, torch.tensor(t)), z)
    hessian_against_torch(
        lambda v: losses.sparse_categorical_crossentropy(labels, v, from_logits=True),
        lambda v: F.cross_entropy(v, torch.tensor(labels)), z)
    hessian_against_torch(
        lambda v: losses.bce(t, v, from_logits=True),
        lambda v: F.binary_cross_entropy_with_logits(v, torch.tensor(t)), z)


@pytest.mark.parametrize("loss", [losses.categorical_crossentropy, losses.bce])
def test_fused_ops_double_backward_passes_gradcheck_in_logits_and_targets(loss):
    rng = np.random.default_rng(4)
    z, t = rng.standard_normal((3, 4)), rng.uniform(0.1, 1.0, (3, 4))

    def gradient_of_logits(z_, t_):
        # gradcheck evaluates under no_grad, where dc.grad would see no graph at all
        with dc.enable_grad():
            return dc.grad(lambda v: loss(t_, v, from_logits=True, reduction="sum"))(z_)

    dc.gradcheck(gradient_of_logits, [z, t])
    dc.gradcheck(lambda z_, t_: loss(t_, z_, from_logits=True, reduction="none"), [z, t])
