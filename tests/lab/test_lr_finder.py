"""The learning-rate finder: exponential sweep, divergence stop, steepest-descent suggestion."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim
from descend.lab import lr_find, lr_find_params


def test_learning_rates_grow_exponentially_and_the_loss_is_recorded():
    seen = []
    result = lr_find(lambda lr: seen.append(lr) or 1.0, start_lr=1e-4, end_lr=1.0, steps=5)
    np.testing.assert_allclose(result.lrs, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    np.testing.assert_allclose(seen, result.lrs)
    assert result.losses.tolist() == [1.0] * 5 and not result.diverged
    np.testing.assert_allclose(result.smoothed, 1.0)     # bias-corrected average of a constant


def test_quadratic_gradient_descent_suggests_a_stable_learning_rate():
    w = dc.tensor([5.0, -3.0], dtype="float64", requires_grad=True)
    result = lr_find_params([w], lambda: (w * w).sum(), optim.SGD, start_lr=1e-4,
                            end_lr=10.0, steps=80)
    assert result.diverged                      # lr > 1 makes w² blow up
    assert result.lrs[-1] < 10.0
    assert 0.01 < result.suggestion < 1.0        # GD on w² converges for lr < 1
    assert w.numpy().tolist() == [5.0, -3.0] and w.grad is None


def test_non_finite_losses_stop_the_sweep():
    result = lr_find(lambda lr: np.inf if lr > 0.1 else 1.0 / (1 + lr), start_lr=1e-3,
                     end_lr=1.0, steps=10)
    assert result.diverged and np.isinf(result.losses[-1]) and len(result.losses) < 10


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"need 0 < start_lr < end_lr, got 1 and 0.1"):
        lr_find(lambda lr: 1.0, start_lr=1, end_lr=0.1)
    with pytest.raises(ValueError, match="steps must be an integer of at least 5"):
        lr_find(lambda lr: 1.0, steps=2)
    with pytest.raises(ValueError, match="beta must be in"):
        lr_find(lambda lr: 1.0, beta=1.0)
