"""Reductions: every axis form and keepdims, against finite differences and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from opcheck import check_op

AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


def _torch_axes(axis):
    return tuple(range(3)) if axis is None else axis


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean(axis, keepdims):
    check_op(lambda x: x.sum(axis, keepdims=keepdims),
             lambda x: x.sum(dim=_torch_axes(axis), keepdim=keepdims), [(2, 3, 4)], name="sum")
    check_op(lambda x: x.mean(axis, keepdims=keepdims),
             lambda x: x.mean(dim=_torch_axes(axis), keepdim=keepdims), [(2, 3, 4)], name="mean")


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min(axis, keepdims):
    check_op(lambda x: x.max(axis, keepdims=keepdims),
             lambda x: x.amax(dim=_torch_axes(axis), keepdim=keepdims), [(2, 3, 4)], name="max")
    check_op(lambda x: x.min(axis, keepdims=keepdims),
             lambda x: x.amin(dim=_torch_axes(axis), keepdim=keepdims), [(2, 3, 4)], name="min")


def test_max_ties_share_the_gradient_like_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check_op(lambda t: t.max(axis=1), lambda t: t.amax(dim=1), inputs=[x], name="max",
             gradcheck=False)
    check_op(lambda t: t.max(), lambda t: t.amax(), inputs=[x], name="max", gradcheck=False)


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std(axis, ddof):
    dims = _torch_axes(axis)
    check_op(lambda x: x.var(axis, ddof=ddof), lambda x: x.var(dim=dims, correction=ddof),
             [(2, 3, 4)], name="var")
    check_op(lambda x: x.std(axis, ddof=ddof, keepdims=True),
             lambda x: x.std(dim=dims, correction=ddof, keepdim=True), [(2, 3, 4)], name="std")


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(axis, keepdims):
    check_op(lambda x: x.logsumexp(axis, keepdims=keepdims),
             lambda x: torch.logsumexp(x, dim=_torch_axes(axis), keepdim=keepdims),
             [(2, 3, 4)], name="logsumexp")


# an all −∞ row: log 0 = −∞ is its value, and its gradient is NaN, as torch's
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning",
                            "ignore:invalid value encountered in subtract:RuntimeWarning")
def test_logsumexp_is_stable_for_huge_and_minus_infinite_values():
    x = dc.tensor([[1000.0, 1000.0], [-np.inf, -np.inf]], dtype="float64", requires_grad=True)
    y = x.logsumexp(axis=1)
    np.testing.assert_allclose(y.numpy(), [1000.0 + np.log(2.0), -np.inf])
    y[0].backward()
    expected = torch.tensor(x.numpy(), requires_grad=True)
    expected.logsumexp(1)[0].backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.grad.numpy())  # [[.5, .5], [nan, nan]]


def test_argmax_argmin_have_no_gradient_and_match_numpy():
    a = np.random.default_rng(0).standard_normal((3, 5))
    x = dc.tensor(a, requires_grad=True)
    assert x.argmax(axis=1).numpy().tolist() == a.argmax(axis=1).tolist()
    assert x.argmin().item() == a.argmin()
    assert not x.argmax().requires_grad
    assert x.argmax(axis=0, keepdims=True).shape == (1, 5)


def test_reductions_keep_float32():
    x = dc.randn(4, 5)
    for y in [x.sum(), x.mean(0), x.max(1), x.var(), x.std(), x.logsumexp(1)]:
        assert y.dtype == np.float32
