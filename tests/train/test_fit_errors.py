"""Bad input to fit/evaluate/predict/compile fails at once, clearly, and before any training.

Every case asserts the message text and that nothing happened: the weights are bit-for-bit
unchanged, the optimizer took no step and no callback was called.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import descend as dc


def _nan_at(array: np.ndarray, row: int) -> np.ndarray:
    out = array.copy()
    out[row, 0] = np.nan
    return out


def _batches(x, y):
    return (batch for batch in [(x[:20], y[:20]), (x[20:], y[20:])])


FIT_CASES = {
    "x and y lengths differ": (lambda x, y: {"x": x, "y": y[:30]}, ValueError,
                               "fit: x has 40 samples but y has 30"),
    "NaN in x": (lambda x, y: {"x": _nan_at(x, 5), "y": y}, ValueError,
                 r"fit: x has 1 NaN/inf value\(s\); the first is in row 5"),
    "inf in y": (lambda x, y: {"x": x, "y": np.where(np.arange(40)[:, None] == 7, np.inf, y)},
                 ValueError, r"fit: y has 1 NaN/inf value\(s\); the first is in row 7"),
    "NaN in validation x": (lambda x, y: {"x": x, "y": y, "validation_data": (_nan_at(x, 2), y)},
                            ValueError, r"fit \(validation_data\): x has 1 NaN/inf"),
    "inf in validation y": (lambda x, y: {"x": x, "y": y, "validation_data": (x, y * np.inf)},
                            ValueError, r"fit \(validation_data\): y has 40 NaN/inf"),
    "NaN in a list of batches": (lambda x, y: {"x": [(x[:20], y[:20]), (_nan_at(x[20:], 3),
                                                                          y[20:])]},
                                 ValueError, r"fit: batch 1: x has 1 NaN/inf value\(s\)"),
    "empty dataset": (lambda x, y: {"x": x[:0], "y": y[:0]}, ValueError,
                      r"fit: x is empty \(shape \(0, 3\)\)"),
    "empty list of batches": (lambda x, y: {"x": []}, ValueError,
                              "fit: x is empty|iterable of batches is empty"),
    "batch_size 0": (lambda x, y: {"x": x, "y": y, "batch_size": 0}, ValueError,
                     "fit: batch_size must be a positive integer .*got 0"),
    "batch_size negative": (lambda x, y: {"x": x, "y": y, "batch_size": -4}, ValueError,
                            "fit: batch_size must be a positive integer .*got -4"),
    "batch_size not an int": (lambda x, y: {"x": x, "y": y, "batch_size": 2.5}, ValueError,
                              "fit: batch_size must be a positive integer .*got 2.5"),
    "validation_split 1": (lambda x, y: {"x": x, "y": y, "validation_split": 1.0}, ValueError,
                           r"fit: validation_split must be a fraction in \[0, 1\), got 1.0"),
    "validation_split negative": (lambda x, y: {"x": x, "y": y, "validation_split": -0.1},
                                  ValueError, r"validation_split must be .*, got -0.1"),
    "validation_split a string": (lambda x, y: {"x": x, "y": y, "validation_split": "0.2"},
                                  ValueError, r"validation_split must be a fraction .*'0.2'"),
    "validation_split leaves nothing": (lambda x, y: {"x": x, "y": y, "validation_split": 0.99},
                                        ValueError, "fit: validation_split=0.99 of 40 samples "
                                                    "leaves 0 for training and 40 for validation"),
    "epochs negative": (lambda x, y: {"x": x, "y": y, "epochs": -1}, ValueError,
                        "fit: epochs must be a non-negative integer, got -1"),
    "epochs not an int": (lambda x, y: {"x": x, "y": y, "epochs": 2.0}, ValueError,
                          "fit: epochs must be a non-negative integer, got 2.0"),
    "initial_epoch after epochs": (lambda x, y: {"x": x, "y": y, "epochs": 3, "initial_epoch": 5},
                                   ValueError, r"fit: initial_epoch \(5\) is after epochs \(3\)"),
    "sample_weight wrong length": (lambda x, y: {"x": x, "y": y, "sample_weight": np.ones(39)},
                                   ValueError, "fit: x has 40 samples but sample_weight has 39"),
    "sample_weight negative": (lambda x, y: {"x": x, "y": y, "sample_weight": -np.ones(40)},
                               ValueError, "fit: sample_weight must be non-negative; row 0"),
    "sample_weight 2-D": (lambda x, y: {"x": x, "y": y, "sample_weight": np.ones((40, 2))},
                          ValueError, r"fit: sample_weight must be 1-D, .* shape \(40, 2\)"),
    "class_weight missing a class": (
        lambda x, y: {"x": x, "y": (y > 0).astype(np.float32), "class_weight": {0: 1.0}},
        ValueError, r"fit: class_weight has no weight for class\(es\) \[1\]"),
    "class_weight negative": (
        lambda x, y: {"x": x, "y": (y > 0).astype(np.float32), "class_weight": {0: 1, 1: -2}},
        ValueError, r"fit: class_weight\[1\] must be a non-negative number, got -2"),
    "class_weight not a dict": (lambda x, y: {"x": x, "y": y, "class_weight": [1.0, 2.0]},
                                ValueError, "fit: class_weight must be a non-empty dict"),
    "validation_data without y": (lambda x, y: {"x": x, "y": y, "validation_data": (x,)},
                                  ValueError, r"fit: validation_data must be \(x_val, y_val\)"),
    "validation_data an array": (lambda x, y: {"x": x, "y": y, "validation_data": x}, ValueError,
                                 r"fit: validation_data must be \(x_val, y_val\)"),
    "validation_data of 4 parts": (lambda x, y: {"x": x, "y": y, "validation_data": (x, y, y, y)},
                                   ValueError, r"validation_data must be \(x_val, y_val\)"),
    "validation_data y None": (lambda x, y: {"x": x, "y": y, "validation_data": (x, None)},
                               ValueError, r"validation_data needs targets"),
    "validation_data lengths differ": (
        lambda x, y: {"x": x, "y": y, "validation_data": (x[:5], y[:4])}, ValueError,
        r"fit \(validation_data\): x has 5 samples but y has 4"),
    "validation_data wrong features": (
        lambda x, y: {"x": x, "y": y, "validation_data": (np.ones((5, 4)), y[:5])}, ValueError,
        r"fit \(validation data\): Sequential expects inputs of shape \(None, 3\), got \(5, 4\)"),
    "verbose 3": (lambda x, y: {"x": x, "y": y, "verbose": 3}, ValueError,
                  r"fit: verbose must be 0 \(silent\), 1 \(progress bar\) or 2 .*got 3"),
    "verbose True": (lambda x, y: {"x": x, "y": y, "verbose": True}, ValueError,
                     "fit: verbose must be 0 .*got True"),
    "y missing": (lambda x, y: {"x": x}, ValueError, "fit: y is missing"),
    "no data at all": (lambda x, y: {}, ValueError, "fit: no data given"),
    "one-shot iterator, 2 epochs": (
        lambda x, y: {"x": _batches(x, y), "epochs": 2}, ValueError,
        "fit: x is an iterator, which can be read only once, but 2 epochs need 2 passes"),
    "y beside a list of batches": (lambda x, y: {"x": [(x, y)], "y": y}, ValueError,
                                   "fit: x is an iterable of batches, so y and sample_weight "
                                   "belong inside each batch"),
    "validation_split with batches": (lambda x, y: {"x": [(x, y)], "validation_split": 0.2},
                                      ValueError, "validation_split and class_weight need arrays"),
    "features do not fit the model": (
        lambda x, y: {"x": np.ones((40, 5)), "y": y}, ValueError,
        r"fit: Sequential expects inputs of shape \(None, 3\), got \(32, 5\)\. Dense: "),
    "targets do not fit the outputs": (
        lambda x, y: {"x": x, "y": np.ones((40, 3))}, ValueError,
        r"fit: the loss mse cannot compare targets of shape \(32, 3\) against outputs of shape "
        r"\(32, 1\)"),
    "x a string": (lambda x, y: {"x": "data.csv", "y": y}, TypeError,
                   "fit: x must be an array or a list of numbers, got str"),
    "x ragged": (lambda x, y: {"x": [[1.0, 2.0, 3.0], [1.0]], "y": [1.0, 2.0]}, ValueError,
                 r"fit: x must be rectangular"),
    "x of strings": (lambda x, y: {"x": np.array([["a", "b", "c"]] * 40), "y": y}, TypeError,
                     "fit: x must hold numbers, got an array of dtype <U1"),
    "shuffle not a bool": (lambda x, y: {"x": x, "y": y, "shuffle": "yes"}, TypeError,
                           "fit: shuffle must be True or False, got 'yes'"),
    "callbacks not callbacks": (lambda x, y: {"x": x, "y": y, "callbacks": [print]}, TypeError,
                                r"fit: callbacks\[0\] is a builtin_function_or_method, not a "
                                r"callback; wrap a function as dc.callbacks.LambdaCallback"),
    "seed negative": (lambda x, y: {"x": x, "y": y, "seed": -1}, ValueError,
                      "fit: seed must be a non-negative integer, got -1"),
}


class Recorder(dc.callbacks.Callback):
    """Records every hook called (there must be none when fit refuses its input)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append("epoch_begin")

    def on_batch_begin(self, batch, logs=None):
        self.calls.append("batch_begin")


@pytest.mark.parametrize("case", list(FIT_CASES), ids=list(FIT_CASES))
def test_bad_fit_input_fails_before_any_training(case, regression, make_model, same_weights):
    arguments, error, message = FIT_CASES[case]
    model = make_model(metrics=["mae"])
    before = model.get_weights()
    recorder = Recorder()
    kwargs = {"epochs": 1, "verbose": 0, **arguments(*regression)}
    kwargs["callbacks"] = [*kwargs.get("callbacks", []), recorder]
    if case == "callbacks not callbacks":
        kwargs["callbacks"] = [print]
    with pytest.raises(error, match=message):
        model.fit(**kwargs)
    assert same_weights(model.get_weights(), before)
    assert model.optimizer.state == {}
    assert recorder.calls == []


def test_at_least_twelve_bad_inputs_with_their_own_messages_are_covered():
    assert len({message for _, _, message in FIT_CASES.values()}) >= 12


def test_a_metric_that_cannot_score_the_targets_fails_before_training(regression, make_model,
                                                                       same_weights):
    x, y = regression
    model = make_model(metrics=["binary_accuracy"])  # targets are not 0/1 labels
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"fit: the metric binary_accuracy cannot score targets "
                                         r"of shape \(32, 1\) against outputs of shape \(32, 1\)"
                                         r"\. binary_accuracy: y_true must hold 0/1 labels"):
        model.fit(x, y, verbose=0)
    assert same_weights(model.get_weights(), before)


def test_fit_before_compile_says_to_compile(regression):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
    before = model.get_weights()
    with pytest.raises(RuntimeError, match=re.escape("fit: call model.compile(optimizer=..., "
                                                     "loss=...) first")):
        model.fit(*regression, verbose=0)
    for method in ("evaluate", "train_on_batch"):
        with pytest.raises(RuntimeError, match=f"{method}: call model.compile"):
            getattr(model, method)(*regression)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"optimizer": "sgdd", "loss": "mse"}, ValueError,
     r"compile: optimizer: unknown optimizer 'sgdd'\. Did you mean 'sgd'\? Valid "
     r"names: 'adadelta'"),
    ({"optimizer": 3, "loss": "mse"}, TypeError,
     "compile: optimizer must be a name such as 'sgd' or 'adam', or a dc.optim optimizer, got int"),
    ({"optimizer": "sgd", "loss": "msee"}, ValueError,
     r"compile: loss: unknown loss 'msee'\. Did you mean 'mse'"),
    ({"optimizer": "sgd"}, ValueError, "compile: give a loss, e.g. loss='mse'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["maee"]}, ValueError,
     r"compile: metrics: unknown metric 'maee'\. Did you mean 'mae'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": "mae"}, TypeError,
     r"compile: metrics must be a list, e.g. metrics=\['mae'\]"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["mae", "mae"]}, ValueError,
     r"compile: metrics: the name\(s\) \['mae'\] would clash in the logs"),
])
def test_compile_refuses_unknown_names(kwargs, error, message):
    model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
    with pytest.raises(error, match=message):
        model.compile(**kwargs)
    assert model.compiled is None


@pytest.mark.parametrize("method", ["predict", "evaluate"])
def test_wrong_feature_count_names_the_model_and_both_shapes(method, make_model):
    model = make_model()
    x = np.ones((2, 5), dtype=np.float32)
    args = (x,) if method == "predict" else (x, np.ones((2, 1)))
    with pytest.raises(ValueError, match=rf"{method}: Sequential expects inputs of shape "
                                         r"\(None, 3\), got \(2, 5\)\. Dense: expected input of "
                                         r"shape \(None, 3\)"):
        getattr(model, method)(*args)


@pytest.mark.parametrize(("call", "message"), [
    (lambda m, x, y: m.predict(x, batch_size=0), "predict: batch_size must be a positive"),
    (lambda m, x, y: m.evaluate(x, y, batch_size=-1), "evaluate: batch_size must be a positive"),
    (lambda m, x, y: m.evaluate(x), r"evaluate: y is missing"),
    (lambda m, x, y: m.evaluate(x, y, verbose=5), "evaluate: verbose must be 0"),
    (lambda m, x, y: m.predict(np.full((2, 3), np.nan)), r"predict: x has 6 NaN/inf"),
    (lambda m, x, y: m.train_on_batch(x, y[:3]), "train_on_batch: x has 40 samples but y has 3"),
    (lambda m, x, y: m.test_on_batch(x, None), r"test_on_batch: needs arrays x and y"),
    (lambda m, x, y: m.predict(iter([])), r"predict: the iterable of batches is empty"),
])
def test_evaluate_predict_and_batch_methods_check_their_input(call, message, regression,
                                                              make_model, same_weights):
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        call(model, *regression)
    assert same_weights(model.get_weights(), before)


def test_a_diverging_run_stops_with_terminate_on_nan_naming_epoch_and_batch(regression,
                                                                            make_model):
    x, y = regression
    model = make_model(lr=20.0)  # far too large: the loss overflows within a few epochs
    stopper = dc.callbacks.TerminateOnNaN()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        history = model.fit(x * 100, y * 100, epochs=50, batch_size=10, verbose=0,
                            callbacks=[stopper], shuffle=False)
    epochs_run = len(history.history["loss"])
    assert 1 <= epochs_run < 50
    assert not np.isfinite(history.history["loss"][-1])
    assert all(np.isfinite(history.history["loss"][:-1]))
    match = re.search(r"the loss became (nan|inf) at epoch (\d+), batch (\d+); training "
                      r"stopped", stopper.message)
    assert match is not None, stopper.message
    assert int(match.group(2)) == epochs_run
    assert 1 <= int(match.group(3)) <= 4
    assert any(stopper.message == str(w.message) for w in caught)
    assert "dc.detect_anomaly()" in stopper.message


def test_a_diverging_run_under_detect_anomaly_names_the_op(regression, make_model):
    x, y = regression
    model = make_model(lr=20.0)
    with pytest.raises(FloatingPointError, match=r"anomaly: the (forward value|gradient) of "
                                                 r"'\w+' is not finite"), \
            np.errstate(all="ignore"), dc.detect_anomaly():
        model.fit(x * 100, y * 100, epochs=50, batch_size=10, verbose=0, shuffle=False)
