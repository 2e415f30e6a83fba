"""Sweeps: every trial runs once with its own seed; failures are recorded and the sweep goes on;
the table is the same in a loop, a thread pool and a real Dask LocalCluster of 2 processes."""

from __future__ import annotations

import concurrent.futures
import csv

import pytest

import descend as dc
from descend.demo.boston_sweep import boston_trial
from descend.distributed import SCHEDULER_VARIABLE, SweepResult, TrialResult, run_trial, sweep
from descend.distributed.search import trial_seeds

SPACE = {"model": ["linear"], "optimizer": ["sgd", "adam"], "lr": [0.01, 0.1], "epochs": [3]}


def noisy_trial(settings):
    """A trial whose result depends on descend's RNG: the seed must be set per trial."""
    w = dc.randn(4, requires_grad=True)
    opt = dc.optim.SGD([w], lr=settings["lr"])
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"loss": losses}


def comparable(result: SweepResult) -> list[dict]:
    """The records without the wall-clock time, which is all that may differ between runs."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in result.records()]


def test_each_trial_once_in_order_with_curves():
    result = sweep(noisy_trial, {"lr": [0.1, 0.2, 0.3]}, executor="serial", progress=False)
    assert [t.index for t in result] == [0, 1, 2]
    assert [t.settings["lr"] for t in result] == [0.1, 0.2, 0.3]
    assert all(len(t.history["loss"]) == 5 and t.metrics["loss"] == t.history["loss"][-1]
               for t in result)
    assert len({t.seed for t in result}) == 3


def test_seeded_per_trial_so_order_does_not_matter():
    one = sweep(noisy_trial, {"lr": [0.1, 0.2]}, executor="serial", progress=False)
    dc.seed(12345)  # whatever ran before must not change a trial
    again = sweep(noisy_trial, {"lr": [0.1, 0.2]}, executor="serial", progress=False)
    assert comparable(one) == comparable(again)
    other_seed = sweep(noisy_trial, {"lr": [0.1, 0.2]}, executor="serial", progress=False,
                       seed=1)
    assert comparable(one) != comparable(other_seed)


def test_a_seed_setting_is_the_trial_seed():
    result = sweep(noisy_trial, {"lr": [0.1], "seed": [3, 4]}, executor="serial",
                   progress=False)
    assert [t.seed for t in result] == [3, 4]
    assert result.table().splitlines()[0].split() == ["trial", "lr", "seed", "loss", "seconds"]
    with pytest.raises(ValueError, match="'seed' setting must be a non-negative integer"):
        trial_seeds([{"seed": -1}], 0)


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on():
    def train(settings):
        if settings["lr"] > 1:
            raise FloatingPointError("diverged")
        return {"loss": settings["lr"]}

    result = sweep(train, {"lr": [0.5, 5.0, 0.1]}, executor="serial", progress=False)
    assert [t.error for t in result] == [None, "FloatingPointError: diverged", None]
    assert result[1].metrics == {}
    assert [t.index for t in result.ranked("loss")] == [2, 0]
    table = result.table()
    assert "trial 1 failed: FloatingPointError: diverged" in table


def test_a_bad_return_value_fails_that_trial_with_a_sentence():
    result = sweep(lambda s: "done", {"x": [1]}, executor="serial", progress=False)
    assert "must return a dict of metrics" in result[0].error


def test_thread_pool_gives_the_loop_table():
    loop = sweep(noisy_trial, {"lr": [0.05, 0.1, 0.2]}, executor="serial", progress=False)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threads = sweep(noisy_trial, {"lr": [0.05, 0.1, 0.2]}, executor=pool, progress=False)
    # descend's RNG is one per process: threads draw in turn, which here is still per trial
    assert [t.settings for t in threads] == [t.settings for t in loop]


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_dask_cluster_gives_the_loop_table(dask_client):
    on_cluster = sweep(boston_trial, SPACE, client=dask_client, progress=False)
    in_loop = sweep(boston_trial, SPACE, executor="serial", progress=False)
    assert len(on_cluster) == 4
    assert comparable(on_cluster) == comparable(in_loop)
    workers = dask_client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2


def test_dask_records_a_failing_trial(dask_client):
    result = sweep(boston_trial, {"model": ["linear", "nope"], "epochs": [2]},
                   client=dask_client, progress=False)
    assert result[0].error is None
    assert "unknown model 'nope'" in result[1].error


def test_scheduler_from_the_environment(dask_client, monkeypatch):
    monkeypatch.setenv(SCHEDULER_VARIABLE, dask_client.scheduler.address)
    result = sweep(boston_trial, {"model": ["linear"], "epochs": [2]}, progress=False)
    assert result[0].error is None and len(result[0].history["val_loss"]) == 2


def test_random_search_on_dask_matches_the_loop(dask_client):
    space = {"lr": dc.distributed.LogUniform(1e-3, 1e-1), "model": ["linear"], "epochs": [2]}
    on_cluster = sweep(boston_trial, space, 3, dask_client, progress=False, seed=7)
    in_loop = sweep(boston_trial, space, 3, executor="serial", progress=False, seed=7)
    assert comparable(on_cluster) == comparable(in_loop)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="train_fn must be a function"):
        sweep("train", {"x": [1]}, executor="serial")
    with pytest.raises(ValueError, match="a Dask client or an executor, not both"):
        sweep(noisy_trial, {"lr": [1]}, client=object(), executor="serial")
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        sweep(noisy_trial, {"lr": [1]}, executor="threads")
    with pytest.raises(TypeError, match=r"client must be a dask\.distributed\.Client"):
        sweep(noisy_trial, {"lr": [1]}, client="tcp://127.0.0.1:1")


def test_results_table_csv_and_best(tmp_path):
    result = SweepResult([TrialResult(1, {"lr": 0.01}, 5, {"loss": 0.2}),
                          TrialResult(0, {"lr": 0.1}, 4, {"loss": 0.4}),
                          TrialResult(2, {"lr": 1.0}, 6, {}, error="ValueError: nan")])
    assert [t.index for t in result] == [0, 1, 2]
    assert result.best("loss").index == 1
    assert result.best("loss", mode="max").index == 0
    path = tmp_path / "sweep.csv"
    result.to_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert [r["trial"] for r in rows] == ["0", "1", "2"]
    assert rows[2]["error"] == "ValueError: nan" and rows[2]["loss"] == ""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        result.to_csv(tmp_path / "no" / "sweep.csv")
    with pytest.raises(ValueError, match="no trial measured 'acc'"):
        result.best("acc")
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        result.ranked("loss", mode="lowest")


def test_run_trial_never_raises_for_the_trial():
    assert run_trial(lambda s: {"x": [1.0, "a"]}, 0, {}, 0).error.startswith("TypeError")
