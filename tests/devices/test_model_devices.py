"""Models on devices: ``model.to``, lazy layers, optimizers, fit/evaluate/predict, save/load.

On ``fake-cuda`` every number must equal the CPU's (the same NumPy computes both); on a GPU
they agree to float32 tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
    return x, labels


def _model():
    dc.seed(0)
    return dc.Sequential([dc.nn.Dense(16, activation="relu"), dc.nn.BatchNorm(),
                          dc.nn.Dropout(0.2), dc.nn.Dense(3)])


def _same(ours, theirs, device, what):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if device.exact:
        assert np.array_equal(ours, theirs), f"{what} differs from the CPU's"
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5, err_msg=what)


def _fit(device_name):
    x, labels = _data()
    model = _model().to(device_name)
    model.compile(dc.optim.Adam(lr=0.01),
                  dc.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, labels, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        shuffle=True, callbacks=[dc.callbacks.GradientNormLogger(),
                                                 dc.callbacks.EarlyStopping(patience=5)])
    return model, history


def test_fit_evaluate_predict_on_each_device_match_the_cpu(device, tmp_path):
    x, labels = _data()
    model, history = _fit(device.device)
    cpu, cpu_history = _fit("cpu")
    for p in model.parameters():
        device.check(p, "a trained parameter")
    for key, values in history.history.items():
        assert all(type(v) is float for v in values), f"history[{key!r}] holds non-floats"
        _same(values, cpu_history.history[key], device, f"history[{key!r}]")
    logs, cpu_logs = model.evaluate(x, labels), cpu.evaluate(x, labels)
    assert all(type(v) is float for v in logs.values())
    _same(list(logs.values()), list(cpu_logs.values()), device, "evaluate")
    predictions = model.predict(x, batch_size=16)
    assert type(predictions) is np.ndarray
    _same(predictions, cpu.predict(x, batch_size=16), device, "predict")
    steps = []
    for trained in (model, cpu):
        dc.seed(1)  # the same dropout mask for both
        steps.append(trained.train_on_batch(x[:8], labels[:8])["loss"])
    _same(*steps, device, "train_on_batch")


def test_save_writes_host_copies_and_load_puts_weights_on_a_device(device, tmp_path):
    model, _ = _fit(device.device)
    path = tmp_path / "model.safetensors"
    dc.save(model, path, include_optimizer=True)
    loaded = dc.load(path, device=device.device)
    for p in loaded.parameters():
        device.check(p, "a loaded parameter")
    x, labels = _data()
    _same(loaded.predict(x), model.predict(x), device, "the loaded model's predictions")
    loaded.fit(x, labels, epochs=1, batch_size=8, verbose=0)  # optimizer state on the device
    into = _model().to(device.device)
    into.build((None, 5))
    dc.load(path, model=into, compile=False)
    for p in into.parameters():
        device.check(p, "a parameter loaded into a model on the device")
    _same(into.predict(x), model.predict(x), device, "predictions after load(model=...)")


def test_model_to_moves_parameters_in_place_and_keeps_the_optimizer_working(device):
    model = dc.Sequential([dc.nn.Dense(4, input_dim=3), dc.nn.BatchNorm(), dc.nn.Dense(1)])
    params = model.parameters()
    optimizer = dc.optim.SGD(params, lr=0.1, momentum=0.9)
    assert model.to(device.device) is model
    assert str(model.device) == device.device
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    for _, tensor in model.named_buffers():
        device.check(tensor, "a buffer after model.to")
    x = dc.ones((2, 3), device=device.device)
    for _ in range(2):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    for p in params:
        device.check(p, "a parameter after steps")
        device.check(p.grad, "a gradient")
    state = optimizer.state_dict()["state"][0]["momentum_buffer"]
    assert type(state) is np.ndarray  # state_dict gives host copies
    assert all(type(v) is np.ndarray for v in model.state_dict().values())
    assert all(type(w) is np.ndarray for w in model.get_weights())


def test_a_lazy_layer_builds_on_the_device_of_its_first_input(device):
    layer = dc.nn.Dense(2)
    out = layer(dc.ones((4, 3), device=device.device))
    device.check(layer.kernel, "a lazily built kernel")
    device.check(out, "the output")
    assert str(layer.device) == device.device
    model = dc.Sequential([dc.nn.Dense(2), dc.nn.Dense(1)]).to(device.device)
    model.build((None, 3))  # built without an input: still on the device it was moved to
    for p in model.parameters():
        device.check(p, "a parameter built after model.to")


def test_set_weights_and_load_state_dict_write_into_the_device(device):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]).to(device.device)
    model.set_weights([np.ones((2, 1)), np.zeros(1)])
    model.load_state_dict({"0.bias": np.full(1, 0.5)}, strict=False)
    for p in model.parameters():
        device.check(p, "a parameter after set_weights")
    assert model.predict(np.ones((1, 2))).tolist() == [[2.5]]


def test_jit_compile_on_a_device_is_refused_with_a_clear_error(device):
    if device.device == "cpu":
        pytest.skip("jit runs on the CPU")
    x, labels = _data()
    model = _model().to(device.device)
    model.compile("sgd", dc.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    with pytest.raises(dc.compiler.TraceError, match="jit_compile on device cuda:0"):
        model.fit(x, labels, epochs=1, verbose=0)
