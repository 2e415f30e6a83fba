"""Dropout: inverted scaling, training-only, seeded masks and the gradient through the mask."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import nn


def test_training_drops_about_rate_and_scales_the_rest():
    dc.seed(0)
    layer = nn.Dropout(0.3)
    y = layer(dc.ones((200, 500))).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - 0.3) < 4 * np.sqrt(0.3 * 0.7 / y.size)
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.01


def test_eval_mode_and_rate_zero_pass_through():
    x = dc.randn(4, 5)
    assert nn.Dropout(0.9).eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert nn.dropout(x, 0.5, training=False) is x


def test_masks_repeat_under_seed_and_the_gradient_is_the_mask():
    dc.seed(7)
    a = nn.dropout(dc.ones(50), 0.5).numpy()
    dc.seed(7)
    x = dc.ones(50, dtype="float64", requires_grad=True)
    y = nn.dropout(x, 0.5)
    np.testing.assert_array_equal(a, y.numpy())
    (y * dc.arange(50.0)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy() * np.arange(50))
    assert y.dtype == np.float64


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True])
def test_rate_outside_zero_one_is_rejected(rate):
    with pytest.raises(ValueError, match=r"Dropout: rate must be a number in \[0, 1\) \(the "
                                         rf"fraction of inputs set to zero\), got {rate!r}"):
        nn.Dropout(rate)
