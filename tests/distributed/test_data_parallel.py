"""Data-parallel training over MPI: N real ranks under mpiexec give one process's weights, and
a rank that fails stops every rank, named, in seconds. In one process DataParallel is a world
of size 1."""

from __future__ import annotations

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


def mpiexec(ranks: int, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    command = [MPIEXEC, "-n", str(ranks), sys.executable, *args]
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
@pytest.mark.parametrize(("how", "words"), [
    ("raise", "rank 1 of 2 failed; aborting every rank"),
    ("hang", "ranks that do not answer: 1"),
    ("kill", "EXIT CODE: 9"),  # mpiexec itself ends the job at once and names the process
])
def test_a_failing_rank_stops_every_rank_within_30_s(how, words):
    try:
        run = mpiexec(2, str(SCRIPTS / "train_fault.py"), how, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a rank that does '{how}' left the others waiting for 30 s")
    assert run.returncode != 0
    assert words in run.stdout + run.stderr
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
