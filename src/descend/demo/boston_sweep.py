"""``descend sweep boston``: the Boston Housing recipe over a grid of settings, on Dask.

Each trial trains one model of :mod:`descend.demo.boston` with one combination of model,
optimizer, learning rate, batch size and seed, and reports its curves (``loss``, ``val_loss``,
``mae``, ``val_mae`` per epoch) and its final test MSE and MAE.

>>> metrics = boston_trial({"model": "linear", "epochs": 3, "optimizer": "adam", "lr": 0.1})
>>> len(metrics["val_loss"]), metrics["test_mse"] > 0
(3, True)
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from descend.demo import boston
from descend.distributed import sweep
from descend.names import lookup
from descend.optim import OPTIMIZERS

WHERE = "sweep boston"
DEFAULTS: dict[str, Any] = {"model": "linear", "optimizer": "sgd", "lr": None,
                            "batch_size": boston.RECIPE["batch_size"],
                            "epochs": boston.RECIPE["epochs"], "seed": 0}
"""A trial's settings where the sweep gives none: the tfjs recipe's."""


def boston_trial(settings: dict[str, Any]) -> dict[str, Any]:
    """Train one Boston model with ``settings`` (see :data:`DEFAULTS`) and return its curves
    and final test scores."""
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{WHERE}: unknown setting {', '.join(map(repr, unknown))}; the "
                         f"settings are {', '.join(DEFAULTS)}")
    s = {**DEFAULTS, **settings}
    result = boston.run(s["model"], epochs=s["epochs"], optimizer=s["optimizer"], lr=s["lr"],
                        batch_size=s["batch_size"], seed=s["seed"])
    (trained,) = result.models.values()
    test = trained.scores["test"]
    return {**trained.history.history, "test_mse": test.mse, "test_mae": test.mae}


def space_from_args(args: argparse.Namespace) -> dict[str, list[Any]]:
    """The grid the command line asks for; each option a list of values.

    >>> args = argparse.Namespace(model=["linear"], optimizer=["sgd", "adam"], lr=[0.01],
    ...                           batch_size=[40], epochs=20, seeds=2)
    >>> space_from_args(args)
    {'model': ['linear'], 'optimizer': ['sgd', 'adam'], 'lr': [0.01], 'batch_size': [40],
     'epochs': [20], 'seed': [0, 1]}
    """
    optimizers = [lookup(WHERE, "optimizer", name, {k: k for k in OPTIMIZERS})
                  for name in args.optimizer]
    models = [key for name in args.model for key in boston.model_keys(name)]
    return {"model": models, "optimizer": optimizers,
            "lr": list(args.lr) if args.lr else [None], "batch_size": list(args.batch_size),
            "epochs": [args.epochs], "seed": list(range(args.seeds))}


def command(args: argparse.Namespace) -> int:
    """Handle ``descend sweep boston``: run the grid, print the table, write the pictures."""
    if args.out is not None and not os.path.isdir(args.out):
        raise ValueError(f"{WHERE}: --out {args.out!r} is not an existing folder")
    space = space_from_args(args)
    start = time.perf_counter()
    workers = args.workers
    result = sweep(boston_trial, space, executor="serial" if workers == 0 else None,
                   workers=workers or None, progress=not args.quiet)
    print(result.table(sort_by=args.metric, columns=[
        "model", "optimizer", "lr", "batch_size", "seed", "loss", "val_loss", "test_mse",
        "seconds"]))
    best = result.best(args.metric)
    print(f"\nbest by {args.metric}: trial {best.index} "
          + ", ".join(f"{k}={v}" for k, v in best.settings.items())
          + f" -> {args.metric} {best.metrics[args.metric]:.4g}")
    if args.out is not None:
        _write_outputs(result, args.metric, args.out)
    where = "in this process" if workers == 0 else f"on {workers or 'default'} Dask workers"
    print(f"\n{len(result)} trials {where} in {time.perf_counter() - start:.1f}s")
    return 0


def _write_outputs(result: Any, metric: str, folder: str) -> None:
    from descend.viz.sweep_plots import plot_best_curves, plot_sweep

    csv_path = os.path.join(folder, "sweep.csv")
    result.to_csv(csv_path)
    plot_sweep(result, metric, os.path.join(folder, "sweep.png"))
    plot_best_curves(result, metric, os.path.join(folder, "best_curves.png"))
    print(f"wrote {csv_path}, sweep.png and best_curves.png in {folder}")
