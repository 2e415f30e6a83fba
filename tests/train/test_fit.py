"""fit/evaluate/predict on every data form, with weights, validation and the batch methods.

The strongest checks compare fit bit for bit with a hand-written loop over the same batches,
and logged losses with hand computations from the predictions.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.autograd.function import Function


def _custom_loop(model, batches, *, weights=None):
    """The torch-style loop: forward, loss, backward, step (what fit must reproduce)."""
    for i, (xb, yb) in enumerate(batches):
        prediction = model(dc.tensor(xb))
        if weights is None:
            loss = dc.losses.mse(yb, prediction)
        else:
            per_sample = dc.losses.mse(yb, prediction, reduction="none")
            loss = (per_sample * weights[i]).mean()
        model.optimizer.zero_grad()
        loss.backward()
        model.optimizer.step()


def test_fit_equals_the_custom_loop_bit_for_bit(regression, make_model, same_weights):
    x, y = regression
    fitted, looped = make_model(optimizer="adam", lr=0.01), make_model(optimizer="adam", lr=0.01)
    fitted.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    _custom_loop(looped, [(x[i:i + 16], y[i:i + 16]) for _ in range(3) for i in (0, 16, 32)])
    assert same_weights(fitted.get_weights(), looped.get_weights())


def test_history_has_loss_metrics_validation_and_lr_per_epoch(regression, make_model):
    x, y = regression
    model = make_model(metrics=["mae", "rmse"])
    history = model.fit(x, y, epochs=4, batch_size=8, validation_split=0.25, verbose=0, seed=1)
    assert history is model.history
    assert list(history.history) == ["loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse",
                                     "lr"]
    assert all(len(values) == 4 for values in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["lr"] == [0.05] * 4
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.epochs_trained == 4
    assert repr(history) == "History(4 epochs: loss, mae, rmse, val_loss, val_mae, val_rmse, lr)"


def test_the_epoch_loss_is_the_sample_mean_of_the_batch_losses(regression, make_model):
    x, y = regression
    model = make_model()
    seen = []
    spy = dc.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0,
                        callbacks=[spy])
    # Running means after each batch: batch losses weighted by batch sizes 16, 16, 8.
    batch_losses = [seen[0], (seen[1] * 32 - seen[0] * 16) / 16, (seen[2] * 40 - seen[1] * 32) / 8]
    assert history.history["loss"][0] == pytest.approx(seen[-1])
    assert seen[-1] == pytest.approx((16 * batch_losses[0] + 16 * batch_losses[1]
                                      + 8 * batch_losses[2]) / 40)


@pytest.mark.parametrize("form", ["nested lists", "Dataset", "list of batches", "generator",
                                  "float64 arrays", "y of shape (n,)"])
def test_every_data_form_trains_exactly_like_float32_arrays(form, regression, make_model,
                                                            same_weights):
    x, y = regression
    reference = make_model()
    reference.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = make_model()
    batches = [(x[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10)]
    arguments = {
        "nested lists": {"x": x.tolist(), "y": y.tolist()},
        "Dataset": {"x": dc.data.Dataset(x, y)},
        "list of batches": {"x": batches},
        "generator": {"x": (batch for batch in batches)},
        "float64 arrays": {"x": x.astype(np.float64), "y": y.astype(np.float64)},
        "y of shape (n,)": {"x": x, "y": y[:, 0]},
    }[form]
    history = model.fit(**arguments, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert same_weights(model.get_weights(), reference.get_weights())
    assert history.history["loss"] == reference.history.history["loss"]


def test_a_list_of_batches_serves_every_epoch_and_batches_may_carry_weights(regression,
                                                                           make_model):
    x, y = regression
    model = make_model()
    weights = np.linspace(0.5, 2.0, 20).astype(np.float32)
    history = model.fit([(x[:20], y[:20], weights), (x[20:], y[20:], weights)], epochs=3,
                        verbose=0)
    assert len(history.history["loss"]) == 3
    looped = make_model()
    _custom_loop(looped, [(x[:20], y[:20]), (x[20:], y[20:])] * 3, weights=[weights] * 6)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), looped.get_weights()))


def test_validation_split_holds_out_the_last_rows_before_shuffling(regression, make_model,
                                                                   same_weights):
    x, y = regression
    split, head_only = make_model(metrics=["mae"]), make_model(metrics=["mae"])
    history = split.fit(x, y, validation_split=0.2, batch_size=8, epochs=2, verbose=0, seed=3)
    head_only.fit(x[:32], y[:32], batch_size=8, epochs=2, verbose=0, seed=3)
    assert same_weights(split.get_weights(), head_only.get_weights())  # trained on rows 0..31
    held_out = split.evaluate(x[32:], y[32:])
    assert history.history["val_loss"][-1] == pytest.approx(held_out["loss"], rel=1e-6)
    assert history.history["val_mae"][-1] == pytest.approx(held_out["mae"], rel=1e-6)


def test_validation_data_wins_over_validation_split_and_takes_weights(regression, make_model):
    x, y = regression
    model = make_model()
    weights = np.r_[np.zeros(5), np.ones(5)].astype(np.float32)
    history = model.fit(x, y, validation_split=0.5, validation_data=(x[:10], y[:10], weights),
                        epochs=1, verbose=0)
    expected = model.evaluate(x[5:10], y[5:10])["loss"] * 5 / 10  # zero weight on rows 0..4
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, y, validation_data=dc.data.Dataset(x[:10], y[:10]), epochs=1,
                        verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[:10], y[:10])["loss"], rel=1e-6)


def test_sample_weight_scales_each_sample_loss_as_the_formula_says(regression, make_model,
                                                                   same_weights):
    x, y = regression
    weights = np.random.default_rng(1).uniform(0, 3, size=40).astype(np.float32)
    model = make_model()
    before = model.predict(x).astype(np.float64)
    history = model.fit(x, y, sample_weight=weights, batch_size=40, shuffle=False, verbose=0)
    expected = np.mean(weights * ((before - y) ** 2)[:, 0])  # mean_i(w_i * loss_i)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    looped = make_model()
    _custom_loop(looped, [(x, y)], weights=[weights])
    assert same_weights(model.get_weights(), looped.get_weights())
    unweighted = make_model()
    unweighted.fit(x, y, batch_size=40, shuffle=False, verbose=0)
    assert not same_weights(model.get_weights(), unweighted.get_weights())


def test_class_weight_equals_the_matching_sample_weights(regression, make_model, same_weights):
    x, _ = regression
    labels = (x[:, :1] > 0).astype(np.float32)
    by_class, by_sample = make_model(), make_model()
    h1 = by_class.fit(x, labels, class_weight={0: 1.0, 1: 3.0}, batch_size=8, verbose=0,
                      seed=0)
    h2 = by_sample.fit(x, labels, sample_weight=np.where(labels[:, 0] > 0, 3.0, 1.0),
                       batch_size=8, verbose=0, seed=0)
    assert h1.history == h2.history
    assert same_weights(by_class.get_weights(), by_sample.get_weights())


def test_class_weight_reads_integer_labels_and_one_hot_rows():
    from descend.train.adapter import class_weights_to_samples

    labels = np.array([0, 2, 1, 2])
    expected = [1.0, 5.0, 2.0, 5.0]
    assert class_weights_to_samples(labels, {0: 1, 1: 2, 2: 5}).tolist() == expected
    assert class_weights_to_samples(np.eye(3)[labels], {0: 1, 1: 2, 2: 5}).tolist() == expected


def test_integer_labels_with_sparse_categorical_crossentropy_and_accuracy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)  # classes 0, 1, 2
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(3, activation="softmax", input_dim=4)])
    model.compile(dc.optim.Adam(lr=0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=30, batch_size=20, verbose=0, seed=0)
    assert history.history["accuracy"][-1] > 0.8
    scores = model.evaluate(x, labels)
    assert scores["accuracy"] == pytest.approx(
        dc.metrics.sparse_categorical_accuracy(labels, model.predict(x)))
    probabilities = model.predict(x).astype(np.float64)
    expected_loss = -np.mean(np.log(np.clip(probabilities[np.arange(60), labels], 1e-7, 1)))
    assert scores["loss"] == pytest.approx(expected_loss, rel=1e-5)


@pytest.mark.parametrize(("loss", "y_shape", "pred_shape", "expected"), [
    ("sparse_categorical_crossentropy", (8,), (8, 3), dc.metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (8, 3), (8, 3), dc.metrics.CategoricalAccuracy),
    ("binary_crossentropy", (8, 1), (8, 1), dc.metrics.BinaryAccuracy),
    ("mse", (8, 1), (8, 1), dc.metrics.BinaryAccuracy),
    ("mse", (8, 3), (8, 3), dc.metrics.CategoricalAccuracy),
])
def test_accuracy_resolves_to_the_variant_the_loss_and_shapes_imply(loss, y_shape, pred_shape,
                                                                    expected):
    from descend.train.compiled import Compiled

    compiled = Compiled.resolve("sgd", loss, ["accuracy", "acc"])
    made = compiled.make_metrics(y_shape, pred_shape)
    assert [type(m) for m in made] == [expected, expected]
    assert [m.name for m in made] == ["accuracy", "acc"]


def test_binary_crossentropy_from_logits_uses_threshold_zero():
    from descend.train.compiled import Compiled

    compiled = Compiled.resolve("sgd", dc.losses.BinaryCrossentropy(from_logits=True),
                                ["accuracy"])
    assert compiled.make_metrics((4, 1), (4, 1))[0].threshold == 0.0


def test_evaluate_returns_the_loss_and_metrics_on_all_samples(regression, make_model):
    x, y = regression
    model = make_model(metrics=["mae"])
    predictions = model.predict(x).astype(np.float64)
    scores = model.evaluate(x, y, batch_size=7)
    assert set(scores) == {"loss", "mae"}
    assert scores["loss"] == pytest.approx(np.mean((predictions - y) ** 2), rel=1e-5)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(predictions - y)), rel=1e-5)
    weights = np.arange(40, dtype=np.float32)
    weighted = model.evaluate(x, y, sample_weight=weights)
    assert weighted["loss"] == pytest.approx(
        np.mean(weights * (predictions - y)[:, 0] ** 2), rel=1e-5)
    assert model.evaluate(dc.data.Dataset(x, y)) == pytest.approx(model.evaluate(x, y))


def test_evaluate_verbose_prints_the_scores(regression, make_model, capsys):
    model = make_model(metrics=["mae"])
    scores = model.evaluate(*regression, verbose=1)
    assert capsys.readouterr().out.strip() == (f"loss {scores['loss']:.4f} · "
                                               f"mae {scores['mae']:.4f}")


def test_the_logged_loss_includes_the_regularization_penalty(regression):
    x, y = regression
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=3, kernel_regularizer=dc.nn.regularizers.L2(
        0.5))])
    model.compile(dc.optim.SGD(lr=0.01), "mse")
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    expected = np.mean((x @ kernel + bias - y) ** 2) + 0.5 * np.sum(kernel ** 2)
    history = model.fit(x, y, batch_size=40, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, y)["loss"] > dc.metrics.mse(y, model.predict(x))


def test_a_loss_object_with_sum_reduction_is_summed(regression, make_model):
    x, y = regression
    model = make_model()
    model.compile(dc.optim.SGD(lr=0.001), dc.losses.MeanSquaredError(reduction="sum"))
    predictions = model.predict(x).astype(np.float64)
    history = model.fit(x, y, batch_size=40, verbose=0)  # one batch: its loss is the sum
    assert history.history["loss"][0] == pytest.approx(np.sum((predictions - y) ** 2), rel=1e-5)


def test_predict_builds_no_graph_and_runs_in_eval_mode(regression, make_model, monkeypatch):
    x, _ = regression
    model = make_model(dropout=0.5)
    recorded = []
    original = Function.apply.__func__

    def spy(cls, *inputs, **kwargs):
        out = original(cls, *inputs, **kwargs)
        recorded.append(out.grad_fn is not None)
        return out

    monkeypatch.setattr(Function, "apply", classmethod(spy))
    first, second = model.predict(x, batch_size=8), model.predict(x, batch_size=40)
    assert recorded and not any(recorded)
    assert isinstance(first, np.ndarray) and first.shape == (40, 1)
    np.testing.assert_array_equal(first, second)  # dropout off, batch size irrelevant
    assert all(m.training for m in model.modules())  # the mode comes back
    recorded.clear()
    model.train_on_batch(x, np.zeros((40, 1)))
    assert any(recorded)  # the spy does see graphs when there are some


def test_predict_accepts_a_dataset_and_batches(regression, make_model):
    x, y = regression
    model = make_model()
    expected = model.predict(x)
    np.testing.assert_array_equal(model.predict(dc.data.Dataset(x, y)), expected)
    np.testing.assert_array_equal(model.predict([(x[:32],), (x[32:],)]), expected)
    np.testing.assert_array_equal(model.predict(x.tolist()), expected)


def test_train_on_batch_steps_once_and_test_on_batch_does_not(regression, make_model):
    x, y = regression
    model = make_model(metrics=["mae"])
    before = model.get_weights()
    scores = model.test_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert scores == pytest.approx(model.evaluate(x, y))
    logs = model.train_on_batch(x, y)
    assert logs == pytest.approx(scores)  # computed from the predictions before the step
    assert model.test_on_batch(x, y)["loss"] < scores["loss"]


def test_the_custom_loop_still_works_on_a_compiled_model(regression, make_model):
    x, y = regression
    model = make_model()
    model.fit(x, y, epochs=2, verbose=0)
    losses = []
    for _ in range(5):
        loss = dc.losses.mse(y, model(dc.tensor(x)))
        model.optimizer.zero_grad()
        loss.backward()
        model.optimizer.step()
        losses.append(loss.item())
    assert losses == sorted(losses, reverse=True)


def test_a_custom_model_subclass_trains(regression):
    x, y = regression

    class TwoHeads(dc.Model):
        def __init__(self):
            super().__init__()
            self.a = dc.nn.Dense(4, activation="relu", input_dim=3)
            self.b = dc.nn.Dense(4, activation="tanh", input_dim=3)
            self.out = dc.nn.Dense(1, input_dim=8)

        def forward(self, inputs):
            return self.out(dc.concat([self.a(inputs), self.b(inputs)], axis=1))

    dc.seed(0)
    model = TwoHeads()
    model.compile(dc.optim.Adam(lr=0.02), "mse")
    history = model.fit(x, y[:, 0], epochs=30, batch_size=8, verbose=0, seed=0)  # y (n,)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert model.predict(x).shape == (40, 1) and model.output_shape == (None, 1)


def test_zero_epochs_and_initial_epoch_count_from_zero(regression, make_model):
    x, y = regression
    model = make_model()
    before = model.get_weights()
    assert model.fit(x, y, epochs=0, verbose=0).history == {}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4] and model.epochs_trained == 5


def test_summary_and_get_set_weights(make_model):
    model = make_model()
    text = model.summary(print_fn=None)
    assert "Total params: 41" in text and "Dense" in text
    weights = [w * 2 for w in model.get_weights()]
    model.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    weights[0][0, 0] = 123.0  # get_weights gives copies, set_weights copies in
    assert model.get_weights()[0][0, 0] != 123.0
    with pytest.raises(ValueError, match="set_weights: the model has 4 parameters, got 3 arrays"):
        model.set_weights(weights[:3])
    current = model.get_weights()
    with pytest.raises(ValueError, match=r"set_weights: shape \(8,\) does not fit a parameter of "
                                         r"shape \(1,\)"):
        model.set_weights([w + 1 for w in weights[:3]] + [weights[1]])
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), current))  # untouched


def test_a_metric_object_logs_like_its_name(regression, make_model):
    x, y = regression
    by_name, by_object = make_model(metrics=["mae"]), make_model()
    by_object.compile(dc.optim.SGD(lr=0.05), "mse", metrics=[dc.metrics.MeanAbsoluteError()])
    h1 = by_name.fit(x, y, epochs=3, validation_split=0.25, verbose=0, seed=0)
    h2 = by_object.fit(x, y, epochs=3, validation_split=0.25, verbose=0, seed=0)
    assert h1.history == h2.history and h1.history["mae"] != h1.history["val_mae"]
