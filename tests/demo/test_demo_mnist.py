"""``descend.demo.mnist``: a short run on the real files, and the message when they are absent.

The full run (10 epochs, ≥ 97.5 % test accuracy) is measured once and written in
``docs/demo.md``; here 20,000 images and one epoch keep the test to a few seconds (seeds 0, 1
and 2 give 93.5-94 % test accuracy).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from descend.data.datasets import MNIST
from descend.demo import mnist, plots

REAL = (Path(__file__).parents[2] / ".." / "shared" / "data" / "mnist").resolve()
have_files = all((REAL / spec.name).is_file() for spec in MNIST.files)
real_files = pytest.mark.skipif(not have_files, reason=f"no MNIST .gz files in {REAL}")


@pytest.fixture(scope="module")
def short_run():
    return mnist.run(data_dir=REAL, epochs=1, limit=20_000, batch_size=32, verbose=0,
                     download=False)


@real_files
def test_one_epoch_on_20000_images_classifies_most_test_digits(short_run):
    assert short_run.test_accuracy > 0.92
    assert short_run.rows == {"train": 18_000, "validation": 2000, "test": 10_000}
    assert short_run.history.history["val_accuracy"][0] > 0.9
    assert short_run.test_loss < 0.3
    assert short_run.model[0].kernel.shape == (784, 256)


@real_files
def test_confusion_matrix_counts_every_test_image(short_run):
    confusion = short_run.confusion
    assert confusion.shape == (10, 10) and confusion.sum() == 10_000
    assert confusion.sum(axis=1).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                              1009]
    assert np.trace(confusion) / 10_000 == short_run.test_accuracy
    lines = short_run.confusion_table().splitlines()
    assert lines[1].split() == ["true", *"0123456789", "correct"]
    row = lines[2].split()
    assert row[:11] == ["0", *(str(c) for c in confusion[0])]
    assert row[11:] == [f"{100 * confusion[0, 0] / 980:.1f}", "%"]
    assert lines[-1].startswith("most confused: ")
    assert "test accuracy" in short_run.summary() and "18,000 images" in short_run.summary()


@real_files
def test_the_same_seed_repeats_the_run():
    first, again = (mnist.run(data_dir=REAL, epochs=1, limit=500, verbose=0, download=False,
                              seed=7) for _ in range(2))
    assert first.history.history == again.history.history
    assert np.array_equal(first.confusion, again.confusion)


def test_missing_files_raise_the_loaders_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape("train-images-idx3-ubyte.gz")):
        mnist.run(data_dir=tmp_path, download=False)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"batch_size": -5}, "batch_size must be a positive integer, got -5"),
    ({"lr": 0.0}, "lr must be a positive number, got 0.0"),
    ({"limit": 70_000}, "limit must be a positive integer at most 60,000, got 70000"),
    ({"validation_split": 0}, "validation_split must be a fraction between 0 and 1"),
])
def test_bad_settings_raise_clear_errors(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        mnist.run(data_dir=tmp_path, download=False, **kwargs)


@real_files
def test_too_few_images_to_split_is_a_clear_error():
    with pytest.raises(ValueError, match="1 training rows cannot be split"):
        mnist.run(data_dir=REAL, limit=1, download=False, verbose=0)


@real_files
def test_plot_shows_loss_and_accuracy(short_run, tmp_path):
    pytest.importorskip("matplotlib")
    fig = plots.mnist_curves(short_run, tmp_path / "mnist.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert f"{100 * short_run.test_accuracy:.2f} %" in fig.get_suptitle()
    assert (tmp_path / "mnist.png").stat().st_size > 5000
