"""The trainer's steps are methods a subclass can override, as in Keras."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc


class Net(dc.Model):
    """A 3-8-1 tanh MLP written as a Model subclass."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = dc.nn.Dense(8, activation="tanh", input_dim=3)
        self.out = dc.nn.Dense(1, input_dim=8)

    def forward(self, x: dc.Tensor) -> dc.Tensor:
        return self.out(self.hidden(x))


class CountingNet(Net):
    """Delegates every step to the trainer's, counting the calls and the samples seen."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"train": 0, "test": 0, "predict": 0}
        self.samples = 0

    def train_step(self, x, y, sample_weight=None, metrics=()):
        self.calls["train"] += 1
        self.samples += len(x)
        return super().train_step(x, y, sample_weight, metrics)

    def test_step(self, x, y, sample_weight=None, metrics=()):
        self.calls["test"] += 1
        return super().test_step(x, y, sample_weight, metrics)

    def predict_step(self, x):
        self.calls["predict"] += 1
        return super().predict_step(x)


class ClippedNet(Net):
    """A custom step: the trainer's loss, backward, then the gradient clipped before the update."""

    def train_step(self, x, y, sample_weight=None, metrics=()):
        loss = self.compute_loss(y, self(dc.tensor(x)), sample_weight)
        self.optimizer.zero_grad()
        loss.backward()
        dc.optim.clip_grad_value(self.parameters(), 1e-3)
        self.optimizer.step()
        return float(loss.data)


def _fit(model, regression, **kwargs):
    dc.seed(0)
    model.compile(dc.optim.SGD(lr=0.05), "mse", metrics=["mae"])
    return model.fit(*regression, epochs=3, batch_size=16, verbose=0, seed=1, **kwargs)


def _built(cls):
    dc.seed(0)
    return cls()


def test_an_overridden_step_is_what_fit_evaluate_and_predict_call(regression):
    plain, counting = _built(Net), _built(CountingNet)
    history = _fit(plain, regression, validation_split=0.25)
    counted = _fit(counting, regression, validation_split=0.25)
    # 30 training samples in batches of 16: 2 steps an epoch; 10 validation samples, 1 batch
    assert counting.calls == {"train": 6, "test": 3, "predict": 0} and counting.samples == 90
    assert counted.history == history.history
    assert all(np.array_equal(a, b) for a, b in zip(counting.get_weights(), plain.get_weights()))
    counting.evaluate(*regression, batch_size=16)
    counting.predict(regression[0], batch_size=16)
    assert counting.calls == {"train": 6, "test": 6, "predict": 3}


def test_a_custom_train_step_changes_training_and_keeps_the_logs(regression):
    plain, clipped = _built(Net), _built(ClippedNet)
    before = clipped.get_weights()
    _fit(plain, regression)
    history = _fit(clipped, regression)
    assert sorted(history.history) == ["loss", "lr", "mae"]
    steps = [np.abs(a - b).max() for a, b in zip(clipped.get_weights(), before)]
    assert max(steps) <= 9 * 0.05 * 1e-3 * 1.001  # 9 steps (3 an epoch) of lr * clipped gradient
    assert not all(np.array_equal(a, b)
                   for a, b in zip(clipped.get_weights(), plain.get_weights()))


def test_compute_loss_adds_the_regularisation_penalty():
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2, kernel_initializer="ones",
                                       kernel_regularizer=dc.nn.regularizers.L2(0.5))])
    model.compile("sgd", "mse")
    y, y_pred = np.zeros((2, 1), np.float32), dc.tensor([[1.0], [3.0]])
    assert model.compute_loss(y, y_pred).item() == pytest.approx(5.0 + 0.5 * 2)
    assert model.test_step(np.ones((2, 2), np.float32), np.zeros((2, 1))) == pytest.approx(4.0)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_regularizer_added_after_a_loss_counts_from_the_next_training_call(jit_compile):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2, kernel_initializer="ones")])
    model.compile(dc.optim.SGD(lr=0.0), "mse", jit_compile=jit_compile)
    x, y = np.ones((2, 2), np.float32), np.zeros((2, 1), np.float32)
    y_pred = dc.tensor([[1.0], [3.0]])
    assert model.compute_loss(y, y_pred).item() == pytest.approx(5.0)  # asked: none
    model.layers[0].add_regularizer("kernel", dc.nn.regularizers.L2(0.5))
    assert model.train_on_batch(x, y)["loss"] == pytest.approx(4.0 + 0.5 * 2)
    assert model.compute_loss(y, y_pred).item() == pytest.approx(5.0 + 0.5 * 2)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert history.history["loss"] == [pytest.approx(4.0 + 0.5 * 2)]


def test_a_wrong_input_shape_names_the_caller_and_the_expected_shape():
    model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
    model.compile("sgd", "mse")
    expected = r": Sequential expects inputs of shape \(None, 3\), got \(2, 4\)\. Dense: "
    with pytest.raises(ValueError, match="^train_on_batch" + expected):
        model.train_on_batch(np.ones((2, 4)), np.ones((2, 1)))

    def batches():
        yield np.ones((2, 3)), np.ones((2, 1))
        yield np.ones((2, 4)), np.ones((2, 1))

    # each generator batch is checked against the first before its step (issue 20)
    with pytest.raises(ValueError, match=r"^fit: batch 1 has x of shape \(2, 4\) but the first "
                                         r"batch's x has shape \(2, 3\)"):
        model.fit(batches(), verbose=0)
