"""Activations by name, by callable and as a layer."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from descend import nn
from descend.nn import activations
from opcheck import check_op

pytestmark = pytest.mark.usefixtures("op_device")  # check_op on each device

TORCH = {
    "linear": lambda x: x, "relu": torch.relu, "leaky_relu": F.leaky_relu, "elu": F.elu,
    "gelu": F.gelu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": F.softplus,
    "softmax": lambda x: torch.softmax(x, -1),
}


@pytest.mark.parametrize("name", list(TORCH))
def test_every_name_matches_torch_also_as_a_layer(name):
    check_op(activations.get(name), TORCH[name], [(4, 5)], away_from=0.0, name=name)
    check_op(nn.Activation(name), TORCH[name], [(4, 5)], away_from=0.0, name=name)


def test_none_means_linear_and_callables_pass_through():
    def double(x):
        return x * 2

    assert activations.get(None) is activations.linear
    assert activations.get(double) is double
    assert activations.name_of(double) == "double"
    assert repr(nn.Activation(double)) == "Activation(double)"
    assert repr(nn.Dense(2, activation="gelu")) == "Dense(units=2, activation=gelu)"


def test_unknown_names_and_types_are_explained():
    with pytest.raises(ValueError, match=r"activations.get: unknown activation 'relu6'\. Did you "
                                         r"mean 'relu'.*\? Valid names: 'elu', 'gelu', "
                                         r"'leaky_relu', 'linear', 'relu', 'sigmoid'"):
        nn.Activation("relu6")
    assert activations.get("ReLU") is activations.get("relu")  # names ignore case
    with pytest.raises(TypeError, match=r"activation: expected a name such as 'relu', a "
                                        r"function or None, got int"):
        activations.get(3)
