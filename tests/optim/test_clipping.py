"""Gradient clipping against torch.nn.utils: the returned norm and the clipped gradients."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def _pair(dtype, scale=1.0):
    rng = np.random.default_rng(3)
    grads = [scale * rng.standard_normal(s) for s in SHAPES]
    ours = [dc.zeros(s, dtype=dtype, requires_grad=True) for s in SHAPES]
    theirs = [torch.zeros(s, dtype=getattr(torch, dtype), requires_grad=True) for s in SHAPES]
    for o, t, g in zip(ours, theirs, grads):
        o.grad = dc.tensor(g, dtype=dtype)
        t.grad = torch.tensor(g, dtype=getattr(torch, dtype))
    return ours, theirs


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_equals_torch(norm_type, max_norm, dtype, rtol):
    ours, theirs = _pair(dtype)
    total = optim.clip_grad_norm(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type,
                                              foreach=False)
    assert isinstance(total, float)
    assert total == pytest.approx(expected.item(), rel=rtol)
    for o, t in zip(ours, theirs):
        assert o.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-12)
    clipped = optim.clip_grad_norm(ours, max_norm, norm_type=norm_type)
    assert clipped <= max(max_norm, total) * (1 + 1e-5)


def test_clip_grad_norm_keeps_the_direction():
    w = dc.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    w.grad = dc.tensor([30.0, 40.0], dtype="float64")
    assert optim.clip_grad_norm(w, 5.0) == 50.0
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 4.0], rtol=1e-6)


def test_parameters_without_grad_are_skipped_and_none_gives_zero():
    a, b = dc.zeros(2, requires_grad=True), dc.zeros(2, requires_grad=True)
    a.grad = dc.tensor([3.0, 4.0])
    assert optim.clip_grad_norm([a, b], 1.0) == pytest.approx(5.0)
    assert b.grad is None
    assert optim.clip_grad_norm([b], 1.0) == 0.0
    optim.clip_grad_value([a, b], 0.1)
    assert b.grad is None


@pytest.mark.parametrize("clip_value", [0.3, 10.0])
def test_clip_grad_value_equals_torch(clip_value):
    ours, theirs = _pair("float64", scale=2.0)
    optim.clip_grad_value(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value, foreach=False)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


def test_nonfinite_norm_raises_only_when_asked():
    w = dc.zeros(2, requires_grad=True)
    w.grad = dc.tensor([np.inf, 1.0])
    with pytest.warns(RuntimeWarning, match="invalid value"):  # inf · 0 is NaN, as in torch
        assert optim.clip_grad_norm(w, 1.0) == np.inf
    w.grad = dc.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm: the total 2.0-norm of the "
                                           r"gradients is nan"):
        optim.clip_grad_norm(w, 1.0, error_if_nonfinite=True)


def test_clipping_errors_name_the_argument():
    w = dc.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"clip_grad_norm: max_norm must be a non-negative "
                                         r"number \(max_norm >= 0\), got -1"):
        optim.clip_grad_norm(w, -1)
    with pytest.raises(ValueError, match=r"clip_grad_norm: norm_type must be a positive number "
                                         r"or float\('inf'\), got 0"):
        optim.clip_grad_norm(w, 1.0, norm_type=0)
    with pytest.raises(ValueError, match=r"clip_grad_value: clip_value must be a non-negative"):
        optim.clip_grad_value(w, -0.5)
    with pytest.raises(TypeError, match=r"clip_grad_norm: params must be Tensors, got ndarray"):
        optim.clip_grad_norm([np.zeros(2)], 1.0)
