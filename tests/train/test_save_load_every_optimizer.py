"""Every optimizer x every loss survives dc.save / dc.load with compile kept, bit for bit.

A model trained two steps is saved with its optimizer state and loaded; the weights and the
optimizer state must come back bit for bit, and one more training step after loading must give
exactly the weights one more step gives without the round trip.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend as dc
from descend.io import model_file as io
from descend.io import tensorfile
from descend.io.schema import loss_classes

LOSS_NAMES = sorted(dc.losses.LOSSES)
LOSS_CLASSES = sorted(loss_classes())
OPTIMIZERS = sorted(dc.optim.OPTIMIZERS)


def _data(loss: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    labels = np.arange(6) % 3
    if "sparse" in loss.lower():
        return x, labels
    return x, np.eye(3, dtype=np.float32)[labels]


def _step(model: dc.Sequential, x: np.ndarray, y: np.ndarray) -> None:
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0, seed=0)


def _state(model: dc.Sequential) -> list[tuple[str, object]]:
    saved = model.optimizer.state_dict()
    entries = [(f"{p}/{k}", v) for p, e in saved["state"].items() for k, v in e.items()]
    return [*sorted(entries, key=lambda item: item[0]), ("groups", saved["param_groups"])]


def _assert_same(a: dc.Sequential, b: dc.Sequential) -> None:
    for name, value in a.state_dict().items():
        other = b.state_dict()[name]
        assert other.dtype == value.dtype and np.array_equal(other, value), name
    for (key, value), (other_key, other) in zip(_state(a), _state(b), strict=True):
        assert key == other_key
        if isinstance(value, np.ndarray):
            assert isinstance(other, np.ndarray) and other.dtype == value.dtype, key
            np.testing.assert_array_equal(other, value, err_msg=key)
        else:
            assert other == value, key


def _round_trip(optimizer: str, loss: object, loss_id: str, tmp_path) -> None:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(3, activation="softmax", input_dim=4)])
    model.compile(dc.optim.get(optimizer, lr=0.05), loss)
    x, y = _data(loss_id)
    _step(model, x, y)
    _step(model, x, y)
    path = tmp_path / "m.safetensors"
    dc.save(model, path, include_optimizer=True)
    loaded = dc.load(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.defaults == model.optimizer.defaults
    assert loaded.compiled.loss_name == model.compiled.loss_name
    _assert_same(model, loaded)
    _step(model, x, y)
    _step(loaded, x, y)
    _assert_same(model, loaded)


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_and_loss_name_round_trips_bit_for_bit(optimizer, loss, tmp_path):
    _round_trip(optimizer, loss, loss, tmp_path)


@pytest.mark.parametrize("loss", LOSS_CLASSES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_and_loss_class_round_trips_bit_for_bit(optimizer, loss, tmp_path):
    _round_trip(optimizer, loss_classes()[loss](), loss, tmp_path)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_without_its_state_every_optimizer_comes_back_with_its_settings(optimizer, tmp_path):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile(dc.optim.get(optimizer, lr=0.02), "mse")
    dc.save(model, tmp_path / "m.safetensors")
    loaded = dc.load(tmp_path / "m.safetensors")
    assert type(loaded.optimizer) is type(model.optimizer) and loaded.optimizer.state == {}
    assert loaded.optimizer.defaults == model.optimizer.defaults


def test_the_tables_cover_every_registered_optimizer_and_loss():
    assert len(OPTIMIZERS) == len(set(dc.optim.OPTIMIZERS.values())) == 10
    assert {dc.losses.get(n) for n in LOSS_NAMES} == set(dc.losses.LOSSES.values())
    assert "Loss" not in LOSS_CLASSES and len(LOSS_CLASSES) == 9


def test_adamw_keeps_its_decoupled_decay_and_a_contradicting_file_is_refused(tmp_path):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile("adamw", "mse")
    path = tmp_path / "m.safetensors"
    dc.save(model, path)
    assert dc.load(path).optimizer.defaults["decoupled_weight_decay"] is True
    tensors, metadata = io.read(path)
    config = json.loads(metadata["compile"])
    config["optimizer"]["config"]["decoupled_weight_decay"] = False
    metadata["compile"] = json.dumps(config)
    metadata["sha256"] = io._digest(tensors, metadata)
    with open(path, "wb") as f:
        tensorfile.write(f, tensors, metadata)
    with pytest.raises(ValueError, match=r"load: .*m.safetensors: the optimizer AdamW takes no "
                                         r"hyperparameter 'decoupled_weight_decay' \(the file "
                                         r"gives False; AdamW has True\)"):
        dc.load(path)
