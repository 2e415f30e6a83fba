"""dc.save / dc.load: exact round trips, refused damage, atomic checkpoints, no code execution."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import descend as dc
import descend.io.model_file
from descend.nn import initializers, regularizers

safetensors_numpy = pytest.importorskip("safetensors.numpy")

ACTIVATIONS = ["linear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus",
               "softmax"]


def _dense_stack() -> tuple[dc.Sequential, np.ndarray]:
    model = dc.Sequential([
        dc.nn.Dense(6, activation="relu", input_dim=5,
                    kernel_initializer=initializers.VarianceScaling(scale=2.0, mode="fan_avg"),
                    bias_initializer=initializers.RandomNormal(stddev=0.3),
                    kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
                    bias_regularizer="l2"),
        dc.nn.BatchNorm(momentum=0.3),
        dc.nn.Dropout(0.4),
        dc.nn.LayerNorm(eps=1e-3),
        dc.nn.Dense(2, activation="softmax"),
    ])
    return model, np.random.default_rng(1).normal(size=(16, 5)).astype(np.float32)


def _conv_stack() -> tuple[dc.Sequential, np.ndarray]:
    model = dc.Sequential([
        dc.nn.Conv2D(3, 3, padding="same", activation="elu", input_shape=(1, 8, 8)),
        dc.nn.BatchNorm(),
        dc.nn.MaxPool2D(),
        dc.nn.Conv2D(2, (2, 2), strides=2, use_bias=False),
        dc.nn.AvgPool2D(pool_size=2),
        dc.nn.Flatten(),
        dc.nn.Dense(2, activation="softmax"),
    ])
    return model, np.random.default_rng(2).normal(size=(16, 1, 8, 8)).astype(np.float32)


def _embedding_stack() -> tuple[dc.Sequential, np.ndarray]:
    model = dc.Sequential([dc.nn.Embedding(10, 4, embeddings_regularizer=regularizers.L2(0.1)),
                           dc.nn.Flatten(), dc.nn.Dense(2, activation="softmax")])
    model.build((None, 3))
    return model, np.random.default_rng(3).integers(0, 10, size=(16, 3))


@pytest.mark.parametrize("make", [_dense_stack, _conv_stack, _embedding_stack],
                         ids=["dense-batchnorm-dropout-layernorm", "conv", "embedding"])
def test_a_trained_model_round_trips_predict_bit_for_bit(make, tmp_path):
    dc.seed(0)
    model, x = make()
    labels = np.arange(16) % 2
    model.compile(dc.optim.Adam(lr=0.01, amsgrad=True), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, labels, epochs=2, batch_size=4, verbose=0, seed=0)  # BatchNorm stats move
    path = tmp_path / "model.safetensors"
    dc.save(model, path)
    loaded = dc.load(path)
    assert type(loaded) is dc.Sequential and repr(loaded) == repr(model)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value, err_msg=name)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, labels) == model.evaluate(x, labels)
    assert type(loaded.optimizer) is dc.optim.Adam
    assert loaded.optimizer.defaults == model.optimizer.defaults
    assert loaded.compiled.metric_names == ["accuracy"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_name_round_trips(activation, tmp_path):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(3, activation=activation, input_dim=4),
                           dc.nn.Activation(activation)])
    path = tmp_path / "m.safetensors"
    dc.save(model, path)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(dc.load(path).predict(x), model.predict(x))


def test_a_float64_model_stays_float64(tmp_path):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(2, input_dim=3)]).astype("float64")
    dc.save(model, tmp_path / "m.safetensors")
    loaded = dc.load(tmp_path / "m.safetensors")
    assert loaded.dtype == np.float64 and loaded.get_weights()[0].dtype == np.float64
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_the_optimizer_state_epoch_and_seed_travel_with_include_optimizer(tmp_path,
                                                                          regression,
                                                                          make_model):
    model = make_model(optimizer="adam", lr=0.01)
    model.fit(*regression, epochs=3, verbose=0, seed=11)
    dc.save(model, tmp_path / "with.safetensors", include_optimizer=True)
    dc.save(model, tmp_path / "without.safetensors")
    resumed = dc.load(tmp_path / "with.safetensors")
    fresh = dc.load(tmp_path / "without.safetensors")
    assert (resumed.epochs_trained, resumed.fit_seed) == (3, 11)
    assert (fresh.epochs_trained, fresh.optimizer.state) == (0, {})
    saved, restored = model.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert restored["param_groups"] == saved["param_groups"]
    for position, entries in saved["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(restored["state"][position][key], value)


@pytest.fixture
def saved(tmp_path, make_model) -> tuple[Path, bytes]:
    path = tmp_path / "model.safetensors"
    dc.save(make_model(), path)
    return path, path.read_bytes()


def _header_size(data: bytes) -> int:
    return int.from_bytes(data[:8], "little")


def test_a_truncated_file_is_refused(saved):
    path, data = saved
    path.write_bytes(data[:-10])
    with pytest.raises(ValueError, match=r"load: .*model.safetensors is damaged or not a "
                                         r"safetensors file"):
        dc.load(path)
    path.write_bytes(data[:100])
    with pytest.raises(ValueError, match=r"is truncated: its header says \d+ bytes but only 92 "
                                         r"follow"):
        dc.load(path)
    path.write_bytes(data[:5])
    with pytest.raises(ValueError, match=r"is too short to be a model file \(5 bytes\)"):
        dc.load(path)


def test_a_flipped_byte_in_the_tensor_data_is_refused(saved):
    path, data = saved
    damaged = bytearray(data)
    damaged[8 + _header_size(data) + 5] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=r"load: .* has been modified or damaged: its tensors or "
                                         r"metadata do not match the checksum"):
        dc.load(path)


def test_edited_metadata_is_refused(saved):
    path, data = saved
    assert b"tanh" in data
    path.write_bytes(data.replace(b"tanh", b"relu", 1))  # same length: still valid JSON
    with pytest.raises(ValueError, match="has been modified or damaged"):
        dc.load(path)


def test_a_safetensors_file_from_elsewhere_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    safetensors_numpy.save_file({"weight": np.ones((2, 2), dtype=np.float32)}, str(path))
    with pytest.raises(ValueError, match=r"load: .*other.safetensors is a safetensors file but not "
                                         r"a descend model file"):
        dc.load(path)
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(ValueError, match="is damaged or not a safetensors file"):
        dc.load(path)
    with pytest.raises(FileNotFoundError, match="load: no model file at"):
        dc.load(tmp_path / "missing.safetensors")


def _rewrite(path: Path, **changes: str) -> None:
    """Rewrite a model file's metadata with a valid checksum (as a forger could)."""
    tensors, metadata = descend.io.model_file.read(path)
    metadata = {**metadata, **changes}
    metadata["sha256"] = descend.io.model_file._digest(tensors, metadata)
    path.write_bytes(safetensors_numpy.save(tensors, metadata=metadata))


def test_loading_never_runs_code_unknown_classes_are_refused(saved):
    path, _ = saved
    spec = {"class_name": "os.system", "config": {"command": "echo hacked"}}
    _rewrite(path, architecture=json.dumps(spec))
    with pytest.raises(ValueError, match=r"load: .*: unknown class 'os.system' in the model file; "
                                         r"import or define it before loading"):
        dc.load(path)
    package = Path(descend.__file__).parent
    for module in [*sorted((package / "io").glob("*.py")), package / "config.py"]:
        source = module.read_text()
        imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.Import | ast.ImportFrom)
                    for alias in getattr(node, "names", [])}
        imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"pickle", "marshal", "dill", "shelve", "importlib"}, module


def test_a_config_that_does_not_fit_the_class_is_refused(saved):
    path, _ = saved
    spec = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": 1, "colour": "red"}}]}}
    _rewrite(path, architecture=json.dumps(spec))
    with pytest.raises(ValueError, match=r"load: .*: cannot rebuild Dense from the model file: "):
        dc.load(path)


def test_loading_into_a_different_architecture_is_refused(saved, make_model):
    path, _ = saved
    other = dc.Sequential([dc.nn.Dense(4, input_dim=3), dc.nn.Dense(1)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"load: .*: load_state_dict: the state does not fit "
                                         r"Sequential: .*shape mismatch for 0.kernel: expected "
                                         r"shape \(3, 4\), got \(3, 8\)"):
        dc.load(path, model=other)
    deeper = dc.Sequential([dc.nn.Dense(8, input_dim=3), dc.nn.Dense(8), dc.nn.Dense(1)])
    with pytest.raises(ValueError, match=r"missing keys: \['2.kernel', '2.bias'\]"):
        dc.load(path, model=deeper)
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), before))
    same = make_model(init_seed=5)
    assert dc.load(path, model=same) is same


class TwoBranch(dc.nn.Module):
    """A plain Module (not a dc.Model): its architecture is code."""

    def __init__(self):
        super().__init__()
        self.left = dc.nn.Dense(3, input_dim=2)
        self.right = dc.nn.Dense(3, activation="tanh", input_dim=2)

    def forward(self, x):
        return self.left(x) * self.right(x)


def test_a_custom_module_saves_its_weights_and_loads_into_a_given_model(tmp_path):
    dc.seed(0)
    net = TwoBranch()
    path = tmp_path / "net.safetensors"
    dc.save(net, path)
    with pytest.raises(ValueError, match=r"the file holds only weights \(its architecture is "
                                         r"code \(a custom module\)\); build the model in code "
                                         r"and pass it: load\(path, model=MyModel\(\)\)"):
        dc.load(path)
    dc.seed(1)
    again = dc.load(path, model=TwoBranch())
    x = dc.tensor(np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32))
    np.testing.assert_array_equal(again(x).numpy(), net(x).numpy())


@dc.register_configurable
class Scaled(dc.Model):
    """A custom dc.Model, registered: rebuilt from its get_config() by class name."""

    def __init__(self, hidden: int = 4, scale: float = 1.0):
        super().__init__()
        self.hidden = dc.nn.Dense(hidden, activation="relu", input_dim=3)
        self.out = dc.nn.Dense(1, input_dim=hidden)
        self.scale = scale

    def forward(self, x):
        return self.out(self.hidden(x)) * self.scale

    def get_config(self):
        return {"hidden": self.hidden.units, "scale": self.scale}


def test_a_custom_model_class_is_rebuilt_from_its_arguments(tmp_path, regression):
    x, y = regression
    dc.seed(0)
    model = Scaled(hidden=5, scale=2.0)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    dc.save(model, tmp_path / "scaled.safetensors")
    loaded = dc.load(tmp_path / "scaled.safetensors")
    assert type(loaded) is Scaled and loaded.scale == 2.0
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_an_unsavable_architecture_warns_and_keeps_the_weights(tmp_path):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(2, activation=lambda t: t * 2, input_dim=3)])
    path = tmp_path / "lambda.safetensors"
    with pytest.warns(UserWarning, match=r"save: only the weights of Sequential are saved, not "
                                         r"its architecture: cannot save Dense.activation="):
        dc.save(model, path)
    with pytest.raises(ValueError, match=r"the file holds only weights \(cannot save "
                                         r"Dense.activation="):
        dc.load(path)
    copy = dc.Sequential([dc.nn.Dense(2, activation=lambda t: t * 2, input_dim=3)])
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(dc.load(path, model=copy).predict(x), model.predict(x))


def test_a_custom_loss_loads_uncompiled_with_a_warning(tmp_path, make_model):
    model = make_model()
    model.compile("sgd", lambda y_true, y_pred: ((y_pred - y_true) ** 4).mean())
    dc.save(model, tmp_path / "m.safetensors", include_optimizer=True)
    with pytest.warns(UserWarning, match="load: the model was compiled with a custom loss "
                                         "function, which a file cannot hold"):
        loaded = dc.load(tmp_path / "m.safetensors")
    assert loaded.compiled is None


def test_an_unbuilt_model_cannot_be_saved(tmp_path):
    model = dc.Sequential([dc.nn.Embedding(10, 4), dc.nn.Flatten(), dc.nn.Dense(1)])
    with pytest.raises(ValueError, match=r"save: Sequential is not built yet, so some layers have "
                                         r"no weights to save; call model.build"):
        dc.save(model, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_model_files_need_no_safetensors_package_and_read_with_it(tmp_path, make_model,
                                                                   monkeypatch):
    model = make_model()
    path = tmp_path / "m.safetensors"
    dc.save(model, path)
    tensors = safetensors_numpy.load_file(str(path))  # the file is plain safetensors
    assert sorted(tensors) == sorted(f"model/{k}" for k in model.state_dict())
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    dc.save(model, path)
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(dc.load(path).predict(x), model.predict(x))


class _CrashingFile:
    """A file object whose write stores half the bytes, then fails (a crash mid-write)."""

    def __init__(self, real):
        self.real = real

    def write(self, payload):
        self.real.write(payload[:len(payload) // 2])
        self.real.flush()
        raise OSError("simulated crash: disk unplugged")

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def test_a_checkpoint_survives_a_crash_while_the_next_one_is_written(tmp_path, regression,
                                                                     make_model, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    weights = []
    real_fdopen = os.fdopen

    def crash_from_epoch_2(epoch, logs):
        weights.append(model.get_weights())
        if epoch == 1:
            monkeypatch.setattr(descend.io.model_file.os, "fdopen",
                                lambda *a, **k: _CrashingFile(real_fdopen(*a, **k)))

    model = make_model()
    callbacks = [dc.callbacks.LambdaCallback(on_epoch_end=crash_from_epoch_2),
                 dc.callbacks.ModelCheckpoint(path)]
    with pytest.raises(OSError, match="simulated crash"):
        model.fit(*regression, epochs=3, verbose=0, callbacks=callbacks)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]  # no temp file left
    survivor = dc.load(path)
    assert survivor.epochs_trained == 1
    assert all(np.array_equal(a, b) for a, b in zip(survivor.get_weights(), weights[0]))
    assert not all(np.array_equal(a, b) for a, b in zip(weights[1], weights[0]))


def test_a_successful_save_leaves_no_temporary_file(tmp_path, make_model):
    with pytest.raises(FileNotFoundError, match=r"save: cannot write m.safetensors: the folder "
                                                r".*sub does not exist"):
        dc.save(make_model(), tmp_path / "sub" / "m.safetensors")
    (tmp_path / "sub").mkdir()
    dc.save(make_model(), tmp_path / "sub" / "m.safetensors")
    dc.save(make_model(), tmp_path / "sub" / "m.safetensors")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["m.safetensors"]
