"""Page 1's training: one Boston Housing model, trained in its own process, reporting every
epoch.

The recipe is :mod:`descend.demo.boston`'s (its data, models, learning rate and seeding), so
with the default settings a column's final numbers equal ``descend demo boston``'s. The page
may change the optimizer, learning rate, epochs, batch size, L2 strength, seed and whether the
features are z-scored.

>>> settings = parse_settings({"model": "linear", "epochs": "3"})
>>> settings["optimizer"], settings["lr"], settings["batch_size"], settings["normalize"]
('sgd', 0.01, 40, True)
>>> events = train(settings)
>>> [e["epoch"] for e in events if e["type"] == "epoch"], events[-1]["status"]
([1, 2, 3], 'done')
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from descend import backend, optim
from descend.data.datasets import (
    BOSTON_FEATURE_DESCRIPTIONS,
    BOSTON_FEATURE_NAMES,
    load_boston_housing,
)
from descend.demo import boston as demo
from descend.demo.settings import hold_out
from descend.nn.regularizers import L2
from descend.serve.validation import Form
from descend.train.callbacks import Callback

LIMITS = {"epochs": 1000, "batch_size": 333, "lr": 10.0, "l2": 10.0, "seed": 2**31 - 1}
"""The largest value each setting accepts."""

FIELDS = ("model", "optimizer", "lr", "epochs", "batch_size", "l2", "normalize", "seed")


def parse_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The training settings from a request, checked (see :data:`LIMITS`).

    >>> parse_settings({"model": "mlp3"})
    Traceback (most recent call last):
    ...
    descend.serve.validation.RequestError: model must be one of linear, mlp1, mlp2; got 'mlp3'.
    """
    form = Form(values, known=FIELDS)
    optimizer = form.choice("optimizer", demo.RECIPE["optimizer"], optim.OPTIMIZERS)
    lr = form.number("lr", None, low=0, high=LIMITS["lr"])
    return {
        "model": form.choice("model", "linear", demo.MODELS),
        "optimizer": optimizer,
        "lr": demo.resolve_lr(optimizer, lr),
        "epochs": form.integer("epochs", demo.RECIPE["epochs"], low=1, high=LIMITS["epochs"]),
        "batch_size": form.integer("batch_size", demo.RECIPE["batch_size"], low=1,
                                   high=LIMITS["batch_size"]),
        "l2": form.number("l2", 0.0, low=0, high=LIMITS["l2"], low_inclusive=True),
        "normalize": form.flag("normalize", True),
        "seed": form.integer("seed", 0, low=0, high=LIMITS["seed"]),
    }


def page_info() -> dict[str, Any]:
    """What the page shows before training: the data, the baseline and the default settings.

    >>> info = page_info()
    >>> info["rows"], round(info["baseline"]["test"], 2), len(info["features"])
    ({'train': 266, 'validation': 67, 'test': 173}, 82.96, 12)
    """
    data = demo.load_data(demo.RECIPE["validation_split"])
    y_train = np.concatenate([data["train"][1], data["validation"][1]]).astype(np.float64)
    mean = float(np.mean(y_train))
    return {
        "rows": {split: len(y) for split, (_, y) in data.items()},
        "features": [{"code": c, "label": d} for c, d in
                     zip(BOSTON_FEATURE_NAMES, BOSTON_FEATURE_DESCRIPTIONS)],
        "baseline": {split: float(np.mean((y - mean) ** 2)) for split, (_, y) in data.items()},
        "models": {key: name for key, (name, _) in demo.MODELS.items()},
        "optimizers": list(optim.OPTIMIZERS),
        "defaults": parse_settings({}),
        "limits": LIMITS,
    }


def _data(normalize: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if normalize:
        return demo.load_data(demo.RECIPE["validation_split"])
    (x_train, y_train), test = load_boston_housing()
    fit, validation = hold_out(x_train, y_train, demo.RECIPE["validation_split"], "serve")
    return {"train": fit, "validation": validation, "test": test}


class EpochReporter(Callback):
    """Puts an ``epoch`` event after every epoch; stops on request or on a non-finite loss.

    Args:
        put: called with each event dict.
        stop: an Event-like object (``is_set()``) a Stop button sets.
        linear: whether to send the linear model's weights with every epoch.
    """

    def __init__(self, put: Any, stop: Any, *, linear: bool) -> None:
        super().__init__()
        self.put, self.stop, self.linear = put, stop, linear
        self.diverged_at: int | None = None
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch + 1

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if logs and not math.isfinite(float(logs.get("loss", 0.0))):
            self.diverged_at = self.epoch
        if self.diverged_at is not None or self.stop.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        if not all(math.isfinite(float(logs.get(k, 0.0))) for k in ("loss", "val_loss")):
            self.diverged_at = epoch + 1
            self.model.stop_training = True
            return
        event = {"type": "epoch", "epoch": epoch + 1, **{k: float(v) for k, v in logs.items()
                                                          if k in ("loss", "val_loss", "mae",
                                                                   "val_mae")}}
        if self.linear:
            event["weights"] = _weights(self.model)
        self.put(event)


def _weights(model: Any) -> dict[str, Any]:
    dense = model[0]
    return {"kernel": [float(w) for w in dense.kernel.data[:, 0]],
            "bias": float(dense.bias.data[0])}


def _mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean((np.asarray(y_pred, np.float64) - np.asarray(y_true, np.float64)) ** 2))


def train(settings: dict[str, Any], put: Any = None, stop: Any = None) -> list[dict[str, Any]]:
    """Train one model with ``settings`` (from :func:`parse_settings`), reporting through ``put``.

    Events: one ``epoch`` event per epoch (``loss``, ``val_loss``, ``mae``, ``val_mae`` and,
    for the linear model, ``weights``), then one ``end`` event whose ``status`` is ``done``,
    ``stopped`` (after a Stop) or ``diverged`` (with the ``epoch`` of the first non-finite
    loss); ``done`` and ``stopped`` carry the final ``mse`` per split and the test set's
    ``scatter`` of ``[true, predicted]`` pairs.

    Returns:
        The events, also when ``put`` is given.
    """
    events: list[dict[str, Any]] = []

    def emit(event: dict[str, Any]) -> None:
        events.append(event)
        if put is not None:
            put(event)

    stop = stop if stop is not None else threading.Event()
    key = settings["model"]
    data = _data(settings["normalize"])
    backend.seed(settings["seed"])
    model = demo.build_model(demo.MODELS[key][1])
    if settings["l2"] > 0:
        for layer in model:
            layer.add_regularizer("kernel", L2(settings["l2"]))
    options = {} if settings["lr"] is None else {"lr": settings["lr"]}
    model.compile(optimizer=optim.get(settings["optimizer"], **options), loss="mse",
                  metrics=["mae"])
    reporter = EpochReporter(emit, stop, linear=key == "linear")
    with np.errstate(all="ignore"):
        model.fit(*data["train"], validation_data=data["validation"], epochs=settings["epochs"],
                  batch_size=settings["batch_size"], verbose=0, seed=settings["seed"],
                  callbacks=[reporter])
        if reporter.diverged_at is not None:
            emit({"type": "end", "status": "diverged", "epoch": reporter.diverged_at})
            return events
        predictions = {s: model.predict(x, batch_size=len(x)) for s, (x, _) in data.items()}
    mse = {s: _mse(y, predictions[s]) for s, (_, y) in data.items()}
    y_test = data["test"][1][:, 0].tolist()
    end = {"type": "end", "status": "stopped" if stop.is_set() else "done",
           "epoch": reporter.epoch, "mse": mse,
           "scatter": [[t, float(p)] for t, p in zip(y_test, predictions["test"][:, 0])]}
    if key == "linear":
        end["weights"] = _weights(model)
    emit(end)
    return events
