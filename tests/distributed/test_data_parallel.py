"""Data-parallel training over MPI: N real ranks under mpiexec give one process's weights, and
a rank that fails stops every rank, named, in seconds. In one process DataParallel is a world
of size 1."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from descend.distributed.metric_sums import check_combinable
from descend.distributed.parallel import _buckets

pytest.importorskip("mpi4py")
SCRIPTS = Path(__file__).with_name("mpi")
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or \
    shutil.which("mpiexec")
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (pip install mpich)")


def mpiexec(ranks: int, *args: str, timeout: float = 60,
            options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [MPIEXEC, *options, "-n", str(ranks), sys.executable, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def weights(prefix: Path, rank: int) -> list[np.ndarray]:
    with np.load(f"{prefix}.rank{rank}.npz") as saved:
        return [saved[name] for name in saved.files]


@needs_mpiexec
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_give_one_process_weights(tmp_path, optimizer, ranks):
    """47 rows in global batches of 10 (shards 5+5, or 4+3+3; the last batch of 7 uneven too),
    20 steps, float64: every rank ends with the weights of one process with batch 10."""
    script = str(SCRIPTS / "train_loop.py")
    plain = subprocess.run([sys.executable, script, optimizer, "10", "20",
                            str(tmp_path / "one"), "--plain"], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    run = mpiexec(ranks, script, optimizer, "10", "20", str(tmp_path / "dp"))
    assert run.returncode == 0, run.stderr
    reference = weights(tmp_path / "one", 0)
    for rank in range(ranks):
        for ours, theirs in zip(weights(tmp_path / "dp", rank), reference):
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    moved = weights(tmp_path / "one", 0)[0]
    assert np.abs(moved).max() > 0.1


def fit_run(tmp_path: Path, name: str, ranks: int, *args: str) -> dict:
    """Run fit_dp.py (plain when ranks is 0); every rank's weights and history by rank."""
    prefix = str(tmp_path / name)
    script = str(SCRIPTS / "fit_dp.py")
    run = (subprocess.run([sys.executable, script, args[0], prefix, *args[1:]],
                          capture_output=True, text=True, timeout=60) if ranks == 0
           else mpiexec(ranks, script, args[0], prefix, *args[1:]))
    assert run.returncode == 0, run.stdout + run.stderr
    return {rank: (weights(Path(prefix), rank),
                   json.loads(Path(f"{prefix}.rank{rank}.json").read_text()),
                   Path(f"{prefix}.chief.rank{rank}").exists())
            for rank in range(max(ranks, 1))}


@needs_mpiexec
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("ranks", [2, 3])
def test_fit_distributed_gives_one_process_fit(tmp_path, optimizer, ranks):
    """model.fit(..., distribute=DataParallel()): 43 training rows in batches of 10 (the last
    of 3), 4 epochs, validation, a metric; other ranks start from other weights. Every rank
    ends with one process's weights and History, and a chief-only callback ran on rank 0 only.
    """
    (one, one_history, _), = fit_run(tmp_path, "one", 0, optimizer, "plain").values()
    for rank, (ours, history, chief_ran) in fit_run(tmp_path, "dp", ranks, optimizer,
                                                      "dp").items():
        for a, b in zip(ours, one):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        for key, values in one_history["history"].items():
            np.testing.assert_allclose(history["history"][key], values, rtol=1e-9, atol=1e-12)
        assert chief_ran == (rank == 0)


@needs_mpiexec
def test_fit_distributed_with_the_compiled_step(tmp_path):
    """jit_compile=True replays the gradient sum (an optimizer step pre-hook) at every step."""
    (one, _, _), = fit_run(tmp_path, "one", 0, "adam", "plain").values()
    for ours, _, _ in fit_run(tmp_path, "jit", 2, "adam", "jit").values():
        for a, b in zip(ours, one):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@needs_mpiexec
def test_a_stop_on_one_rank_stops_every_rank(tmp_path):
    runs = fit_run(tmp_path, "stop", 3, "adam", "stop")
    assert [history["epochs_trained"] for _, history, _ in runs.values()] == [2, 2, 2]


@needs_mpiexec
@pytest.mark.parametrize("resume_ranks", [0, 3])
def test_a_checkpoint_of_2_ranks_resumes_on_1_or_3(tmp_path, resume_ranks):
    (one, one_history, _), = fit_run(tmp_path, "one", 0, "adam", "plain").values()
    fit_run(tmp_path, "ckpt", 2, "adam", "save")
    for ours, history, _ in fit_run(tmp_path, "ckpt", resume_ranks, "adam", "resume").values():
        assert history["epochs_trained"] == 4
        for a, b in zip(ours, one):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        np.testing.assert_allclose(history["history"]["loss"], one_history["history"]["loss"][2:],
                                   rtol=1e-9)


@needs_mpiexec
@pytest.mark.parametrize("ranks", [2, 3])
def test_metrics_combined_over_ranks_equal_the_whole_data(ranks):
    """Mean metrics with sample weights, R² of two outputs, a confusion matrix of inferred
    size, a macro precision and accuracies; one rank sees no sample at all."""
    run = mpiexec(ranks, str(SCRIPTS / "metrics_combine.py"))
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_metric_that_cannot_be_combined_is_named():
    class Median(dc.metrics.Metric):
        default_name = "median"

        def reset(self):
            self.values = []

    check_combinable([dc.metrics.MeanAbsoluteError(), dc.metrics.Precision()], "fit")
    with pytest.raises(TypeError, match="the metric 'median' \\(Median\\) cannot be combined"):
        check_combinable([Median()], "fit")


@needs_mpiexec
@pytest.mark.parametrize(("how", "options", "words"), [
    ("raise", (), "rank 1 of 3 failed; aborting every rank"),
    ("hang", (), "rank [02] of 3 waited 5 s for the gradient allreduce; ranks that do not "
                 "answer: 1"),  # whichever gives up first aborts the other
    # A killed rank: MPICH's mpiexec ends the job itself, naming the signal. With
    # -disable-auto-cleanup the others usually outlive it long enough to name the rank first
    # (measured: 3 runs in 4), but mpiexec may still end the job before they do.
    ("kill", ("-disable-auto-cleanup",), "ranks that do not answer: 1|Killed \\(signal 9\\)"),
    ("kill", (), "Killed \\(signal 9\\)"),
])
def test_a_failing_rank_stops_every_rank_within_30_s(how, options, words):
    try:
        run = mpiexec(3, str(SCRIPTS / "train_fault.py"), how, timeout=30, options=options)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a rank that does '{how}' left the others waiting for 30 s")
    assert run.returncode != 0
    assert re.search(words, run.stdout + run.stderr), run.stdout + run.stderr
    assert "rank 0 finished" not in run.stdout


def test_one_process_is_a_world_of_one():
    dp = dc.distributed.DataParallel()
    assert (dp.rank, dp.size, dp.is_chief) == (0, 1, True)
    assert dp.shard(np.arange(7)).tolist() == list(range(7)) and dp.weight == 1.0
    w = dc.tensor([1.0, 2.0], requires_grad=True)
    b = dc.tensor([0.0], requires_grad=True)  # no gradient: counts as zero
    (w * w).sum().backward()
    dp.broadcast_parameters([w, b])
    dp.allreduce_gradients([w, b])  # the whole batch on one rank: nothing to do
    assert w.grad.numpy().tolist() == [2.0, 4.0] and b.grad is None
    dp.allreduce_gradients([w, b], weight=0.5)
    assert w.grad.numpy().tolist() == [1.0, 2.0] and b.grad.numpy().tolist() == [0.0]
    assert dp.any(True) and not dp.any(False)
    assert dp.sum([1.5]).tolist() == [1.5]


def test_fit_in_a_world_of_one_is_plain_fit():
    def trained(distribute):
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=3), dc.nn.Dense(1)])
        model.compile(dc.optim.Adam(lr=0.01), "mse", metrics=["mae"])
        x = np.random.default_rng(0).normal(size=(30, 3))
        history = model.fit(x, x.sum(axis=1), batch_size=8, epochs=3, verbose=0, seed=0,
                            validation_split=0.2, distribute=distribute)
        return model.get_weights(), history.history

    (w1, h1), (w2, h2) = trained(None), trained(dc.distributed.DataParallel())
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2)) and h1 == h2


def test_fit_refuses_a_metric_it_cannot_combine():
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile("sgd", "mse", metrics=[dc.metrics.MeanMetric(lambda t, p: t - p, name="d")])
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0, distribute=dc.distributed.DataParallel())

    class Last(dc.metrics.Metric):
        default_name = "last"

        def reset(self):
            self.value = 0.0

        def update(self, y_true, y_pred, sample_weight=None):
            self.value = float(np.asarray(y_pred).ravel()[-1])

        def result(self):
            return self.value

    model.compile("sgd", "mse", metrics=[Last()])
    with pytest.raises(TypeError, match="'last' \\(Last\\) cannot be combined over ranks"):
        model.fit(np.ones((4, 2)), np.ones(4), verbose=0,
                  distribute=dc.distributed.DataParallel())


def test_an_empty_batch_weighs_nothing():
    dp = dc.distributed.DataParallel()
    assert dp.shard(np.arange(0)).size == 0 and dp.weight == 0.0


def test_buckets_split_by_dtype_and_size():
    params = [dc.tensor(np.zeros(n), dtype=dtype, requires_grad=True)
              for n, dtype in [(100, np.float64), (100, np.float64), (10, np.float32),
                               (300, np.float64)]]
    sizes = [[p.data.size for p in bucket] for bucket in _buckets(params, limit=2000)]
    assert sizes == [[100, 100], [300], [10]]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"timeout": 0}, "timeout must be positive"),
    ({"bucket_bytes": 10}, "bucket_bytes must be an integer of at least 1024"),
])
def test_bad_settings_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        dc.distributed.DataParallel(**kwargs)


def test_shard_takes_row_indices():
    with pytest.raises(ValueError, match="1-D array of row indices"):
        dc.distributed.DataParallel().shard(np.zeros((2, 2), int))
