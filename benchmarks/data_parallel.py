"""Data-parallel throughput: the MNIST MLP at global batch 1024 on 1 and 2 MPI ranks.

Each rank runs the custom data-parallel loop (``DataParallel.shard``, forward, backward,
``allreduce_gradients``, Adam) on its half of every global batch, with one BLAS thread; the
script starts ``mpiexec -n 1`` and ``mpiexec -n 2`` of itself and reads rank 0's figures:
samples per second and the time of the gradient allreduce per step. From the measured allreduce
it fits the ring-allreduce model and projects the scaling to larger clusters (every assumption
is printed with the table). Run from the repository root::

    python benchmarks/data_parallel.py           # ~1 minute; writes its section of RESULTS.md
    python benchmarks/data_parallel.py --quick   # fewer steps, prints only
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import footer, format_table, pin_threads, update_results

GLOBAL_BATCH = 1024
LAYERS = (784, 256, 10)
LINKS = {"10 Gb/s Ethernet": (10e9 / 8, 30e-6), "100 Gb/s InfiniBand": (100e9 / 8, 2e-6)}
"""Bandwidth (bytes/s) and per-message latency assumed for each network in the projection."""
RANKS = (8, 64, 512)


def worker(steps: int) -> None:
    """One rank: time ``steps`` data-parallel steps after 3 warm-up steps; rank 0 prints JSON."""
    import numpy as np

    import descend as dc

    pin_threads(1)
    dp = dc.distributed.DataParallel(timeout=120)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8 * GLOBAL_BATCH, LAYERS[0])).astype(np.float32)
    y = rng.integers(0, 10, size=len(x))
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(LAYERS[1], activation="relu", input_dim=LAYERS[0]),
                           dc.nn.Dense(LAYERS[2])])
    params = list(model.parameters())
    dp.broadcast_parameters(params)
    opt = dc.optim.Adam(params, lr=1e-3)

    def step(i: int) -> None:
        rows = dp.shard(np.arange(i * GLOBAL_BATCH, (i + 1) * GLOBAL_BATCH) % len(x))
        opt.zero_grad()
        loss = dc.losses.sparse_categorical_crossentropy(y[rows], model(x[rows]),
                                                         from_logits=True)
        loss.backward()
        dp.allreduce_gradients(params)
        opt.step()

    for i in range(3):
        step(i)
    dp.sum([0.0])  # start together
    dp.allreduce_seconds = 0.0
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    seconds = time.perf_counter() - start
    if dp.is_chief:
        print(json.dumps({"ranks": dp.size, "seconds": seconds, "steps": steps,
                          "allreduce": dp.allreduce_seconds / steps,
                          "bytes": sum(p.data.nbytes for p in params)}))


def launch(ranks: int, steps: int) -> dict:
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or "mpiexec"
    out = subprocess.run([mpiexec, "-n", str(ranks), sys.executable, __file__, "--worker",
                          "--steps", str(steps)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ring_seconds(nbytes: float, ranks: int, bandwidth: float, latency: float) -> float:
    """Ring allreduce: 2(N−1) messages of nbytes/N each way, 2(N−1)/N × nbytes sent per rank."""
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def projection(one: dict) -> str:
    """Efficiency at larger N (each rank keeping 512 rows a step) and the per-rank batch from
    which the allreduce would hide behind the backward pass."""
    per_sample = one["seconds"] / one["steps"] / GLOBAL_BATCH
    local = GLOBAL_BATCH // 2
    rows = []
    for link, (bandwidth, latency) in LINKS.items():
        for ranks in RANKS:
            comm = ring_seconds(one["bytes"], ranks, bandwidth, latency)
            compute = per_sample * local
            hide = comm / per_sample
            rows.append([link, str(ranks), f"{comm * 1e3:.2f} ms", f"{compute * 1e3:.1f} ms",
                         f"{compute / (compute + comm):.0%}",
                         f"{compute / max(compute, comm):.0%}",
                         f"{hide:,.0f} rows ({hide * ranks:,.0f} global)"])
    return format_table(["network", "ranks", "allreduce", "compute (512 rows)",
                         "efficiency, no overlap", "with overlap",
                         "allreduce hidden from a batch of"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    steps = args.steps or (10 if args.quick else 40)
    if args.worker:
        worker(steps)
        return
    one, two = launch(1, steps), launch(2, steps)
    rate = {r["ranks"]: GLOBAL_BATCH * r["steps"] / r["seconds"] for r in (one, two)}
    table = format_table(
        ["ranks", "samples/s", "speed-up", "step", "allreduce per step (with waiting)"],
        [[str(r["ranks"]), f"{rate[r['ranks']]:,.0f}", f"{rate[r['ranks']] / rate[1]:.2f}×",
          f"{r['seconds'] / r['steps'] * 1e3:.1f} ms", f"{r['allreduce'] * 1e3:.2f} ms"]
         for r in (one, two)])
    text = "\n".join([
        "## data_parallel: the MNIST MLP at global batch 1024 on 1 and 2 MPI ranks",
        "",
        f"A {'-'.join(map(str, LAYERS))} ReLU MLP, float32, softmax cross-entropy, Adam; "
        f"global batch {GLOBAL_BATCH} split evenly over the ranks; {steps} timed steps after "
        "3 warm-up steps; one BLAS thread per rank; `mpiexec` of the mpich wheel on this "
        f"machine (shared memory). Gradients: {one['bytes'] / 2**20:.2f} MiB a step in one "
        "bucket. Target: ≥ 1.7× with 2 ranks.",
        "",
        table,
        "",
        "**Projection** (a model, not a measurement): the ring allreduce sends "
        "2(N−1)/N × the gradient bytes per rank in 2(N−1) messages; assumed bandwidth and "
        "per-message latency: " + "; ".join(
            f"{k} {b * 8 / 1e9:g} Gb/s, {lat * 1e6:g} µs" for k, (b, lat) in LINKS.items())
        + f". Compute per sample is the 1-rank step time / {GLOBAL_BATCH} "
        f"({one['seconds'] / one['steps'] / GLOBAL_BATCH * 1e6:.1f} µs, this CPU, 1 thread), "
        "each rank keeping 512 rows a step; no allreduce/backward overlap in 'no overlap' "
        "(descend today), full overlap in 'with overlap'.",
        "",
        projection(one),
        "",
        *footer("data_parallel.py"),
    ])
    print(text)
    if not args.quick:
        update_results("data_parallel", text)


if __name__ == "__main__":
    main()
