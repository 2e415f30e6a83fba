"""``dc.sweep``: run a grid or a random search of training runs as independent trials.

Each trial calls ``train_fn(settings)`` with one combination of hyperparameters, after
``dc.seed`` with the trial's own seed, so a trial gives the same numbers wherever it runs: on a
Dask cluster, in a process pool, or in a plain loop. Where the trials run:

* ``client=None`` (the default): the Dask scheduler named by the environment variable
  ``DESCEND_DASK_SCHEDULER`` (``tcp://host:8786``) if set, else a Dask ``LocalCluster`` of
  ``workers`` processes with one thread each, started for the sweep and closed after it;
* ``client=`` a ``dask.distributed.Client``: its cluster (left running);
* ``executor=`` any ``concurrent.futures.Executor``, or ``"serial"`` for a loop in this process.

A trial that raises records its error and the sweep goes on. ``train_fn`` must be importable
by the workers (a function defined in a module, or in ``__main__`` with Dask's cloudpickle).

>>> def train(settings):
...     import descend as dc
...     w = dc.tensor(5.0, requires_grad=True)
...     opt = dc.optim.SGD([w], lr=settings["lr"])
...     for _ in range(10):
...         opt.zero_grad(); loss = w * w; loss.backward(); opt.step()
...     return {"loss": loss.item()}
>>> result = sweep(train, {"lr": [0.01, 0.1, 0.4]}, executor="serial", progress=False)
>>> [t.settings["lr"] for t in result.ranked("loss")]
[0.4, 0.1, 0.01]
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from descend import backend
from descend.distributed.results import SweepResult, TrialResult, read_outcome
from descend.distributed.space import WHERE, Value, trial_settings

SCHEDULER_VARIABLE = "DESCEND_DASK_SCHEDULER"
"""The environment variable naming a running Dask scheduler for sweeps without a client."""

TrainFn = Callable[[dict[str, Value]], Any]


def trial_seeds(settings: list[dict[str, Value]], seed: int) -> list[int]:
    """Each trial's seed: its ``"seed"`` setting when the space has one, else one drawn for it
    from ``seed`` (independent streams, the same on every machine).

    >>> trial_seeds([{"seed": 3}, {"seed": 4}], 0)
    [3, 4]
    >>> trial_seeds([{}, {}], 0) == trial_seeds([{}, {}], 0) != trial_seeds([{}, {}], 1)
    True
    """
    drawn = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(settings))]
    seeds = []
    for one, fallback in zip(settings, drawn):
        value = one.get("seed", fallback)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{WHERE}: the 'seed' setting must be a non-negative integer, got "
                             f"{value!r}")
        seeds.append(value)
    return seeds


def run_trial(train_fn: TrainFn, index: int, settings: dict[str, Value],
              seed: int) -> TrialResult:
    """Seed descend, run ``train_fn(settings)``, and record what it returned or raised.

    This is the task a worker runs; it never raises for the trial's own errors.

    >>> run_trial(lambda s: 1 / 0, 0, {}, 0).error
    'ZeroDivisionError: division by zero'
    """
    backend.seed(seed)
    start = time.perf_counter()
    try:
        metrics, history = read_outcome(train_fn(dict(settings)))
    except Exception as error:  # a failed trial is a result, not the end of the sweep
        return TrialResult(index, settings, seed, {}, {}, time.perf_counter() - start,
                           f"{type(error).__name__}: {error}")
    return TrialResult(index, settings, seed, metrics, history, time.perf_counter() - start)


def sweep(train_fn: TrainFn, space: Mapping[str, Any], n_trials: int | None = None,
          client: Any = None, *, executor: concurrent.futures.Executor | str | None = None,
          workers: int | None = None, seed: int = 0, progress: bool = True) -> SweepResult:
    """Run ``train_fn`` once per trial of ``space`` and gather what each trial measured.

    Args:
        train_fn: ``train_fn(settings) -> metrics``: takes a dict of hyperparameters, returns
            a dict of final metrics, a ``History``, or its ``.history`` dict.
        space: hyperparameter names to lists of values or distributions (see
            :mod:`descend.distributed.space`).
        n_trials: ``None`` for the whole grid; a number for a random search of that many.
        client: a ``dask.distributed.Client`` to run on (default: see the module docs).
        executor: instead of Dask, a ``concurrent.futures.Executor`` or ``"serial"``.
        workers: processes of the ``LocalCluster`` started when there is no client
            (default: the number of CPU cores, at most 4).
        seed: seeds the random search and the trials without a ``"seed"`` setting.
        progress: show a progress bar on stderr as trials finish (tqdm when installed).

    Returns:
        A :class:`~descend.distributed.results.SweepResult`, in trial order.
    """
    if not callable(train_fn):
        raise TypeError(f"{WHERE}: train_fn must be a function of the settings dict, got "
                        f"{type(train_fn).__name__}")
    settings = trial_settings(space, n_trials, seed=seed)
    seeds = trial_seeds(settings, seed)
    with _executor(client, executor, workers) as pool:
        futures = [pool.submit(run_trial, train_fn, i, s, seeds[i])
                   for i, s in enumerate(settings)]
        finished = concurrent.futures.as_completed(futures)
        trials = [future.result() for future in _with_progress(finished, len(futures), progress)]
    return SweepResult(trials)


@contextlib.contextmanager
def _executor(client: Any, executor: Any, workers: int | None) -> Iterator[Any]:
    """The executor trials are submitted to, closed afterwards when the sweep made it."""
    if client is not None and executor is not None:
        raise ValueError(f"{WHERE}: give a Dask client or an executor, not both")
    if executor == "serial":
        yield _SerialExecutor()
    elif executor is not None:
        if not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(f"{WHERE}: executor must be a concurrent.futures.Executor or "
                            f"'serial', got {executor!r}")
        yield executor
    elif client is not None:
        yield _dask_executor(client)
    else:
        with _own_dask_client(workers) as own:
            yield _dask_executor(own)


def _dask_executor(client: Any) -> concurrent.futures.Executor:
    if not hasattr(client, "get_executor"):
        raise TypeError(f"{WHERE}: client must be a dask.distributed.Client, got "
                        f"{type(client).__name__}")
    return client.get_executor(pure=False)


@contextlib.contextmanager
def _own_dask_client(workers: int | None) -> Iterator[Any]:
    """A client of the scheduler in ``$DESCEND_DASK_SCHEDULER``, or of a new LocalCluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(f"{WHERE}: running on Dask needs dask.distributed "
                          "(pip install 'descend[distributed]'); or pass executor='serial' "
                          "or a concurrent.futures executor") from None
    address = os.environ.get(SCHEDULER_VARIABLE)
    if address:
        with Client(address) as client:
            yield client
        return
    count = workers or min(os.cpu_count() or 1, 4)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"{WHERE}: workers must be a positive integer, got {workers!r}")
    with LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


class _SerialExecutor(concurrent.futures.Executor):
    """Runs each task at once, in this process: the loop a sweep is compared with."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _with_progress(finished: Iterator[Any], total: int, show: bool) -> Iterator[Any]:
    if not show:
        yield from finished
        return
    try:
        from tqdm import tqdm
    except ImportError:
        for done, item in enumerate(finished, start=1):
            print(f"\r{WHERE}: {done}/{total} trials", end="", file=sys.stderr, flush=True)
            yield item
        print(file=sys.stderr)
        return
    yield from tqdm(finished, total=total, desc=WHERE, unit="trial", file=sys.stderr)
