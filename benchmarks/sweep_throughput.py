"""Sweep throughput: the same Boston Housing grid in a plain loop and on a Dask LocalCluster.

Trials are independent, so N worker processes should finish a grid up to N times faster than
one process, less the cluster's start and the scheduling cost per trial. This times
``dc.sweep(boston_trial, grid)`` three ways, each the same trials with the same seeds:

* ``loop``: ``executor="serial"``, one process (BLAS pinned to 1 thread);
* ``dask 2 workers``: a ``LocalCluster`` of 2 processes, 1 thread each, started inside the
  timing (what ``descend sweep`` pays);
* ``dask 2 workers, warm``: the same cluster, already running (a cluster you keep).

It checks that the three tables agree (all but the seconds column) and writes its section of
RESULTS.md. Run from the repository root::

    python benchmarks/sweep_throughput.py           # ~1 minute
    python benchmarks/sweep_throughput.py --quick   # smaller grid, prints only
"""

from __future__ import annotations

import argparse
import time

from harness import footer, format_table, others_load, pin_threads, update_results

from descend.demo.boston_sweep import boston_trial
from descend.distributed import sweep


def grid(quick: bool) -> dict[str, list]:
    """Boston MLPs (50 sigmoid units) over learning rates, optimizers and seeds."""
    return {"model": ["mlp1"], "optimizer": ["sgd", "adam"], "lr": [0.003, 0.01, 0.03],
            "epochs": [20 if quick else 60], "seed": [0, 1] if quick else [0, 1, 2, 3]}


def timed(run) -> tuple[float, list]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, [
        {k: v for k, v in r.items() if k != "seconds"} for r in result.records()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid; print only")
    args = parser.parse_args()
    pin_threads(1)
    from dask.distributed import Client, LocalCluster

    space = grid(args.quick)
    boston_trial({"model": "mlp1", "epochs": 1})  # the loop's first trial would load the data
    with others_load() as load:
        loop_s, loop = timed(lambda: sweep(boston_trial, space, executor="serial",
                                           progress=False))
    cold_s, cold = timed(lambda: sweep(boston_trial, space, workers=2, progress=False))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        warm_s, warm = timed(lambda: sweep(boston_trial, space, client=client, progress=False))
    assert loop == cold == warm, "the sweep's table differs between the loop and Dask"
    n = len(loop)
    rows = [[name, str(n), f"{s:.2f} s", f"{n / s:.2f}", f"{loop_s / s:.2f}×"]
            for name, s in (("loop (1 process)", loop_s), ("dask 2 workers, cold", cold_s),
                            ("dask 2 workers, warm", warm_s))]
    table = format_table(["run", "trials", "time", "trials/s", "speed-up"], rows)
    text = "\n".join([
        "## sweep_throughput: a Boston grid in a loop and on a Dask LocalCluster",
        "",
        f"`dc.sweep(boston_trial, grid)`: {n} trials of the Boston MLP (50 sigmoid units, "
        f"{space['epochs'][0]} epochs) over 2 optimizers × 3 learning rates × "
        f"{len(space['seed'])} seeds; every BLAS pinned to 1 thread. *cold* starts the "
        "LocalCluster inside the timing (as `descend sweep boston` does), *warm* reuses a "
        "running one. Dask starts its workers with OMP/OpenBLAS/MKL_NUM_THREADS=1. "
        "The three tables agree, all but the seconds column.",
        "",
        table,
        "",
        f"CPU used by others during the loop: {load['others']:.0%} (the Dask runs cannot "
        "tell their workers from others)." if "others" in load else "",
        *footer("sweep_throughput.py"),
    ])
    print(text)
    if not args.quick:
        update_results("sweep_throughput", text)


if __name__ == "__main__":
    main()
