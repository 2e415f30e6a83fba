"""The ``descend demo boston`` and ``descend demo mnist`` commands: output, options, errors."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from descend.cli import main
from descend.data.datasets import MNIST
from descend.demo import boston

REAL_MNIST = (Path(__file__).parents[1] / ".." / "shared" / "data" / "mnist").resolve()
mnist_files = pytest.mark.skipif(
    not all((REAL_MNIST / spec.name).is_file() for spec in MNIST.files),
    reason=f"no MNIST .gz files in {REAL_MNIST}")


@pytest.fixture(scope="module")
def full_run():
    """``descend demo boston`` with every default, timed; its stdout split into lines."""
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["demo", "boston"])
    return code, time.perf_counter() - start, out.getvalue().splitlines()


def test_boston_runs_well_under_a_minute(full_run):
    code, seconds, _ = full_run
    assert code == 0
    assert seconds < 60


def test_boston_says_what_the_data_is(full_run):
    text = "\n".join(full_run[2])
    for needed in ("median home value ($1000s)", "266 train", "67 validate", "173 test",
                   "population std", "fixed stand-in for the TF.js demo's",
                   "the B column is dropped", "sgd, lr 0.01, batch 40, 200 epochs, MSE loss, "
                   "seed 0"):
        assert needed in text, needed


def test_boston_prints_one_progress_line_per_model(full_run):
    progress = [line for line in full_run[2] if "/200 epochs" in line]
    assert [line.split("  ")[0] for line in progress] == [
        "linear regression", "MLP 50 sigmoid", "MLP 50-50 sigmoid"]
    assert all("  200/200 epochs   loss " in line and "   val_loss " in line
               for line in progress)
    assert all("\r" not in line for line in full_run[2])  # not a terminal: finished lines only


def test_boston_table_matches_the_function(full_run):
    lines = full_run[2]
    result = boston.run()
    table = result.table().splitlines()
    start = lines.index(table[0])
    assert lines[start:start + len(table)] == table
    assert "Linear regression weights, largest |weight| first" in "\n".join(lines)
    weights = [line.split() for line in lines if line.startswith("  ") and line.split()[0] in
               {w.code for w in result.weights}]
    assert [row[0] for row in weights] == [w.code for w in result.weights]
    assert lines[-1].startswith("done in ")


def test_boston_quiet_prints_only_the_table(capsys):
    assert main(["demo", "boston", "--quiet", "--model", "linear", "--epochs", "20"]) == 0
    out = capsys.readouterr().out.splitlines()
    expected = boston.run("linear", epochs=20).table().splitlines()
    assert out == expected


def test_boston_options_reach_the_training(capsys):
    argv = ["demo", "boston", "--model", "mlp2", "--epochs", "7", "--optimizer", "Adam",
            "--lr", "0.05", "--batch-size", "64", "--seed", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "adam, lr 0.05, batch 64, 7 epochs, MSE loss, seed 5" in out
    assert "MLP 50-50 sigmoid  7/7 epochs" in out
    expected = boston.run("mlp2", epochs=7, optimizer="adam", lr=0.05, batch_size=64, seed=5)
    assert expected.table() in out
    assert "Linear regression weights" not in out


def test_boston_plot_writes_the_curves(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves.png"
    assert main(["demo", "boston", "--epochs", "3", "--plot", str(path)]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    assert path.stat().st_size > 5000


@pytest.mark.parametrize(("argv", "message"), [
    (["--epochs", "0"], "argument --epochs: expected a positive whole number, got '0'"),
    (["--lr", "-0.1"], "argument --lr: expected a positive number, got '-0.1'"),
    (["--seed", "-1"], "argument --seed: expected a whole number, 0 or more, got '-1'"),
    (["--optimizer", "sdg"], "argument --optimizer: invalid choice: 'sdg'"),
    (["--model", "cnn"], "argument --model: invalid choice: 'cnn'"),
])
def test_boston_bad_options_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as done:
        main(["demo", "boston", *argv])
    assert done.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("demo", ["boston", "mnist"])
def test_a_plot_name_that_cannot_be_drawn_fails_before_training(demo, tmp_path, capsys):
    start = time.perf_counter()
    assert main(["demo", demo, "--plot", str(tmp_path / "curves.gif")]) == 1
    assert time.perf_counter() - start < 5
    captured = capsys.readouterr()
    assert captured.err == (f"descend: error: demo {demo}: --plot needs a file name ending in "
                            f".png, .svg or .pdf, got '{tmp_path / 'curves.gif'}'\n")
    assert captured.out == ""


def test_demo_without_a_name_lists_the_demos(capsys):
    assert main(["demo"]) == 2
    out = capsys.readouterr().out
    assert "boston" in out and "mnist" in out


@mnist_files
def test_mnist_short_run_prints_accuracy_and_confusion_matrix(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "mnist.png"
    argv = ["demo", "mnist", "--data-dir", str(REAL_MNIST), "--limit", "3000", "--epochs", "1",
            "--batch-size", "32", "--no-download", "--plot", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "lr 0.001, batch 32, 1 epoch(s), seed 0" in out
    assert "Epoch 1/1" in out  # the progress bar
    accuracy = float(out.split("test accuracy ")[1].split(" %")[0])
    assert accuracy > 80
    assert "on 2,700 images" in out
    assert "true  " in out and "most confused: " in out
    assert path.stat().st_size > 5000


@mnist_files
def test_mnist_on_two_workers_matches_one_process(capsys):
    pytest.importorskip("mpi4py")
    argv = ["demo", "mnist", "--data-dir", str(REAL_MNIST), "--limit", "3000", "--epochs", "1",
            "--no-download"]
    assert main(argv) == 0
    alone = capsys.readouterr().out
    done = subprocess.run([sys.executable, "-m", "descend.cli", *argv, "--workers", "2"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "training on 2 MPI ranks (mpiexec), 64-64 images of each batch" in done.stdout
    assert done.stdout.count("test accuracy") == 1  # rank 1 trains but prints nothing

    def scores(out):
        accuracy = float(out.split("test accuracy ")[1].split(" %")[0])
        return accuracy, float(out.split("(loss ")[1].split(")")[0])

    (acc1, loss1), (acc2, loss2) = scores(alone), scores(done.stdout)
    assert abs(acc1 - acc2) <= 0.1 and abs(loss1 - loss2) <= 1e-3  # float32 sums differ a little


def test_mnist_absent_files_say_how_to_get_them(tmp_path, capsys):
    code = main(["demo", "mnist", "--data-dir", str(tmp_path), "--no-download"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("descend demo mnist: load_mnist: MNIST file(s) train-images-idx3")
    assert f"are not in {tmp_path} and download=False was given" in err
    assert "descend demo mnist --data-dir PATH" in err
    assert "t10k-labels-idx1-ubyte.gz" in err


def test_mnist_absent_files_exit_nonzero_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "descend.cli", "demo", "mnist", "--data-dir", str(tmp_path),
         "--no-download"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "--data-dir PATH" in done.stderr
