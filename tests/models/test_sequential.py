"""Sequential: container behaviour, eager and lazy building, torch-style use."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import nn


def test_container_protocol():
    layers = [nn.Dense(4, input_dim=3), nn.Activation("tanh"), nn.Dense(2)]
    model = dc.Sequential(layers[:2])
    model.add(layers[2])
    assert len(model) == 3 and list(model) == layers and model[1] is layers[1]
    assert model[-1] is layers[2]
    head = model[1:]
    assert isinstance(head, dc.Sequential) and list(head) == layers[1:]
    assert dc.Sequential().built and len(dc.Sequential()) == 0


def test_add_rejects_what_is_not_a_module():
    with pytest.raises(TypeError, match=r"Sequential.add: expected a layer \(a dc.nn.Module "
                                        r"such as dc.nn.Dense\), got function"):
        dc.Sequential([dc.relu])


def test_layers_build_as_they_are_added_when_the_input_is_declared():
    model = dc.Sequential([nn.Flatten(input_shape=(2, 3)), nn.Dense(4)])
    assert model.built and model[1].kernel.shape == (6, 4)
    model.add(nn.Dense(5))
    assert model[2].kernel.shape == (4, 5)
    assert model.input_shape == (None, 2, 3) and model.output_shape == (None, 5)


def test_lazy_model_builds_from_a_shape_or_its_first_batch():
    model = dc.Sequential([nn.Dense(4), nn.Dense(1)])
    assert not model.built and model.parameters() == []
    assert model.build((None, 13)) is model
    assert [p.shape for p in model.parameters()] == [(13, 4), (4,), (4, 1), (1,)]
    other = dc.Sequential([nn.Dense(4), nn.Dense(1)])
    y = other(dc.ones((7, 13)))
    assert y.shape == (7, 1) and other.built
    assert other.input_shape == (None, 13) and other.output_shape == (None, 1)


def test_building_again_with_another_shape_is_an_error():
    model = dc.Sequential([nn.Dense(4, input_dim=3)])
    with pytest.raises(ValueError, match=r"Dense: expected input of shape \(None, 3\) \(3 "
                                         r"features in the last axis\), got shape \(None, 5\)"):
        model.build((None, 5))
    with pytest.raises(ValueError, match=r"Dense: expected input of shape \(None, 3\)"):
        model(dc.ones((2, 5)))


def test_torch_style_training_loop_decreases_the_loss():
    dc.seed(0)
    x = dc.randn(64, 3)
    y = x @ dc.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    model = dc.Sequential([nn.Dense(8, activation="tanh", input_dim=3), nn.Dense(1)])
    losses = []
    for _ in range(100):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        with dc.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.02 * losses[0]
    assert np.isfinite(losses).all()
