"""Callbacks in fit: stopping, checkpoints, learning-rate changes, logs and the progress display.

Monitor-driven callbacks are tested against a scripted "score" (a callback earlier in the list
writes it into the epoch logs), so the epochs where they must act are known exactly.
"""

from __future__ import annotations

import csv
import re
import sys
import warnings

import numpy as np
import pytest

import descend as dc


class Scripted(dc.callbacks.Callback):
    """Writes ``logs["score"] = values[epoch]`` and records the weights at each epoch's end."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = values, []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _fit(model, data, callbacks, epochs, **kwargs):
    return model.fit(*data, epochs=epochs, batch_size=10, verbose=0, callbacks=callbacks,
                     **kwargs)


def test_early_stopping_counts_patience_and_min_delta_and_restores_the_best(
        regression, make_model, same_weights):
    script = Scripted([5.0, 4.0, 3.0, 3.5, 2.995, 4.0, 1.0, 1.0])
    stop = dc.callbacks.EarlyStopping(monitor="score", min_delta=0.01, patience=3,
                                      restore_best_weights=True)
    model = make_model()
    history = _fit(model, regression, [script, stop], epochs=8)
    # epoch 2 is the best; 3 is worse, 4 better by less than min_delta, 5 worse: 3 in a row.
    assert stop.best_epoch == 2 and stop.stopped_epoch == 5 and stop.best == 3.0
    assert len(history.history["loss"]) == 6
    assert same_weights(model.get_weights(), script.weights[2])
    assert not same_weights(script.weights[5], script.weights[2])


def test_early_stopping_mode_max_without_restoring(regression, make_model, same_weights):
    script = Scripted([0.1, 0.5, 0.4, 0.6, 0.6, 0.6])
    stop = dc.callbacks.EarlyStopping(monitor="score", mode="max", patience=2)
    model = make_model()
    history = _fit(model, regression, [script, stop], epochs=6)
    assert (stop.best_epoch, stop.stopped_epoch, len(history.epoch)) == (3, 5, 6)
    assert same_weights(model.get_weights(), script.weights[5])
    assert dc.callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"


def test_early_stopping_on_val_loss_restores_the_weights_of_the_best_epoch(
        regression, make_model, same_weights):
    x, y = regression
    recorder = Scripted([0.0] * 100)
    stop = dc.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model = make_model(lr=0.3)  # large steps: the validation loss soon goes up and down
    history = model.fit(x, y * 3, validation_split=0.25, epochs=100, batch_size=4, verbose=0,
                        callbacks=[recorder, stop], seed=0)
    val = history.history["val_loss"]
    assert stop.stopped_epoch is not None and len(val) < 100
    assert stop.best_epoch == int(np.argmin(val))
    assert len(val) == stop.best_epoch + 3
    assert same_weights(model.get_weights(), recorder.weights[stop.best_epoch])
    assert model.evaluate(x[30:], y[30:] * 3)["loss"] == pytest.approx(min(val), rel=1e-6)


def test_a_missing_monitor_warns_and_lists_what_is_logged(regression, make_model):
    stop = dc.callbacks.EarlyStopping()  # val_loss, but there is no validation data
    with pytest.warns(RuntimeWarning, match=r"EarlyStopping: 'val_loss' is not in the logs "
                                            r"\(available: loss, lr\); did you forget"):
        history = _fit(make_model(), regression, [stop], epochs=2)
    assert len(history.epoch) == 2


def test_model_checkpoint_save_best_only_writes_on_improvement(tmp_path, regression,
                                                               make_model, same_weights):
    script = Scripted([3.0, 2.0, 2.5, 1.0, 1.5])
    path = tmp_path / "ckpt-{epoch:02d}-{score:.1f}.safetensors"
    checkpoint = dc.callbacks.ModelCheckpoint(path, monitor="score", save_best_only=True)
    _fit(make_model(), regression, [script, checkpoint], epochs=5)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt-01-3.0.safetensors", "ckpt-02-2.0.safetensors",
                     "ckpt-04-1.0.safetensors"]
    best = dc.load(tmp_path / names[-1])
    assert same_weights(best.get_weights(), script.weights[3])
    assert best.epochs_trained == 4
    assert checkpoint.last_saved == str(tmp_path / names[-1])


def test_model_checkpoint_names_a_value_missing_from_the_logs(tmp_path, regression,
                                                               make_model):
    model = make_model(metrics=["mae"])
    checkpoint = dc.callbacks.ModelCheckpoint(tmp_path / "m-{epoch}-{val_mae:.2f}.safetensors")
    with pytest.raises(ValueError, match=r"ModelCheckpoint: the file name '.*m-\{epoch\}-"
                                         r"\{val_mae:.2f\}.safetensors' uses val_mae, which is "
                                         r"not in the logs; available: epoch, loss, mae, lr"):
        _fit(model, regression, [checkpoint], epochs=2)
    _fit(model, regression, [checkpoint], epochs=1, validation_split=0.25)
    assert len(list(tmp_path.glob("m-1-*.safetensors"))) == 1


def test_model_checkpoint_overwrites_one_file_every_epoch(tmp_path, regression, make_model,
                                                          same_weights):
    model = make_model()
    path = tmp_path / "last.safetensors"
    _fit(model, regression, [dc.callbacks.ModelCheckpoint(path)], epochs=3)
    assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]
    assert same_weights(dc.load(path).get_weights(), model.get_weights())


def test_reduce_lr_on_plateau_lowers_the_logged_lr_after_patience(regression, make_model):
    script = Scripted([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.2, 0.3])
    reduce = dc.callbacks.ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, cooldown=1,
                                            min_lr=0.03)
    model = make_model(lr=0.08)
    history = _fit(model, regression, [script, reduce], epochs=10)
    # No improvement from epoch 2: cut after epoch 3; epoch 4 is the cooldown (its wait starts
    # again at 0, then counts it, as Keras does), so the next cut is after epoch 5, to min_lr.
    assert history.history["lr"] == [0.08] * 4 + [0.04] * 2 + [0.03] * 4
    assert model.optimizer.lr == 0.03


def test_learning_rate_scheduler_with_a_function_of_the_epoch(regression, make_model):
    model = make_model()
    history = _fit(model, regression, [dc.callbacks.LearningRateScheduler(
        lambda epoch: 0.1 / (epoch + 1))], epochs=4)
    assert history.history["lr"] == [0.1, 0.05, 0.1 / 3, 0.025]
    history = _fit(model, regression, [dc.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr * 0.5)], epochs=3)
    assert history.history["lr"] == [0.0125, 0.00625, 0.003125]


def test_learning_rate_scheduler_with_a_schedule_object(regression, make_model):
    model = make_model(lr=0.4)
    schedule = dc.optim.schedules.StepLR(model.optimizer, step_size=2, gamma=0.5)
    history = _fit(model, regression, [dc.callbacks.LearningRateScheduler(schedule)], epochs=6)
    assert history.history["lr"] == [0.4, 0.4, 0.2, 0.2, 0.1, 0.1]


def test_the_lr_used_is_the_lr_logged(regression, make_model, same_weights):
    scheduled, fixed = make_model(), make_model(lr=0.2)
    _fit(scheduled, regression, [dc.callbacks.LearningRateScheduler(lambda epoch: 0.2)],
         epochs=2, shuffle=False)
    _fit(fixed, regression, [], epochs=2, shuffle=False)
    assert same_weights(scheduled.get_weights(), fixed.get_weights())


def test_learning_rate_scheduler_refuses_bad_schedules(regression, make_model):
    model, other = make_model(), make_model()
    foreign = dc.optim.schedules.StepLR(other.optimizer, step_size=1)
    with pytest.raises(ValueError, match="LearningRateScheduler: the schedule was made for "
                                         "another optimizer"):
        _fit(model, regression, [dc.callbacks.LearningRateScheduler(foreign)], epochs=1)
    with pytest.raises(ValueError, match=r"LearningRateScheduler: the schedule returned -1 for "
                                         r"epoch 0; expected a non-negative number"):
        _fit(model, regression, [dc.callbacks.LearningRateScheduler(lambda e: -1)], epochs=1)
    with pytest.raises(TypeError, match="LearningRateScheduler: schedule must be a function"):
        dc.callbacks.LearningRateScheduler(0.1)


def test_csv_logger_writes_one_row_per_epoch(tmp_path, regression, make_model):
    path = tmp_path / "log.csv"
    model = make_model(metrics=["mae"])
    history = _fit(model, regression, [dc.callbacks.CSVLogger(path)], epochs=3,
                   validation_split=0.25)
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae", "lr"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for column, key in enumerate(rows[0][1:], start=1):
        assert [float(r[column]) for r in rows[1:]] == history.history[key]
    _fit(model, regression, [dc.callbacks.CSVLogger(path, append=True)], epochs=5,
         initial_epoch=3, validation_split=0.25)
    rows = list(csv.reader(path.read_text().splitlines()))
    assert len(rows) == 6 and rows[0][0] == "epoch" and [r[0] for r in rows[4:]] == ["3", "4"]


def test_lambda_callback_hooks_are_called_in_order(regression, make_model):
    calls = []
    spy = dc.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_batch_end=lambda batch, logs: calls.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"))
    model = make_model()
    model.fit(*regression, batch_size=20, epochs=2, verbose=0, callbacks=[spy])
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    assert calls == ["train_begin", "epoch_begin 0", *epoch, "epoch_end 0 ['loss', 'lr']",
                     "epoch_begin 1", *epoch, "epoch_end 1 ['loss', 'lr']", "train_end"]
    assert spy.params == {"epochs": 2, "steps": 2, "verbose": 0, "batch_size": 20,
                          "metrics": ["loss", "lr"]}
    assert spy.model is model
    with pytest.raises(TypeError, match="LambdaCallback: on_epoch_end must be callable"):
        dc.callbacks.LambdaCallback(on_epoch_end=3)


def test_setting_stop_training_in_a_callback_ends_after_that_batch(regression, make_model):
    batches = []

    def stop_at_third(batch, logs):
        batches.append(batch)
        if len(batches) == 3:
            model.stop_training = True

    model = make_model()
    history = model.fit(*regression, batch_size=5, epochs=4, verbose=0,
                        callbacks=[dc.callbacks.LambdaCallback(on_batch_end=stop_at_third)])
    assert batches == [0, 1, 2]
    assert len(history.epoch) == 1 and model.epochs_trained == 1


def test_gradient_norm_logger_logs_the_last_batch_norms(regression, make_model):
    model = make_model()
    logger = dc.callbacks.GradientNormLogger()
    history = _fit(model, regression, [logger], epochs=2)
    names = [name for name, _ in model.named_parameters()]
    assert [f"grad_norm/{n}" for n in names] == [k for k in history.history if "grad" in k]
    assert len(logger.norms) == 2
    for name, param in model.named_parameters():  # the grads of the last step are still there
        assert logger.norms[-1][name] == pytest.approx(np.linalg.norm(param.grad.numpy()))
        assert history.history[f"grad_norm/{name}"][-1] == logger.norms[-1][name]


def _gradient_warnings(model, data) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit(model, data, [dc.callbacks.GradientNormLogger()], epochs=1)
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_gradient_norm_logger_warns_of_vanishing_gradients_in_a_deep_sigmoid_net(regression):
    dc.seed(0)
    small = dc.nn.initializers.RandomNormal(stddev=0.1)
    layers = [dc.nn.Dense(8, activation="sigmoid", input_dim=3, kernel_initializer=small)]
    layers += [dc.nn.Dense(8, activation="sigmoid", kernel_initializer=small) for _ in range(7)]
    model = dc.Sequential([*layers, dc.nn.Dense(1)])
    model.compile("sgd", "mse")
    messages = _gradient_warnings(model, regression)
    assert any(re.fullmatch(r"GradientNormLogger: the gradient of '0.kernel' is vanishing "
                            r"\(norm .* at epoch 1, below 1e-06\); earlier layers barely learn.*",
                            m) for m in messages), messages
    assert not any("'8.kernel'" in m for m in messages)  # the last layer still learns
    assert not any("exploding" in m for m in messages)


def test_gradient_norm_logger_warns_of_exploding_gradients(regression):
    x, y = regression
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
    model.compile(dc.optim.SGD(lr=1e-12), "mse")
    messages = _gradient_warnings(model, (x * 1e3, y * 1e3))
    assert any(re.fullmatch(r"GradientNormLogger: the gradient of '0.kernel' is exploding "
                            r"\(norm .* at epoch 1, above 1000\); try a smaller learning rate.*",
                            m) for m in messages), messages
    assert not any("vanishing" in m for m in messages)


def test_tensorboard_writes_event_files(tmp_path, regression, make_model):
    pytest.importorskip("tensorboardX")
    _fit(make_model(), regression, [dc.callbacks.TensorBoard(tmp_path / "logs")], epochs=2)
    files = list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert len(files) == 1
    content = files[0].read_bytes()
    assert b"loss" in content and b"lr" in content


def test_tensorboard_without_tensorboardx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # makes the import fail
    with pytest.raises(ImportError, match=r'TensorBoard needs the tensorboardX package: pip '
                                          r'install "descend\[tensorboard\]"'):
        dc.callbacks.TensorBoard("logs")


def test_verbose_1_shows_a_bar_per_epoch_with_running_loss_and_rate(regression, make_model,
                                                                    capsys):
    make_model().fit(*regression, batch_size=10, epochs=2, verbose=1)
    out = capsys.readouterr().out
    for epoch in (1, 2):
        assert re.search(rf"Epoch {epoch}/2: 100%.*4/4 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+(batch/s|"
                         rf"s/batch), loss \d+\.\d{{4}}", out), out
    assert "lr 0.05" in out


def test_verbose_1_without_tqdm_prints_a_plain_running_line(regression, make_model, capsys,
                                                            monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    make_model().fit(*regression, batch_size=10, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert re.search(r"\rEpoch 1/1 \[4/4\] loss \d+\.\d{4}", out)
    assert re.search(r"\rEpoch 1/1 · \d+\.\d\ds · loss \d+\.\d{4} · lr 0.05\n$", out)


def test_verbose_2_prints_one_line_per_epoch(regression, make_model, capsys):
    make_model(metrics=["mae"]).fit(*regression, epochs=3, verbose=2, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"Epoch {epoch}/3 · \d+\.\d\ds · loss \d+\.\d{{4}} · mae \d+\.\d{{4}}"
                            r" · val_loss \d+\.\d{4} · val_mae \d+\.\d{4} · lr 0.05", line), line


def test_verbose_0_is_silent_and_display_never_changes_results(regression, make_model, capsys,
                                                               same_weights):
    quiet = make_model()
    quiet.fit(*regression, epochs=2, verbose=0, seed=0)
    assert capsys.readouterr() == ("", "")
    for verbose in (1, 2):
        shown = make_model()
        shown.fit(*regression, epochs=2, verbose=verbose, seed=0)
        assert same_weights(shown.get_weights(), quiet.get_weights())


def test_callbacks_only_listening_to_epochs_are_not_called_per_batch():
    from descend.train.callbacks import CallbackList

    history, stopper = dc.callbacks.History(), dc.callbacks.TerminateOnNaN()
    both = CallbackList([history, stopper])
    assert both.listens("on_epoch_end") and both.listens("on_batch_end")
    assert not CallbackList([history]).listens("on_batch_end")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both.on_batch_begin(0, {})  # nobody listens: nothing runs


def test_dc_callbacks_exports_every_callback_class():
    from descend.lab import recorder
    from descend.serve import dashboard
    from descend.train import callbacks, loggers, progress
    from descend.viz import live

    defined = {name for module in (callbacks, loggers, progress, recorder, live, dashboard)
               for name, value in vars(module).items() if isinstance(value, type)
               and issubclass(value, dc.callbacks.Callback) and not name.startswith("_")}
    assert defined == set(dc.callbacks.__all__)
    assert all(getattr(dc.callbacks, name) is not None for name in defined)
