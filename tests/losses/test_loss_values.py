"""Loss values and gradients against torch (float64 ~1e-10, float32 ~1e-5) and gradcheck.

Every loss, every reduction, several shapes. Torch reduces over all elements, descend first
averages over the non-batch axes (Keras), so the torch oracle below reduces the same way:
per-element losses from ``reduction="none"``, averaged per sample, then mean/sum/none.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import losses
from opcheck import check_op

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(6,), (4, 3), (3, 2, 2)]


def torch_reduce(per_element: torch.Tensor, reduction: str) -> torch.Tensor:
    """Average over the non-batch axes, then reduce over the batch (descend's convention)."""
    per_sample = per_element.reshape(per_element.shape[0], -1).mean(1)
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


def probs(shape, seed, axis=-1):
    """Random distributions along ``axis`` (softmax of normals), float64."""
    z = np.random.default_rng(seed).standard_normal(shape)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def uniform(shape, seed, low=0.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def normal(shape, seed, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# (name, ours(t, p, reduction), torch per-element(t, p))
REGRESSION = [
    ("mse", lambda t, p, r: losses.mse(t, p, reduction=r),
     lambda t, p: F.mse_loss(p, t, reduction="none")),
    ("mae", lambda t, p, r: losses.mae(t, p, reduction=r),
     lambda t, p: F.l1_loss(p, t, reduction="none")),
    ("huber", lambda t, p, r: losses.huber(t, p, reduction=r),
     lambda t, p: F.huber_loss(p, t, reduction="none")),
    ("huber_0.3", lambda t, p, r: losses.huber(t, p, delta=0.3, reduction=r),
     lambda t, p: F.huber_loss(p, t, delta=0.3, reduction="none")),
    ("huber_2.5", lambda t, p, r: losses.huber(t, p, delta=2.5, reduction=r),
     lambda t, p: F.huber_loss(p, t, delta=2.5, reduction="none")),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_regression_losses_match_torch(name, ours, theirs, reduction, shape):
    t, p = normal(shape, 1, 2.0), normal(shape, 2, 2.0)
    check_op(lambda t_, p_: ours(t_, p_, reduction),
             lambda t_, p_: torch_reduce(theirs(t_, p_), reduction),
             inputs=[t, p], name=f"{name}[{reduction}]")


@pytest.mark.parametrize(("name", "ours", "module"), [
    ("mse", losses.mean_squared_error, torch.nn.MSELoss()),
    ("mae", losses.mean_absolute_error, torch.nn.L1Loss()),
    ("huber", losses.huber, torch.nn.HuberLoss()),
])
def test_mean_reduction_is_torch_mean_over_all_elements(name, ours, module):
    t, p = normal((5, 3), 3), normal((5, 3), 4)
    expected = module(torch.tensor(p), torch.tensor(t)).item()
    assert ours(dc.tensor(t, dtype="float64"), dc.tensor(p, dtype="float64")).item() == \
        pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["hard", "soft"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_binary_crossentropy_matches_torch(reduction, targets, shape):
    t = uniform(shape, 5) if targets == "soft" else (uniform(shape, 5) > 0.5) * 1.0
    p = uniform(shape, 6, 0.03, 0.97)
    check_op(lambda t_, p_: losses.binary_crossentropy(t_, p_, reduction=reduction),
             lambda t_, p_: torch_reduce(F.binary_cross_entropy(p_, t_, reduction="none"),
                                         reduction),
             inputs=[t, p], name="bce", grad_inputs=[False, True])
    z = normal(shape, 7, 3.0)
    check_op(lambda t_, z_: losses.bce(t_, z_, from_logits=True, reduction=reduction),
             lambda t_, z_: torch_reduce(
                 F.binary_cross_entropy_with_logits(z_, t_, reduction="none"), reduction),
             inputs=[t, z], name="bce_logits")


def test_binary_crossentropy_gradient_for_targets():
    t, p = uniform((4, 2), 8), uniform((4, 2), 9, 0.1, 0.9)
    dc.gradcheck(lambda t_, p_: losses.bce(t_, p_, reduction="sum"), [t, p])


def class_last_to_torch(x: torch.Tensor) -> torch.Tensor:
    """(batch, ..., classes) -> torch's (batch, classes, ...)."""
    return x if x.ndim <= 2 else x.movedim(-1, 1)


CLASS_SHAPES = [(5, 4), (3, 2, 4)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["one_hot", "soft"])
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_categorical_crossentropy_matches_torch(reduction, targets, shape):
    labels = np.random.default_rng(10).integers(0, shape[-1], size=shape[:-1])
    t = np.eye(shape[-1])[labels] if targets == "one_hot" else probs(shape, 11)
    z = normal(shape, 12, 3.0)

    def torch_logits(t_, z_):
        per = F.cross_entropy(class_last_to_torch(z_), class_last_to_torch(t_), reduction="none")
        return torch_reduce(per, reduction)

    check_op(lambda t_, z_: losses.categorical_crossentropy(t_, z_, from_logits=True,
                                                            reduction=reduction),
             torch_logits, inputs=[t, z], name="cce_logits")
    p = probs(shape, 13)
    check_op(lambda t_, p_: losses.categorical_crossentropy(t_, p_, reduction=reduction),
             lambda t_, p_: torch_reduce(-(t_ * p_.log()).sum(-1), reduction),
             inputs=[t, p], name="cce")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_sparse_categorical_crossentropy_matches_torch(reduction, shape):
    labels = np.random.default_rng(14).integers(0, shape[-1], size=shape[:-1])
    torch_labels = torch.tensor(labels)
    z = normal(shape, 15, 3.0)
    check_op(lambda z_: losses.sparse_categorical_crossentropy(labels, z_, from_logits=True,
                                                               reduction=reduction),
             lambda z_: torch_reduce(F.cross_entropy(class_last_to_torch(z_), torch_labels,
                                                     reduction="none"), reduction),
             inputs=[z], name="scce_logits")
    p = probs(shape, 16)
    check_op(lambda p_: losses.sparse_categorical_crossentropy(labels, p_, reduction=reduction),
             lambda p_: torch_reduce(F.nll_loss(class_last_to_torch(p_.log()), torch_labels,
                                                reduction="none"), reduction),
             inputs=[p], name="scce")


def test_sparse_labels_may_be_a_column_or_whole_floats():
    z = dc.tensor(normal((4, 3), 17))
    labels = np.array([0, 2, 1, 2])
    expected = losses.sparse_categorical_crossentropy(labels, z, from_logits=True).item()
    for given in (labels[:, None], labels.astype(np.float32), dc.tensor(labels), list(labels)):
        assert losses.sparse_categorical_crossentropy(given, z, from_logits=True).item() == \
            expected


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_kl_divergence_matches_torch(reduction, shape):
    t, q = probs(shape, 18), probs(shape, 19)
    # torch's KLDivLoss takes log-probabilities first and the target second
    check_op(lambda t_, q_: losses.kl_divergence(t_, q_, reduction=reduction),
             lambda t_, q_: torch_reduce(
                 F.kl_div(q_.log(), t_, reduction="none").sum(-1), reduction),
             inputs=[t, q], name="kld")


def test_kl_divergence_mean_is_torch_batchmean_and_zero_targets_count_zero():
    t, q = probs((6, 5), 20), probs((6, 5), 21)
    t[0, :2] = 0.0
    t[0] /= t[0].sum()
    ours = losses.kld(dc.tensor(t, dtype="float64"), dc.tensor(q, dtype="float64")).item()
    theirs = F.kl_div(torch.tensor(q).log(), torch.tensor(t), reduction="batchmean").item()
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_cosh_matches_numpy_formula(reduction, shape, dtype):
    t, p = normal(shape, 22, 2.0), normal(shape, 23, 2.0)
    y_pred = dc.tensor(p, dtype=dtype, requires_grad=True)
    out = losses.log_cosh(dc.tensor(t, dtype=dtype), y_pred, reduction=reduction)
    per_element = np.log(np.cosh(p - t))
    np.testing.assert_allclose(out.numpy(), numpy_reduce(per_element, reduction),
                               rtol=1e-12 if dtype == np.float64 else 1e-5)
    out.sum().backward()
    scale = 1.0 / np.prod(shape[1:]) / (shape[0] if reduction == "mean" else 1)
    np.testing.assert_allclose(y_pred.grad.numpy(), np.tanh(p - t) * scale,
                               rtol=1e-12 if dtype == np.float64 else 1e-5, atol=1e-7)
    assert out.dtype == dtype
    check_op(lambda t_, p_: losses.log_cosh(t_, p_, reduction=reduction), None,
             inputs=[t, p], name="log_cosh")


def numpy_reduce(per_element: np.ndarray, reduction: str) -> np.ndarray:
    per_sample = per_element.reshape(per_element.shape[0], -1).mean(1)
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("labels", ["plus_minus", "zero_one"])
def test_hinge_matches_numpy_formula(reduction, shape, labels):
    signs = np.where(uniform(shape, 24) > 0.5, 1.0, -1.0)
    t = signs if labels == "plus_minus" else (signs + 1) / 2
    p = normal(shape, 25, 1.5)
    away = np.abs(1 - signs * p) < 0.05          # keep off the kink for finite differences
    p[away] += 0.2
    y_pred = dc.tensor(p, dtype="float64", requires_grad=True)
    out = losses.hinge(t, y_pred, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), numpy_reduce(np.maximum(1 - signs * p, 0), reduction),
                               rtol=1e-12)
    out.sum().backward()
    scale = 1.0 / np.prod(shape[1:]) / (shape[0] if reduction == "mean" else 1)
    np.testing.assert_allclose(y_pred.grad.numpy(), -signs * (1 - signs * p > 0) * scale,
                               rtol=1e-12)
    check_op(lambda p_: losses.hinge(t, p_, reduction=reduction), None, inputs=[p],
             name="hinge")
