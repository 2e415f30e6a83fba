"""Every loss compiles (``fit(jit_compile=True)``) and keeps the eager weights bit for bit; a
replay checks each batch's targets as the eager loss does; constants made in a step
(``dc.zeros``, ``dc.arange``...) are constants of the compiled step, random values
(``dc.randn``) are drawn anew on each replay, and a leaf made in the step gathers its
gradient afresh."""

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


def eager_and_compiled(make_step, w: np.ndarray, batches: list) -> tuple[list, object]:
    """For the eager and the compiled step (``make_step(w, optimizer)``, SGD on the parameter
    ``w``, from ``dc.seed(5)``): the bytes of its losses on ``batches`` and of ``w`` after
    them; and the compiled step."""
    results = []
    for compiled in (False, True):
        dc.seed(5)
        param = dc.tensor(w, requires_grad=True)
        step = make_step(param, dc.optim.SGD([param], lr=0.05))
        step = dc.jit(step) if compiled else step
        losses = [step(dc.tensor(batch)).data.tobytes() for batch in batches]
        results.append((losses, param.data.tobytes()))
    return results, step


def test_constants_made_in_the_step_are_constants_of_the_compiled_step():
    (eager, compiled), step = eager_and_compiled(
        constant_step, np.linspace(-1.0, 1.0, 3, dtype=np.float32),
        [np.full(3, k, np.float32) for k in (1.0, 2.0, 3.0)])
    assert eager == compiled
    text = str(step.program(np.ones(3, np.float32)))
    assert "dc.ones((3,))" in text and "dc.arange(3.0)" in text and "dc.full((3,), 0.5)" in text


@pytest.mark.parametrize("measure", [
    lambda z: (dc.argmax(z, axis=1) == dc.tensor([0, 1, 2, 0])).astype("float32").mean(),
    lambda z: z.argmin().astype("float32"),
    lambda z: dc.losses.mse(dc.tensor([0.0, 1.0, 2.0, 0.0]), dc.argmax(z, axis=1)),
    lambda z: dc.losses.mse(dc.zeros(4, 3), z > 0),
], ids=["accuracy", "argmin", "an integer prediction in a loss", "a boolean one"])
def test_argmax_and_a_cast_prediction_in_the_step_are_each_replay_s_own(measure):
    """A batch's accuracy from ``dc.argmax`` in a custom step: argmax was computed outside any
    op, so the trace took its array for a tensor made before the step and every replay read
    the first batch's (eager 0.125, 0.5, 0.375; compiled 0.125, 0.125, 0.625). So did a loss
    given an integer or boolean prediction, which it cast to floats outside any op."""
    def make_step(w, optimizer):
        def step(x):
            optimizer.zero_grad()
            logits = x * w
            (logits ** 2).mean().backward()
            optimizer.step()
            return measure(logits)
        return step
    batches = [RNG.standard_normal((4, 3)).astype(np.float32) for _ in range(4)]
    (eager, compiled), _ = eager_and_compiled(make_step, np.ones(3, np.float32), batches)
    assert eager == compiled
    assert len(set(eager[0])) > 1  # (the batches pick differently)


def test_an_in_place_change_of_a_constant_is_refused():
    w = dc.tensor(np.ones(3, np.float32), requires_grad=True)

    def step(x: dc.Tensor) -> dc.Tensor:
        total = dc.zeros(3)
        total += x
        return (total * w).sum()

    refused = "an in-place 'add' on the constant dc.zeros((3,)) the step made"
    with pytest.raises(TraceError, match=re.escape(refused)):
        dc.jit(step)(np.ones(3, np.float32))


def noisy_step(w: dc.Tensor, optimizer: dc.optim.SGD):
    def step(x: dc.Tensor) -> dc.Tensor:
        optimizer.zero_grad()
        noisy = x + 0.1 * dc.randn(3) * dc.rand_like(x)
        loss = ((noisy * w) ** 2).sum()
        loss.backward()
        optimizer.step()
        return loss
    return step


def test_random_values_drawn_in_the_step_are_drawn_anew_on_each_replay():
    """Noise added in the step (``dc.randn``, ``dc.rand_like``): each replay draws from the
    seeded generator as the eager step does, so the runs agree bit for bit."""
    (eager, compiled), step = eager_and_compiled(
        noisy_step, np.linspace(-1.0, 1.0, 3, dtype=np.float32), [np.ones(3, np.float32)] * 4)
    assert eager == compiled
    assert len(set(compiled[0])) == 4  # the same batch, a new draw each time
    text = str(step.program(np.ones(3, np.float32)))
    assert "= dc.randn(3)" in text and "= dc.rand(3)" in text


def adversarial_step(make):
    """An adversarial step (FGSM): a perturbation ``make(x)`` made in the step with
    requires_grad, its gradient read after backward."""
    def make_step(w: dc.Tensor, optimizer: dc.optim.SGD):
        def step(x: dc.Tensor) -> dc.Tensor:
            delta = make(x)
            (((x + delta) @ w) ** 2).sum().backward()
            optimizer.zero_grad()
            loss = (((x + 0.1 * delta.grad) @ w) ** 2).sum()
            loss.backward()
            optimizer.step()
            return loss
        return step
    return make_step


@pytest.mark.parametrize("make", [
    lambda x: dc.zeros_like(x, requires_grad=True),
    lambda x: dc.randn(*x.shape, requires_grad=True),
    lambda x: dc.tensor([[0.0, 0.0, 0.0]] * 2, requires_grad=True),
    lambda x: (x * 0.0).detach().requires_grad_(),
], ids=["dc.zeros_like", "dc.randn", "dc.tensor of lists", "detach"])
def test_a_leaf_made_in_the_step_starts_each_replay_without_a_gradient(make):
    """Eagerly each call makes a new leaf, so its gradient is that call's alone; a replay
    must not add it to the last call's."""
    (eager, compiled), _ = eager_and_compiled(
        adversarial_step(make), np.array([[1.0], [-2.0], [0.5]], np.float32),
        [np.full((2, 3), k, np.float32) for k in (1.0, 2.0, 3.0)])
    assert eager == compiled


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
