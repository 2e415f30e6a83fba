"""Every loss compiles (``fit(jit_compile=True)``) and keeps the eager weights bit for bit; a
replay checks each batch's targets as the eager loss does; constants made in a step
(``dc.zeros``, ``dc.arange``...) are constants of the compiled step."""

from __future__ import annotations

import re

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 4)).astype(np.float32)
LABELS = np.array([0, 1, 2, 1, 0, 2, 2, 1])
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]
SOFT = np.full((8, 3), 0.25, np.float32)
SOFT[:, 0] = 0.5  # targets with no zero: kl_divergence's log of the targets everywhere
REAL = RNG.standard_normal((8, 3)).astype(np.float32)

# loss name -> (last layer's activation, targets)
CASES = {
    "sparse_categorical_crossentropy": ("softmax", LABELS),
    "categorical_crossentropy": ("softmax", ONE_HOT),
    "binary_crossentropy": ("sigmoid", ONE_HOT),
    "bce": ("sigmoid", SOFT),
    "kl_divergence": ("softmax", ONE_HOT),
    "kld": ("softmax", SOFT),
    "hinge": (None, ONE_HOT),
    "mse": (None, REAL), "mean_squared_error": (None, REAL),
    "mae": (None, REAL), "mean_absolute_error": (None, REAL),
    "huber": (None, REAL), "log_cosh": (None, REAL), "logcosh": (None, REAL),
}


def model(loss: object, activation: str | None, jit: bool) -> dc.Sequential:
    dc.seed(0)
    net = dc.Sequential([dc.nn.Dense(3, input_dim=4, activation=activation)])
    net.compile(dc.optim.SGD(lr=0.1), loss, jit_compile=jit)
    return net


def weight_bytes(net: dc.Sequential) -> list[bytes]:
    return [w.tobytes() for w in net.get_weights()]


def test_every_loss_has_a_case():
    assert set(CASES) == set(dc.losses.LOSSES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_loss_compiles_and_keeps_the_eager_weights_bit_for_bit(name):
    activation, targets = CASES[name]
    eager, compiled = model(name, activation, False), model(name, activation, True)
    for _ in range(3):
        assert (eager.train_on_batch(X, targets) == compiled.train_on_batch(X, targets))
    assert compiled.compiled.jit_steps["train"].ready(X, targets)
    assert weight_bytes(eager) == weight_bytes(compiled)


SPARSE_LOGITS = dc.losses.SparseCategoricalCrossentropy(from_logits=True)
BAD = [
    ("sparse_categorical_crossentropy", "softmax", LABELS, np.where(LABELS == 2, 5, LABELS)),
    ("sparse_categorical_crossentropy", "softmax", LABELS, np.where(LABELS == 2, -1, LABELS)),
    (SPARSE_LOGITS, None, LABELS, np.where(LABELS == 2, -1, LABELS)),
    ("hinge", None, ONE_HOT, ONE_HOT * 2),
    ("binary_crossentropy", "sigmoid", ONE_HOT, ONE_HOT * 2),
]


@pytest.mark.parametrize(("loss", "activation", "good", "bad"), BAD,
                         ids=["label 5", "label -1", "label -1, logits", "hinge 2",
                              "bce 2"])
def test_a_replay_checks_its_batch_s_targets_as_the_eager_step_does(loss, activation, good,
                                                                     bad):
    eager, compiled = model(loss, activation, False), model(loss, activation, True)
    compiled.train_on_batch(X, good)
    step = compiled.compiled.jit_steps["train"]
    assert step.ready(X, bad)  # the same signature: a replay, not a new trace
    before = weight_bytes(compiled)
    with pytest.raises(ValueError) as eager_error:
        eager.train_on_batch(X, bad)
    with pytest.raises(ValueError, match=re.escape(str(eager_error.value))):
        compiled.train_on_batch(X, bad)
    assert weight_bytes(compiled) == before  # checked before any weight changed


def test_the_printed_program_shows_the_check():
    net = model("sparse_categorical_crossentropy", "softmax", True)
    net.train_on_batch(X, LABELS)
    text = str(net.compiled.jit_steps["train"].program(X, LABELS))
    assert "sparse_labels('sparse_categorical_crossentropy', y, (8, 3))" in text


def constant_step(w: dc.Tensor, optimizer: dc.optim.SGD):
    def step(x: dc.Tensor) -> dc.Tensor:
        optimizer.zero_grad()
        shift = dc.ones(3) + dc.full(3, 0.5) - dc.arange(3.0) + dc.eye(3)[0]
        loss = ((x * w + shift) ** 2 + dc.zeros_like(x)).sum()
        loss.backward()
        optimizer.step()
        return loss
    return step


def test_constants_made_in_the_step_are_constants_of_the_compiled_step():
    results = []
    for compiled in (False, True):
        w = dc.tensor(np.linspace(-1.0, 1.0, 3, dtype=np.float32), requires_grad=True)
        step = constant_step(w, dc.optim.SGD([w], lr=0.05))
        step = dc.jit(step) if compiled else step
        losses = [step(np.full(3, k, np.float32)).data.tobytes() for k in (1.0, 2.0, 3.0)]
        results.append((losses, w.data.tobytes()))
    assert results[0] == results[1]
    text = str(step.program(np.ones(3, np.float32)))
    assert "dc.ones((3,))" in text and "dc.arange(3.0)" in text and "dc.full((3,), 0.5)" in text


def test_an_in_place_change_of_a_constant_is_refused():
    w = dc.tensor(np.ones(3, np.float32), requires_grad=True)

    def step(x: dc.Tensor) -> dc.Tensor:
        total = dc.zeros(3)
        total += x
        return (total * w).sum()

    refused = "an in-place 'add' on the constant dc.zeros((3,)) the step made"
    with pytest.raises(TraceError, match=re.escape(refused)):
        dc.jit(step)(np.ones(3, np.float32))


def test_a_random_tensor_made_in_the_step_is_still_refused():
    w = dc.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TraceError, match="neither got as an argument nor computed"):
        dc.jit(lambda x: (x * w + dc.randn(3)).sum())(np.ones(3, np.float32))


FIT_X = RNG.standard_normal((64, 4)).astype(np.float32)
FIT_LABELS = RNG.integers(0, 3, 64)


@pytest.mark.parametrize("labels", [FIT_LABELS, FIT_LABELS[:, None], FIT_LABELS.astype(np.int32),
                                    FIT_LABELS.astype(np.float32)],
                         ids=["int64", "a column", "int32", "float32"])
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", SPARSE_LOGITS],
                         ids=["probabilities", "logits"])
def test_fit_compiles_class_labels_in_every_form_the_eager_loss_takes(labels, loss):
    activation = "softmax" if isinstance(loss, str) else None
    weights = []
    for jit in (False, True):
        net = model(loss, activation, jit)
        net.fit(FIT_X, labels, epochs=2, batch_size=32, verbose=0, seed=0)
        weights.append(weight_bytes(net))
    assert weights[0] == weights[1]
