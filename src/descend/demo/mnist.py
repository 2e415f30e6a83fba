"""``descend demo mnist``: a 784-256-10 ReLU network learns handwritten digits with Adam.

The 28×28 images are flattened to 784 pixels scaled to [0, 1]; ``Dense(256, relu)`` then
``Dense(10)`` give one score (logit) per digit, trained with Adam on the cross-entropy of the
softmax. The last 10 % of the training images are held out for validation; the test set's
10,000 images give the final accuracy and the confusion matrix.

The files are read by :func:`descend.datasets.load_mnist` from ``data_dir`` (the folder with
the four ``.gz`` files), else ``$DESCEND_DATA/mnist``, else ``~/.cache/descend/mnist``, and
downloaded there when missing (unless ``download=False``).

>>> from descend.demo import mnist
>>> mnist.build_model()
Sequential(
  (0): Dense(units=256, activation=relu, input_dim=784)
  (1): Dense(units=10, input_dim=256)
)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import backend, losses, metrics, optim
from descend.data.datasets import load_mnist
from descend.demo import plots
from descend.demo.report import format_table
from descend.demo.settings import between_0_and_1, hold_out, positive_int, positive_number
from descend.distributed.launch import launched, run_on_ranks
from descend.distributed.parallel import DataParallel
from descend.models import Sequential
from descend.nn import Dense
from descend.train.loggers import History

PIXELS = 28 * 28
CLASSES = 10
TRAIN_IMAGES = 60_000
WHERE = "demo mnist"

DATA_HINT = ("hint: `descend demo mnist --data-dir PATH` reads the four .gz files\n"
             "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,"
             "\nt10k-labels-idx1-ubyte.gz) from the folder PATH; re-gzipped copies work too.")
"""Printed after the loader's error when the MNIST files are missing."""


@dataclass
class MnistResult:
    """What the demo measured.

    Attributes:
        model: the trained ``Sequential``.
        history: the ``History`` of ``fit`` (``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy`` per epoch).
        test_loss: the mean cross-entropy on the test images.
        test_accuracy: the fraction of test images classified correctly.
        confusion: ``(10, 10)`` counts: ``[i, j]`` test images of digit ``i`` predicted ``j``.
        rows: images per split: ``{"train": ..., "validation": ..., "test": ...}``.
        seconds: the training time.
        settings: epochs, batch_size, lr, seed, limit and validation_split.

    >>> result = run(epochs=1, limit=2000, verbose=0)  # doctest: +SKIP
    >>> result.rows, result.confusion.shape  # doctest: +SKIP
    ({'train': 1800, 'validation': 200, 'test': 10000}, (10, 10))
    """

    model: Sequential
    history: History
    test_loss: float
    test_accuracy: float
    confusion: np.ndarray
    rows: dict[str, int]
    seconds: float
    settings: dict[str, Any]

    def summary(self) -> str:
        """One line: test accuracy and loss, epochs, images and training time.

        >>> print(run(epochs=10).summary())  # doctest: +SKIP
        test accuracy 97.87 % (loss 0.0683) after 10 epoch(s) on 54,000 images, trained in 7.9s
        """
        return (f"test accuracy {100 * self.test_accuracy:.2f} % (loss {self.test_loss:.4f}) "
                f"after {len(self.history.epoch)} epoch(s) on {self.rows['train']:,} images, "
                f"trained in {self.seconds:.1f}s")

    def confusion_table(self) -> str:
        """The confusion matrix with each digit's share recognised, and the top confusions
        (see :func:`confusion_report`).

        >>> print(run(epochs=1, limit=2000).confusion_table())  # doctest: +SKIP
        rows: the true digit; columns: what the model predicted
        true     0     1     2     3     4     5     6     7     8     9  correct
        ...
        """
        return confusion_report(self.confusion)


def confusion_report(confusion: np.ndarray, top: int = 3) -> str:
    """A printed confusion matrix (rows: true digit, columns: predicted) and its worst cells.

    >>> import numpy as np
    >>> print(confusion_report(np.array([[8, 2], [1, 9]])))
    rows: the true digit; columns: what the model predicted
    true  0  1  correct
       0  8  2   80.0 %
       1  1  9   90.0 %
    most confused: 0 taken for 1 (2 times), 1 taken for 0 (1 time)
    """
    counts = np.asarray(confusion)
    per_class = counts.sum(axis=1)
    width = len(str(int(counts.max(initial=0))))  # every count column equally wide
    rows = [[str(i), *(f"{int(c):>{width}}" for c in counts[i]),
             f"{100 * counts[i, i] / max(per_class[i], 1):.1f} %"] for i in range(len(counts))]
    header = ["true", *(str(j) for j in range(len(counts))), "correct"]
    table = format_table(header, rows, align="r" * len(header), gap=2)
    off = counts.astype(np.float64).copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    worst = [f"{i} taken for {j} ({_times(int(counts[i, j]))})"
             for i, j in zip(*np.unravel_index(order, counts.shape)) if off[i, j] > 0]
    lines = ["rows: the true digit; columns: what the model predicted", table]
    if worst:
        lines.append("most confused: " + ", ".join(worst))
    return "\n".join(lines)


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


def build_model(hidden: int = 256) -> Sequential:
    """The 784-``hidden``-10 network: ``Dense(hidden, relu)`` then ``Dense(10)`` (logits).

    >>> sum(p.data.size for p in build_model().parameters())
    203530
    """
    return Sequential([Dense(hidden, activation="relu", input_dim=PIXELS), Dense(CLASSES)])


def load_data(data_dir: str | os.PathLike | None = None, *, limit: int | None = None,
              download: bool = True) -> tuple[tuple[np.ndarray, np.ndarray],
                                              tuple[np.ndarray, np.ndarray]]:
    """MNIST as flat rows: ``x`` of shape ``(n, 784)``, float32 in [0, 1]; labels ``(n,)``.

    Args:
        data_dir: the folder holding the four ``.gz`` files (default: see the module).
        limit: keep only the first ``limit`` training images (the test set stays whole).
        download: fetch missing files.

    Raises:
        FileNotFoundError: when the files are missing (and cannot be downloaded); the
            loader's message says where to put them.

    >>> (x_train, y_train), (x_test, y_test) = load_data(limit=100)  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, x_test.shape  # doctest: +SKIP
    ((100, 784), dtype('float32'), (10000, 784))
    """
    if limit is not None:
        positive_int(limit, "limit", WHERE, most=TRAIN_IMAGES)
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir, download=download,
                                                      as_float=True)
    x_train, y_train = x_train[:limit], y_train[:limit]
    return ((x_train.reshape(len(x_train), PIXELS), y_train),
            (x_test.reshape(len(x_test), PIXELS), y_test))


def run(*, data_dir: str | os.PathLike | None = None, epochs: int = 10, batch_size: int = 128,
        lr: float = 1e-3, seed: int = 0, limit: int | None = None,
        validation_split: float = 0.1, download: bool = True, verbose: int = 1,
        distribute: Any = None) -> MnistResult:
    """Train the 784-256-10 network on MNIST with Adam and test it.

    Args:
        data_dir: the folder holding the four ``.gz`` files (default: ``$DESCEND_DATA/mnist``,
            else ``~/.cache/descend/mnist``).
        epochs: passes over the training images.
        batch_size: images per gradient step.
        lr: Adam's learning rate.
        seed: the seed of the initial weights and of the batch order.
        limit: train on the first ``limit`` training images only (quick runs).
        validation_split: the fraction of training images, from the end, kept for validation.
        download: fetch missing files from the MNIST mirrors.
        verbose: 0 silent, 1 a progress bar per epoch, 2 a line per epoch.
        distribute: a ``dc.distributed.DataParallel`` to train over MPI ranks (each takes its
            share of every batch), or None.

    Returns:
        An :class:`MnistResult` with the model, its History, test loss, accuracy and
        confusion matrix.

    Raises:
        FileNotFoundError: when the MNIST files are missing and not downloaded.
        ValueError: for a non-positive setting.

    >>> result = run(data_dir="shared/data/mnist", epochs=10)  # doctest: +SKIP
    >>> result.test_accuracy > 0.975  # doctest: +SKIP
    True
    >>> run(lr=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: demo mnist: lr must be a positive number, got -1.0
    """
    positive_int(epochs, "epochs", WHERE)
    positive_int(batch_size, "batch_size", WHERE)
    positive_number(lr, "lr", WHERE)
    between_0_and_1(validation_split, "validation_split", WHERE)  # before reading the files
    (x_train, y_train), (x_test, y_test) = load_data(data_dir, limit=limit, download=download)
    fit, validation = hold_out(x_train, y_train, validation_split, WHERE)
    backend.seed(seed)
    model = build_model()
    model.compile(optimizer=optim.Adam(lr=lr),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(*fit, validation_data=validation, epochs=epochs,
                        batch_size=batch_size, verbose=verbose, seed=seed,
                        distribute=distribute)
    seconds = time.perf_counter() - start
    test_loss = model.evaluate(x_test, y_test, batch_size=1000)["loss"]
    confusion = metrics.confusion_matrix(y_test, model.predict(x_test, batch_size=1000),
                                         num_classes=CLASSES)
    rows = {"train": len(fit[0]), "validation": len(validation[0]), "test": len(x_test)}
    settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                "limit": limit, "validation_split": validation_split}
    return MnistResult(model, history, float(test_loss),
                       float(np.trace(confusion) / confusion.sum()), confusion, rows, seconds,
                       settings)


def command(args: argparse.Namespace) -> int:
    """Handle ``descend demo mnist``: train with a progress bar, print the test results.

    Returns 1, with the loader's message and a hint on stderr, when the files are missing.

    >>> import tempfile
    >>> args = argparse.Namespace(data_dir=tempfile.mkdtemp(), epochs=1, batch_size=128,
    ...                           lr=1e-3, seed=0, limit=None, plot=None, no_download=True,
    ...                           workers=1)
    >>> command(args)  # no files there: the message goes to stderr  # doctest: +ELLIPSIS
    MNIST: a 784-256-10 ReLU network (203,530 parameters) learns handwritten digits with Adam
    ...
    1
    """
    if args.plot:
        plots.check_plot_path(args.plot, WHERE)
    if args.workers > 1 and not launched():
        return _run_on_workers(args)
    distribute = DataParallel() if launched() else None
    if distribute is not None and not distribute.is_chief:
        args.plot = None
        with contextlib.redirect_stdout(io.StringIO()):
            return _train_and_report(args, distribute)
    return _train_and_report(args, distribute)


def _run_on_workers(args: argparse.Namespace) -> int:
    """Check (or download) the data here, then run this command on ``args.workers`` ranks."""
    try:
        load_data(args.data_dir, limit=1, download=not args.no_download)
    except FileNotFoundError as err:
        print(f"descend demo mnist: {err}\n\n{DATA_HINT}", file=sys.stderr)
        return 1
    argv = ["demo", "mnist", "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
            "--lr", repr(args.lr), "--seed", str(args.seed), "--workers", str(args.workers),
            "--no-download"]
    for flag, value in (("--data-dir", args.data_dir), ("--limit", args.limit),
                        ("--plot", args.plot)):
        if value is not None:
            argv += [flag, str(value)]
    print(f"descend demo mnist: training on {args.workers} MPI ranks (mpiexec), "
          f"{args.batch_size // args.workers}-{-(-args.batch_size // args.workers)} images of "
          "each batch per rank", flush=True)
    return run_on_ranks(args.workers, argv)


def _train_and_report(args: argparse.Namespace, distribute: Any) -> int:
    """Train, then print the summary and the confusion table (and draw the curves)."""
    print("MNIST: a 784-256-10 ReLU network (203,530 parameters) learns handwritten digits "
          f"with Adam\n  (lr {args.lr:g}, batch {args.batch_size}, {args.epochs} epoch(s), "
          f"seed {args.seed}); the last 10 % of the training images validate", flush=True)
    try:
        result = run(data_dir=args.data_dir, epochs=args.epochs, batch_size=args.batch_size,
                     lr=args.lr, seed=args.seed, limit=args.limit,
                     download=not args.no_download, distribute=distribute)
    except FileNotFoundError as err:
        print(f"descend demo mnist: {err}\n\n{DATA_HINT}", file=sys.stderr)
        return 1
    print(f"\n{result.summary()}\n")
    print(result.confusion_table())
    if args.plot:
        plots.mnist_curves(result, args.plot)
        print(f"\nwrote {args.plot}")
    return 0
