"""Configuration by explicit get_config/from_config and a registration decorator."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import descend as dc
from descend.config import deserialize, serialize


class Unregistered(dc.Model):
    def __init__(self, units: int = 2):
        super().__init__()
        self.layer = dc.nn.Dense(units, input_dim=3)

    def forward(self, x):
        return self.layer(x)


@dc.register_configurable
class NoConfig(Unregistered):
    """Registered, but its constructor takes arguments and it writes no get_config."""


@dc.register_configurable
class Doubling(dc.nn.Layer):
    """A user layer without constructor arguments: nothing to write."""

    def forward(self, x):
        return x * 2


@dc.register_configurable(name="tests.Shift")
class Shift(dc.nn.Layer):
    def __init__(self, by: float = 1.0):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + self.by

    def get_config(self):
        return {"by": self.by}


def test_no_constructor_is_rewritten():
    source = Unregistered.__dict__["__init__"]
    assert Unregistered.__init__ is source and NoConfig.__init__ is source
    assert dc.nn.Dense.__init__.__qualname__ == "Dense.__init__"
    assert "_config" not in vars(Unregistered(units=4))


def test_an_unregistered_or_unconfigured_model_saves_its_weights_with_a_warning(tmp_path):
    for model, message in [
        (Unregistered(), "cannot save Unregistered: its class is not registered; decorate it "
                         "with @dc.register_configurable and give it a get_config() method"),
        (NoConfig(), "NoConfig cannot be saved: its constructor takes arguments, so it needs "
                     "a get_config() method returning them"),
    ]:
        path = tmp_path / f"{type(model).__name__}.safetensors"
        with pytest.warns(UserWarning, match=re.escape(message)):
            dc.save(model, path)
        with pytest.raises(ValueError, match=re.escape(message)):
            dc.load(path)
        assert dc.load(path, model=type(model)()).get_weights()[0].shape == (3, 2)


def test_registered_user_layers_round_trip_inside_a_sequential(tmp_path):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(2, input_dim=3), Shift(by=0.5), Doubling()])
    assert serialize(model)["config"]["layers"][1:] == [
        {"class_name": "tests.Shift", "config": {"by": 0.5}},
        {"class_name": f"{Doubling.__module__}.Doubling", "config": {}}]
    dc.save(model, tmp_path / "m.safetensors")
    loaded = dc.load(tmp_path / "m.safetensors")
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert isinstance(loaded[1], Shift) and loaded[1].by == 0.5


def test_every_built_in_class_round_trips_its_config():
    regularizer = dc.nn.regularizers.L1L2(l1=0.1, l2=0.2)
    objects = [
        dc.nn.Dense(4, activation="tanh", use_bias=False, kernel_initializer="he_normal",
                    kernel_regularizer=regularizer, input_dim=3),
        dc.nn.Conv2D(2, (3, 2), strides=2, padding="same", dilation=1, activation="relu",
                     bias_regularizer="l2", input_shape=(1, 6, 6)),
        dc.nn.Dropout(0.3), dc.nn.Flatten(input_shape=(2, 2)), dc.nn.Activation("gelu"),
        dc.nn.Embedding(7, 3, embeddings_initializer=dc.nn.initializers.Orthogonal(2.0)),
        dc.nn.BatchNorm(momentum=0.2, eps=1e-3), dc.nn.LayerNorm((2, 3), eps=1e-4),
        dc.nn.LayerNorm(axis=(1, 2)), dc.nn.MaxPool2D(3, strides=1), dc.nn.AvgPool2D(),
        dc.nn.GlobalAvgPool2D(), dc.nn.initializers.VarianceScaling(2.0, "fan_out", "uniform"),
        dc.nn.initializers.GlorotNormal(), dc.nn.initializers.Zeros(),
        dc.nn.initializers.Constant(3.0), dc.nn.initializers.RandomUniform(-1.0, 2.0),
        dc.nn.initializers.TruncatedNormal(1.0, 0.5), dc.nn.regularizers.L2(0.3),
        dc.Sequential([dc.nn.Dense(2, input_dim=1), dc.nn.Dense(1)]),
    ]
    for obj in objects:
        spec = serialize(obj)
        json.dumps(spec)  # JSON types only
        again = deserialize(spec)
        assert type(again) is type(obj) and repr(again) == repr(obj), spec
        assert serialize(again) == spec


def test_register_configurable_refuses_what_is_not_a_class():
    with pytest.raises(TypeError, match="register_configurable: expected a class with "
                                        "get_config and from_config"):
        dc.register_configurable(len)


def test_a_file_written_by_the_previous_format_still_loads(tmp_path):
    """Old files hold the constructor arguments as given: names, input_dim, ints."""
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=3), dc.nn.Dense(1)])
    path = tmp_path / "m.safetensors"
    dc.save(model, path)
    old = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {
            "units": 4, "activation": "relu", "use_bias": True, "input_dim": 3,
            "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros",
            "kernel_regularizer": None, "bias_regularizer": None, "input_shape": None}},
        {"class_name": "Dense", "config": {"units": 1, "activation": None, "input_dim": None}},
    ]}}
    rebuilt = deserialize(old)
    rebuilt.load_state_dict(model.state_dict())
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))

