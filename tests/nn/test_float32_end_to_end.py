"""float32 stays float32 through whole training steps (issue 8: no needless promotion).

For each model and loss, one step is checked at three places: every floating value the
forward pass records, every gradient an op's backward hands back (before the engine's
safety cast to the input's dtype, which would hide a promotion inside a backward), and every
parameter, gradient and optimizer state array after the step.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.autograd import engine

RNG = np.random.default_rng(0)
X_FLAT = RNG.standard_normal((6, 8)).astype(np.float32)
X_IMAGES = RNG.standard_normal((4, 1, 8, 8)).astype(np.float32)
LABELS = np.array([0, 2, 1, 1, 0, 2])


def _mlp(head: str | None, units: int = 3, **dense) -> list[dc.nn.Module]:
    return [dc.nn.Dense(16, activation="relu", input_dim=8, kernel_regularizer="l2", **dense),
            dc.nn.Dropout(0.25), dc.nn.BatchNorm(), dc.nn.Dense(8, activation="tanh"),
            dc.nn.LayerNorm(), dc.nn.Dense(units, activation=head, bias_regularizer="l1")]


def _cnn() -> list[dc.nn.Module]:
    return [dc.nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            dc.nn.MaxPool2D(), dc.nn.Conv2D(4, 3, padding="same", activation="elu"),
            dc.nn.AvgPool2D(), dc.nn.Flatten(), dc.nn.Dense(2, activation="softmax")]


CASES = {
    "MLP, sparse cross-entropy from logits": (
        lambda: _mlp(None), dc.losses.SparseCategoricalCrossentropy(from_logits=True),
        X_FLAT, LABELS),
    "MLP, softmax and categorical cross-entropy": (
        lambda: _mlp("softmax"), dc.losses.categorical_crossentropy,
        X_FLAT, np.eye(3, dtype=np.float32)[LABELS]),
    "MLP, sigmoid and binary cross-entropy": (
        lambda: _mlp("sigmoid", units=1), dc.losses.binary_crossentropy,
        X_FLAT, (LABELS[:, None] > 0).astype(np.float32)),
    "MLP, Huber": (
        lambda: _mlp("gelu", units=1), dc.losses.huber, X_FLAT, X_FLAT[:, :1] * 3),
    "MLP, log-cosh": (
        lambda: _mlp("softplus", units=1), dc.losses.log_cosh, X_FLAT, X_FLAT[:, :1]),
    "CNN, categorical cross-entropy": (
        _cnn, dc.losses.categorical_crossentropy, X_IMAGES, np.eye(2, dtype=np.float32)[
            [0, 1, 1, 0]]),
    "embedding, MSE": (
        lambda: [dc.nn.Embedding(10, 4), dc.nn.Flatten(), dc.nn.Dense(1, activation="tanh")],
        dc.losses.mse, np.array([[1, 2, 3], [4, 5, 9]]), np.zeros((2, 1), np.float32)),
}


def _recorded_values(root: dc.Tensor) -> list[tuple[str, np.dtype]]:
    """(op name, dtype) of every floating value in the graph below ``root``."""
    seen, stack, found = set(), [root], []
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor.dtype.kind == "f":
            found.append((tensor._ctx.name if tensor._ctx else "leaf", tensor.dtype))
        if tensor._ctx is not None:
            stack.extend(tensor._ctx.inputs)
    return found


@pytest.fixture
def backward_gradients(monkeypatch):
    """(op name, dtype) of every gradient a backward returns, as it returns it."""
    found: list[tuple[str, np.dtype]] = []

    def spy(fn, output, gy, gradients):
        found.extend((fn.name, gradient.dtype) for gradient in gradients if gradient is not None)

    monkeypatch.setattr(engine, "backward_hooks", [*engine.backward_hooks, spy])
    return found


@pytest.mark.parametrize("optimizer", [
    lambda params: dc.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True),
    lambda params: dc.optim.Adam(params, lr=0.01, amsgrad=True),
    lambda params: dc.optim.RMSprop(params, lr=0.01, centered=True, momentum=0.5),
], ids=["SGD nesterov", "Adam amsgrad", "RMSprop centered"])
@pytest.mark.parametrize("case", CASES)
def test_a_training_step_keeps_float32_everywhere(case, optimizer, backward_gradients):
    make_layers, loss_fn, x, y = CASES[case]
    dc.seed(0)
    model = dc.Sequential(make_layers())
    model.train()
    opt = optimizer(model.parameters())
    with dc.detect_anomaly():
        loss = loss_fn(y, model(dc.tensor(x))) + model.regularization_loss()
        forward = _recorded_values(loss)
        loss.backward()
    opt.step()
    opt.step()  # state made in the first step is used in the second

    assert forward and all(dtype == np.float32 for _, dtype in forward), forward
    assert backward_gradients and all(dtype == np.float32 for _, dtype in backward_gradients), \
        backward_gradients
    for name, param in model.named_parameters():
        assert param.dtype == np.float32 and param.grad.dtype == np.float32, name
    states = [value for state in opt.state.values() for value in state.values()
              if isinstance(value, np.ndarray)]
    assert states and all(value.dtype == np.float32 for value in states)
