"""``descend demo boston`` on the command line: the introduction, the table, the picture.

The flags ``--no-normalize``, ``--l2``, ``--dropout`` and ``--init`` change the recipe (see
:class:`~descend.demo.whatif.WhatIf`); with none of them the output is the recipe's.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from descend.demo import plots
from descend.demo.boston import WHERE, load_data, resolve_lr, run
from descend.demo.whatif import NO_CHANGE, WhatIf


def introduction(settings: dict[str, Any], rows: dict[str, int],
                 what_if: WhatIf = NO_CHANGE) -> str:
    """The lines printed before training: the data, the split caveat and the recipe.

    >>> print(introduction({"epochs": 200, "optimizer": "sgd", "lr": 0.01, "batch_size": 40,
    ...                     "seed": 0}, {"train": 266, "validation": 67, "test": 173}))
    ... # doctest: +ELLIPSIS
    Boston Housing: predict a town's median home value ($1000s) from 12 features
    ...
      recipe  sgd, lr 0.01, batch 40, 200 epochs, MSE loss, seed 0
    """
    lr = "default lr" if settings["lr"] is None else f"lr {settings['lr']:g}"
    return "\n".join([
        "Boston Housing: predict a town's median home value ($1000s) from 12 features",
        f"  data    {rows['train'] + rows['validation']} training rows (the first "
        f"{rows['train']} train, the last {rows['validation']} validate) and {rows['test']} "
        "test rows;",
        "          features z-scored with the training rows' mean and population std",
        "  note    the train/test split is a fixed stand-in for the TF.js demo's (tfjs-examples",
        "          downloads its split at run time); the B column is dropped, as tfjs does",
        f"  recipe  {settings['optimizer']}, {lr}, batch {settings['batch_size']}, "
        f"{settings['epochs']} epochs, MSE loss, seed {settings['seed']}",
        *([] if what_if == NO_CHANGE else [f"  what-if {what_if.label()}"]),
    ])


def command(args: argparse.Namespace) -> int:
    """Handle ``descend demo boston``: train, print the table (and more unless ``--quiet``).

    >>> args = argparse.Namespace(model="linear", epochs=2, optimizer="sgd", lr=None,
    ...                           batch_size=40, seed=0, plot=None, quiet=True,
    ...                           no_normalize=False, l2=0.0, dropout=0.0, init=None)
    >>> command(args)  # doctest: +ELLIPSIS
                                     MSE ($1000s²)...
    model  ...
    baseline: train mean ...
    linear regression ...
    0
    """
    start = time.perf_counter()
    if args.plot:
        plots.check_plot_path(args.plot, WHERE)

    def say(*lines: str) -> None:
        if not args.quiet:
            print(*lines, sep="\n", flush=True)

    what_if = WhatIf(normalize=not args.no_normalize, l2=args.l2, dropout=args.dropout,
                     init=args.init)
    rows = {split: len(y) for split, (_, y) in load_data().items()}
    settings = {"epochs": args.epochs, "optimizer": args.optimizer, "batch_size": args.batch_size,
                "seed": args.seed, "lr": resolve_lr(args.optimizer, args.lr)}
    say(introduction(settings, rows, what_if), "")
    result = run(args.model, epochs=args.epochs, optimizer=args.optimizer, lr=args.lr,
                 batch_size=args.batch_size, seed=args.seed,
                 progress=None if args.quiet else sys.stdout, what_if=what_if)
    say("")
    print(result.table())
    say("", "MSE: mean squared error; MAE: mean absolute error (a test MAE of 2.50 means the "
        "predictions\nare $2,500 off on average). Every column is measured with the final "
        "weights.")
    if result.weights:
        say("", result.weights_table())
    if args.plot and what_if != NO_CHANGE:
        recipe = run(args.model, epochs=args.epochs, optimizer=args.optimizer, lr=args.lr,
                     batch_size=args.batch_size, seed=args.seed)
        plots.whatif_curves({"the recipe": recipe, what_if.label(): result}, args.plot)
        say("", f"wrote {args.plot} (the recipe beside the what-if)")
    elif args.plot:
        plots.boston_curves(result, args.plot)
        say("", f"wrote {args.plot}")
    say("", f"done in {time.perf_counter() - start:.1f}s")
    return 0
