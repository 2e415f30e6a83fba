"""``descend demo boston``: the TensorFlow.js Boston Housing study, reproduced with descend.

The recipe of tfjs-examples' ``boston-housing`` demo: z-score the 12 features with the
training rows' mean and population standard deviation; hold out the last 20 % of the training
rows for validation; train each model with plain SGD (learning rate 0.01, batches of 40, 200
epochs, mean squared error); then compare with predicting the training mean for every town.

* ``linear``: ``Dense(1)``, linear regression;
* ``mlp1``: ``Dense(50, sigmoid, lecun_normal)`` then ``Dense(1)``;
* ``mlp2``: two ``Dense(50, sigmoid, lecun_normal)`` then ``Dense(1)``.

The train/test split is the fixed stand-in packaged with descend (see
:func:`descend.datasets.load_boston_housing`), not the rows the tfjs demo downloads; the ``B``
column is dropped, as in tfjs-examples.

>>> from descend.demo import boston
>>> result = boston.run("linear", epochs=20)
>>> round(result.baseline["test"].mse, 2)
82.96
>>> result.models["linear"].scores["test"].mse < 40
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from descend import backend, optim
from descend.data import Standardizer
from descend.data.datasets import (
    BOSTON_FEATURE_DESCRIPTIONS,
    BOSTON_FEATURE_NAMES,
    load_boston_housing,
)
from descend.demo.report import DASH, ModelLine, format_table, number
from descend.demo.settings import hold_out, positive_int, positive_number
from descend.demo.whatif import NO_CHANGE, WhatIf
from descend.models import Sequential
from descend.names import lookup
from descend.nn import Dense, Dropout
from descend.train.loggers import History

MODELS: dict[str, tuple[str, int]] = {
    "linear": ("linear regression", 0),
    "mlp1": ("MLP 50 sigmoid", 1),
    "mlp2": ("MLP 50-50 sigmoid", 2),
}
"""Each model's key, its name in the table and its number of hidden layers."""

HIDDEN_UNITS = 50
WHERE = "demo boston"
SPLITS = ("train", "validation", "test")
BASELINE = "baseline: train mean"
RECIPE = {"epochs": 200, "optimizer": "sgd", "lr": 0.01, "batch_size": 40,
          "validation_split": 0.2}
"""The tfjs-examples settings (``boston-housing/index.js``)."""


@dataclass(frozen=True)
class Scores:
    """Mean squared error (in $1000s, squared) and mean absolute error (in $1000s).

    >>> Scores(mse=4.0, mae=1.5)
    Scores(mse=4.0, mae=1.5)
    """

    mse: float
    mae: float


@dataclass
class ModelResult:
    """One trained model: its History, final scores per split and training time.

    Attributes:
        key: ``"linear"``, ``"mlp1"`` or ``"mlp2"``.
        name: the name shown in the table.
        model: the trained ``Sequential``.
        history: the ``History`` of ``fit`` (``loss``, ``mae``, ``val_loss``, ``val_mae``).
        scores: ``{"train": Scores, "validation": Scores, "test": Scores}``, measured with
            the final weights.
        seconds: the training time.

    >>> result = run("mlp1", epochs=2)
    >>> mlp = result.models["mlp1"]
    >>> mlp.parameters, len(mlp.history.history["val_loss"]), sorted(mlp.scores)
    (701, 2, ['test', 'train', 'validation'])
    """

    key: str
    name: str
    model: Sequential
    history: History
    scores: dict[str, Scores]
    seconds: float

    @property
    def parameters(self) -> int:
        """The number of trained numbers (weights and biases)."""
        return sum(p.data.size for p in self.model.parameters())


@dataclass(frozen=True)
class FeatureWeight:
    """One weight of the linear model: $1000s per standard deviation of the feature.

    >>> run("linear", epochs=50).weights[0].code in ("dis", "rm", "lstat", "ptratio")
    True
    """

    code: str
    description: str
    weight: float


@dataclass
class BostonResult:
    """Everything the demo measured: the baseline, each model and the settings used.

    Attributes:
        baseline: the scores of predicting the training targets' mean, per split.
        models: the trained models by key, in the order they were trained.
        settings: epochs, optimizer, lr, batch_size, seed and validation_split.
        rows: the number of rows per split (``{"train": 266, "validation": 67, "test": 173}``).
        bias: the linear model's bias (its prediction for a town at the mean of every
            feature), or None when it was not trained.
        weights: the linear model's weight per feature, largest magnitude first.

    >>> result = run("linear", epochs=50)
    >>> result.rows, result.settings["lr"], len(result.weights), round(result.bias) > 10
    ({'train': 266, 'validation': 67, 'test': 173}, 0.01, 12, True)
    """

    baseline: dict[str, Scores]
    models: dict[str, ModelResult]
    settings: dict[str, Any]
    rows: dict[str, int]
    bias: float | None = None
    weights: list[FeatureWeight] = field(default_factory=list)

    def table(self) -> str:
        """The results table: parameters, MSE and MAE on every split, one row per model.

        >>> print(run("linear", epochs=5).table())  # doctest: +ELLIPSIS
                                     MSE ($1000s²)...
        model                 params   train     val    test  train    val   test
        baseline: train mean       –   74.79  126.52   82.96   6.43   8.23   6.32
        linear regression         13  ...
        """
        header = ["model", "params", *(["train", "val", "test"] * 2)]
        rows = [[BASELINE, DASH, *_cells(self.baseline)]]
        rows += [[m.name, str(m.parameters), *_cells(m.scores)] for m in self.models.values()]
        return format_table(header, rows, gap=2, groups=[("", 2), ("MSE ($1000s²)", 3),
                                                         ("MAE ($1000s)", 3)])

    def weights_table(self) -> str:
        """The linear model's weights, largest magnitude first (empty without that model).

        >>> print(run("linear", epochs=50).weights_table())  # doctest: +ELLIPSIS
        Linear regression weights, largest |weight| first ...
          column    feature (tfjs label)         weight
        ...
        """
        if not self.weights:
            return ""
        rows = [[w.code, w.description, f"{w.weight:+.2f}"] for w in self.weights]
        return (f"Linear regression weights, largest |weight| first (the change in the "
                f"predicted value,\nin $1000s, per standard deviation of the feature; bias "
                f"{self.bias:.2f} = the prediction\nfor a town at the mean of every feature):\n"
                + format_table(["column", "feature (tfjs label)", "weight"], rows, indent="  ",
                               align="llr")
                + '\n  ("School drop-out rate" is tfjs\'s label for LSTAT, the % lower-status '
                  "population.)")


def _cells(scores: dict[str, Scores]) -> list[str]:
    return [*(number(scores[s].mse) for s in SPLITS), *(number(scores[s].mae) for s in SPLITS)]


def _scores(y_true: np.ndarray, y_pred: np.ndarray) -> Scores:
    error = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return Scores(float(np.mean(error**2)), float(np.mean(np.abs(error))))


def model_keys(models: str | Sequence[str]) -> list[str]:
    """The model keys to train: ``"all"``, one key, or a list of keys, checked.

    >>> model_keys("all"), model_keys("mlp1"), model_keys(["mlp2", "linear"])
    (['linear', 'mlp1', 'mlp2'], ['mlp1'], ['mlp2', 'linear'])
    >>> model_keys("mlp")
    Traceback (most recent call last):
    ...
    ValueError: demo boston: unknown model 'mlp'. Did you mean 'mlp2' or 'mlp1'? ...
    """
    table = {key: key for key in MODELS}
    if isinstance(models, str):
        key = lookup(WHERE, "model", models, {**table, "all": "all"})
        return list(MODELS) if key == "all" else [key]
    keys = [lookup(WHERE, "model", key, table) for key in models]
    if not keys:
        raise ValueError(f"{WHERE}: no model to train; choose linear, mlp1, mlp2 or all")
    return keys


def build_model(hidden_layers: int, features: int = len(BOSTON_FEATURE_NAMES), *,
                what_if: WhatIf = NO_CHANGE) -> Sequential:
    """The tfjs model with ``hidden_layers`` sigmoid layers of 50 units (0 = linear regression).

    Hidden kernels start from ``lecun_normal``; the output layer keeps descend's (and tfjs's)
    default ``glorot_uniform``; every bias starts at zero. ``what_if`` changes the initial
    kernels, adds an L2 penalty or puts a ``Dropout`` after every hidden layer.

    >>> model = build_model(1)
    >>> model
    Sequential(
      (0): Dense(units=50, activation=sigmoid, input_dim=12)
      (1): Dense(units=1, input_dim=50)
    )
    >>> type(model[0].kernel_initializer).__name__, type(model[1].kernel_initializer).__name__
    ('LecunNormal', 'GlorotUniform')
    """
    layers: list = []
    for _ in range(hidden_layers):
        layers.append(Dense(HIDDEN_UNITS, activation="sigmoid", **what_if.layer_options(True)))
        if what_if.dropout:
            layers.append(Dropout(what_if.dropout))
    return Sequential([*layers, Dense(1, **what_if.layer_options(False))]).build(
        (None, features))


def load_data(validation_split: float = 0.2, *, normalize: bool = True
              ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The packaged split, z-scored, with the last ``validation_split`` of training rows apart.

    The features are standardized with the mean and population standard deviation of all
    333 training rows (as tfjs does, before ``fit`` holds out its validation rows); with
    ``normalize=False`` they are left raw.

    Returns:
        ``{"train": (x, y), "validation": (x, y), "test": (x, y)}``: ``x`` of shape
        ``(rows, 12)``, ``y`` of shape ``(rows, 1)``, float32.

    >>> {split: x.shape for split, (x, y) in load_data().items()}
    {'train': (266, 12), 'validation': (67, 12), 'test': (173, 12)}
    """
    (x_train, y_train), (x_test, y_test) = load_boston_housing()
    if normalize:
        scaler = Standardizer().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    fit, validation = hold_out(x_train, y_train, validation_split, WHERE)
    return {"train": fit, "validation": validation, "test": (x_test, y_test)}


def resolve_lr(optimizer: str, lr: float | None) -> float | None:
    """The learning rate to use: ``lr``; else the recipe's 0.01 for SGD; else None (the
    optimizer's default).

    >>> resolve_lr("sgd", None), resolve_lr("adam", None), resolve_lr("adam", 0.1)
    (0.01, None, 0.1)
    """
    if lr is not None:
        return positive_number(lr, "lr", WHERE)
    return RECIPE["lr"] if optimizer.lower() == "sgd" else None


def run(models: str | Sequence[str] = "all", *, epochs: int = 200, optimizer: str = "sgd",
        lr: float | None = None, batch_size: int = 40, seed: int = 0,
        validation_split: float = 0.2, progress: TextIO | None = None,
        what_if: WhatIf = NO_CHANGE) -> BostonResult:
    """Train the chosen models with the tfjs recipe and measure them and the baseline.

    Every model starts from ``dc.seed(seed)`` and shuffles with ``seed``, so a model's
    numbers do not depend on which other models are trained with it.

    Args:
        models: ``"all"``, one of ``"linear"``, ``"mlp1"``, ``"mlp2"``, or a list of them.
        epochs: passes over the training rows.
        optimizer: a ``dc.optim`` name (``"sgd"``, ``"adam"``, ...).
        lr: the learning rate; default 0.01 for SGD (the recipe), else the optimizer's own.
        batch_size: rows per gradient step.
        seed: the seed of the initial weights and of the batch order.
        validation_split: the fraction of training rows, from the end, kept for validation.
        progress: a stream for one progress line per model (None: train silently).
        what_if: changes to the recipe (normalisation, L2, dropout, initial weights); see
            :class:`~descend.demo.whatif.WhatIf`. Its ``batch_size`` is not read here.

    Returns:
        A :class:`BostonResult`: per model the History and the final train, validation and
        test MSE and MAE, plus the baseline and the linear model's weights per feature.

    Raises:
        ValueError: for an unknown model or optimizer, or a non-positive setting.
        TypeError: for an optimizer that is not a name.

    >>> result = run(["linear", "mlp2"], epochs=3, optimizer="adam", lr=0.1)
    >>> list(result.models), result.settings["optimizer"], result.settings["lr"]
    (['linear', 'mlp2'], 'adam', 0.1)
    >>> run(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: demo boston: epochs must be a positive integer, got 0
    """
    keys = model_keys(models)
    positive_int(epochs, "epochs", WHERE)
    positive_int(batch_size, "batch_size", WHERE)
    if not isinstance(optimizer, str):
        raise TypeError(f"{WHERE}: optimizer must be a name such as 'sgd' or 'adam', got "
                        f"{type(optimizer).__name__}")
    lookup(WHERE, "optimizer", optimizer, optim.OPTIMIZERS)
    lr = resolve_lr(optimizer, lr)
    options = {} if lr is None else {"lr": lr}
    data = load_data(validation_split, normalize=what_if.normalize)
    # tfjs's computeBaseline: the mean of all training targets, validation rows included
    mean = float(np.mean(np.concatenate([data["train"][1], data["validation"][1]]),
                         dtype=np.float64))
    baseline = {s: _scores(y, np.full(y.shape, mean)) for s, (_, y) in data.items()}
    width = max(len(MODELS[k][0]) for k in keys)
    trained = {}
    for key in keys:
        name, hidden = MODELS[key]
        backend.seed(seed)
        model = build_model(hidden, what_if=what_if)
        model.compile(optimizer=optim.get(optimizer, **options), loss="mse", metrics=["mae"])
        line = [] if progress is None else [ModelLine(name, stream=progress, width=width)]
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):     # raw features diverge
            history = model.fit(*data["train"], validation_data=data["validation"],
                                epochs=epochs, batch_size=batch_size, verbose=0, seed=seed,
                                callbacks=line)
        seconds = time.perf_counter() - start
        with np.errstate(over="ignore", invalid="ignore"):
            scores = {s: _scores(y, model.predict(x, batch_size=len(x)))
                      for s, (x, y) in data.items()}
        trained[key] = ModelResult(key, name, model, history, scores, seconds)
    settings = {"epochs": epochs, "optimizer": optimizer, "lr": lr, "batch_size": batch_size,
                "seed": seed, "validation_split": validation_split, "what_if": what_if}
    result = BostonResult(baseline, trained, settings, {s: len(y) for s, (_, y) in data.items()})
    if "linear" in trained:
        dense = trained["linear"].model[0]
        result.bias = float(dense.bias.data[0])
        result.weights = sorted(
            (FeatureWeight(code, text, float(w)) for code, text, w in
             zip(BOSTON_FEATURE_NAMES, BOSTON_FEATURE_DESCRIPTIONS, dense.kernel.data[:, 0])),
            key=lambda fw: -abs(fw.weight))
    return result
