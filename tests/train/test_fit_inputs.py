"""fit's inputs that used to fail late or obscurely: one callback, a custom loss that returns
no Tensor, binary cross-entropy targets outside [0, 1], a generator's bad third batch."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.train.adapter import BatchSource

X = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
Y = (X @ np.array([[1.0], [-1.0]], np.float32)).astype(np.float32)


def _model(loss="mse", activation=None) -> dc.Sequential:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, activation=activation, input_dim=2)])
    model.compile(dc.optim.SGD(lr=0.1), loss)
    return model


def _unchanged(model: dc.Sequential, before: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before, strict=True))


def test_one_callback_is_accepted_as_well_as_a_list():
    seen = []
    one = dc.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=one)
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=(one,))
    assert seen == [0, 1, 0, 1]
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=dc.callbacks.TerminateOnNaN())


@pytest.mark.parametrize(("callbacks", "says"), [
    ("stop", r"fit: callbacks must be a callback or a list of callbacks, got a str"),
    (dc.callbacks.TerminateOnNaN, r"got the class TerminateOnNaN \(make one: TerminateOnNaN\(\)\)"),
    ([print], r"fit: callbacks\[0\] is a builtin_function_or_method, not a callback; wrap a "
              r"function as dc.callbacks.LambdaCallback\(on_epoch_end=f\)"),
    ([dc.callbacks.TerminateOnNaN(), dc.callbacks.EarlyStopping],
     r"fit: callbacks\[1\] is the class EarlyStopping \(make one: EarlyStopping\(\)\)"),
])
def test_anything_else_as_callbacks_is_a_clear_error_before_training(callbacks, says):
    model = _model()
    before = model.get_weights()
    with pytest.raises(TypeError, match=says):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=callbacks)
    assert _unchanged(model, before)


def float_loss(y_true, y_pred):
    return 0.5


def numpy_loss(y_true, y_pred):
    return dc.tensor(float(np.mean((y_pred.numpy() - y_true) ** 2)))


def numpy_loss_per_sample(y_true, y_pred, reduction="mean"):
    return dc.tensor(((y_pred.numpy() - y_true) ** 2).mean(axis=1))


@pytest.mark.parametrize(("loss", "error", "says", "weights"), [
    (float_loss, TypeError, "the loss float_loss returned float, not a Tensor", None),
    (numpy_loss, ValueError, "the loss numpy_loss returned a Tensor that is not computed from "
                             r"y_pred \(it was built from NumPy values or constants\)", None),
    (numpy_loss_per_sample, ValueError, "the loss numpy_loss_per_sample returned a Tensor that "
                                        r"is not computed from y_pred \(it was built from NumPy "
                                        r"values or constants\)", np.ones(12)),
])
def test_a_custom_loss_that_returns_no_tensor_of_y_pred_is_named(loss, error, says, weights):
    model = _model(loss)
    before = model.get_weights()
    with pytest.raises(error, match=rf"^{says}; a loss must return a Tensor computed from y_pred "
                                    r"with descend operations"):
        model.fit(X, Y, epochs=1, verbose=0, sample_weight=weights)
    assert _unchanged(model, before)


@pytest.mark.parametrize("loss", ["binary_crossentropy", dc.losses.BinaryCrossentropy(),
                                  dc.losses.BinaryCrossentropy(from_logits=True)])
@pytest.mark.parametrize("bad", [2.0, -1.0, 1.5])
def test_binary_crossentropy_refuses_targets_outside_0_1(loss, bad):
    model = _model(loss, activation=None if getattr(loss, "options", {}).get("from_logits")
                   else "sigmoid")
    before = model.get_weights()
    y = np.zeros((12, 1), np.float32)
    y[5] = bad
    with pytest.raises(ValueError, match=r"binary_crossentropy: y_true must hold probabilities "
                                         rf"in \[0, 1\] \(0/1 labels or soft labels\), got {bad}"):
        model.fit(X, y, epochs=1, verbose=0)
    assert _unchanged(model, before)


def test_binary_crossentropy_accepts_soft_labels_and_says_which_value_is_bad():
    prediction = dc.tensor([0.5, 0.5, 0.5])
    assert dc.losses.bce([0.0, 0.3, 1.0], prediction).item() > 0
    with pytest.raises(ValueError, match=r"got 2.0; for class labels 0..k-1 use "
                                         r"sparse_categorical_crossentropy"):
        dc.losses.bce([0.0, 2.0, 1.0], prediction)


def _batches(third_x_width: int = 2, third_y_width: int = 1):
    yield X[:4], Y[:4]
    yield X[4:8], Y[4:8]
    yield np.ones((4, third_x_width), np.float32), np.ones((4, third_y_width), np.float32)
    yield X[8:], Y[8:]


@pytest.mark.parametrize(("widths", "says"), [
    ((3, 1), r"fit: batch 2 has x of shape \(4, 3\) but the first batch's x has shape \(4, 2\)"),
    ((2, 2), r"fit: batch 2 has y of shape \(4, 2\) but the first batch's y has shape \(4, 1\)"),
])
def test_a_generators_bad_third_batch_changes_no_weight(widths, says):
    model = _model()
    with pytest.raises(ValueError, match=says + "; every batch needs the same shape past the "
                                                r"batch axis \(it was checked before its step, "
                                                r"so it changed no weight\)"):
        model.fit(_batches(*widths), epochs=1, verbose=0)
    two_good = _model()
    two_good.fit(iter([(X[:4], Y[:4]), (X[4:8], Y[4:8])]), epochs=1, verbose=0, shuffle=False)
    assert _unchanged(model, two_good.get_weights())  # the good batches trained, no more


def test_a_list_of_batches_is_checked_whole_before_any_step():
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"fit: batch 2 has x of shape \(4, 3\)"):
        model.fit(list(_batches(3, 1)), epochs=1, verbose=0)
    assert _unchanged(model, before)
    with pytest.raises(ValueError, match=r"fit: batch 1 is \(x,\) but the first batch is "
                                         r"\(x, y\); every batch needs the same parts"):
        model.fit([(X[:4], Y[:4]), (X[4:8],)], epochs=1, verbose=0)


def test_the_docs_say_what_a_generator_can_and_cannot_promise():
    doc = BatchSource.__doc__
    assert "What a generator can and cannot promise" in doc
    assert "the good batches before it have trained" in doc
