"""Dense: value and gradients against torch, building, shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import nn
from opcheck import check_op

pytestmark = pytest.mark.usefixtures("op_device")  # check_op on each device


def dense_with(units, **options):
    """A function (x, kernel, bias) -> Dense output, using the given tensors as parameters."""
    def forward(x, kernel, bias=None):
        layer = nn.Dense(units, use_bias=bias is not None, **options)
        layer.build(x.shape)
        layer.kernel, layer.bias = kernel, bias
        return layer(x)
    return forward


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3)], ids=str)
def test_dense_matches_torch(x_shape):
    check_op(dense_with(4), lambda x, k, b: F.linear(x, k.T, b), [x_shape, (3, 4), (4,)],
             name="Dense")
    check_op(dense_with(4, activation="tanh"), lambda x, k: torch.tanh(x @ k),
             [x_shape, (3, 4)], name="Dense")


def test_kernel_is_in_out_and_builds_from_input_dim_or_first_input():
    eager = nn.Dense(4, input_dim=3)
    assert eager.built and eager.kernel.shape == (3, 4) and eager.bias.shape == (4,)
    assert eager.input_shape == (None, 3) and eager.output_shape == (None, 4)
    lazy = nn.Dense(4)
    assert not lazy.built and lazy.kernel is None and lazy.parameters() == []
    assert lazy(dc.ones((2, 5, 3))).shape == (2, 5, 4)
    assert lazy.kernel.shape == (3, 4) and lazy.output_shape == (None, 5, 4)
    assert nn.Dense(2, use_bias=False, input_shape=(6,)).bias is None
    np.testing.assert_array_equal(nn.Dense(3, input_dim=2).bias.numpy(), np.zeros(3))


def test_parameters_are_drawn_from_the_seeded_generator():
    dc.seed(3)
    a = nn.Dense(5, input_dim=4).kernel.numpy()
    dc.seed(3)
    b = nn.Dense(5, input_dim=4).kernel.numpy()
    np.testing.assert_array_equal(a, b)
    limit = np.sqrt(6 / (4 + 5))
    assert np.abs(a).max() <= limit and a.dtype == np.float32


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda: nn.Dense(0), r"Dense: units must be a positive integer, got 0"),
        (lambda: nn.Dense(2.5), r"Dense: units must be a positive integer, got 2.5"),
        (lambda: nn.Dense(3, input_dim=-1), r"Dense: input_dim must be a positive integer"),
        (lambda: nn.Dense(3, activation="relu6"),
         r"activations.get: unknown activation 'relu6'\. Did you mean 'relu'.*\? Valid names: "
         r"'elu', 'gelu', 'leaky_relu', 'linear', 'relu', 'sigmoid', 'softmax', 'softplus', "
         r"'tanh'"),
        (lambda: nn.Dense(3, kernel_initializer="xavier"),
         r"initializers.get: unknown initializer 'xavier'\. Valid names: 'constant', "
         r"'glorot_normal'"),
        (lambda: nn.Dense(3, kernel_regularizer="l3"),
         r"regularizers.get: unknown regularizer 'l3'\. Valid names: 'l1', 'l1_l2', 'l2'"),
        (lambda: nn.Dense(3, input_dim=13)(dc.ones((32, 12))),
         r"Dense: expected input of shape \(None, 13\) \(13 features in the last axis\), got "
         r"shape \(32, 12\)"),
        (lambda: nn.Dense(3)(dc.ones(13)),
         r"Dense: expected input with a batch axis and a feature axis, such as \(batch, "
         r"features\), got shape \(13,\)"),
    ],
)
def test_bad_input_is_explained(action, message):
    with pytest.raises(ValueError, match=message):
        action()
