"""What ``dc.callbacks.Dashboard`` costs a fit: fit time with and without it.

Two workloads: the Boston MLP (``Dense(50, sigmoid) → Dense(1)``, SGD, batch 40, the demo's
recipe, 200 epochs per call) and the MNIST MLP (784-256-10 ReLU, Adam, batch 128, one epoch
of 54,000 images with 6,000 validating per call, as ``descend demo mnist``; the real MNIST
files when found in ``$DESCEND_DATA/mnist`` or ``shared/data/mnist``, else random data of
MNIST's shape, which costs the same). The **dashboard** variant adds
``Dashboard(quiet=True)``, and an open page is played by another process (a browser is one):
it follows the server's list of fits and every new fit's Server-Sent Events as the page
does, so the server's work for a page (in a thread of the training process) competes for
the interpreter too. Variants are interleaved round by round and the overhead is the median
of the paired ratios, at one BLAS thread, of the wall time and of the training thread's CPU
time (the second is what the callback itself costs, and moves much less when other
processes load the machine); the CPU time the server's threads take beside it is reported
too. The target (issue 21): at most 5 %.

Run from the repository root (needs the ``web`` and ``bench`` extras)::

    python benchmarks/dashboard_overhead.py            # 7 rounds, about 1 min
    python benchmarks/dashboard_overhead.py --quick    # 3 rounds
    python benchmarks/dashboard_overhead.py --rounds 21  # a busy machine
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from harness import machine_info, others_load, pin_threads

import descend as dc
from descend.demo import boston
from descend.serve.local import ensure_server

TARGET = 1.05


def _mnist(rows: int) -> tuple[np.ndarray, np.ndarray, str]:
    for folder in (os.environ.get("DESCEND_DATA", "") + "/mnist",
                   Path(__file__).resolve().parents[1] / "shared/data/mnist",
                   Path(__file__).resolve().parents[2] / "shared/data/mnist"):
        if Path(folder, "train-images-idx3-ubyte.gz").exists():
            (x, y), _ = dc.datasets.load_mnist(folder, download=False, as_float=True)
            return x[:rows].reshape(rows, -1), y[:rows], "real MNIST"
    rng = np.random.default_rng(0)
    x = rng.random((rows, 784), dtype=np.float32)
    return x, rng.integers(0, 10, rows), "random data of MNIST's shape"


def workloads() -> dict[str, tuple[Callable[[list], None], str]]:
    """Each workload: a function fitting once with the given callbacks, and its description."""
    data = boston.load_data()

    def fit_boston(callbacks: list) -> None:
        dc.seed(0)
        model = boston.build_model(1)
        model.compile(optimizer=dc.optim.SGD(lr=0.01), loss="mse", metrics=["mae"])
        model.fit(*data["train"], validation_data=data["validation"], epochs=200, batch_size=40,
                  verbose=0, seed=0, callbacks=callbacks)

    x, y, source = _mnist(60_000)

    def fit_mnist(callbacks: list) -> None:
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(256, activation="relu", input_dim=784),
                               dc.nn.Dense(10)])
        model.compile(optimizer=dc.optim.Adam(lr=1e-3),
                      loss=dc.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x, y, epochs=1, batch_size=128, validation_split=0.1, verbose=0, seed=0,
                  callbacks=callbacks)

    return {"Boston MLP 50 sigmoid, 200 epochs": (fit_boston, "266 rows, batch 40"),
            "MNIST MLP 784-256-10, 1 epoch": (fit_mnist, f"54,000 images ({source}), "
                                                         "batch 128")}


def watch(url: str) -> None:
    """An open dashboard page, in a process of its own as a browser is: it follows the
    server's list of fits (``/api/runs/changes``, pushed at each change) and the events of
    each new fit until its end, reading every message, and never stops (the benchmark ends it).
    """
    host, port = url.split("//")[1].rstrip("/").split(":")
    followed: set[str] = set()
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("GET", "/api/runs/changes?kind=fit")
    changes = connection.getresponse()
    print("watching", flush=True)  # (the benchmark waits for this)
    for line in changes:
        if not line.startswith(b"data: "):
            continue
        for run in json.loads(line[6:])["runs"]:
            if run["status"] == "running" and run["id"] not in followed:
                followed.add(run["id"])
                threading.Thread(target=follow, args=(host, int(port), run["id"]),
                                 daemon=True).start()


def open_page(url: str) -> subprocess.Popen:
    """Start :func:`watch` in a process of its own, once it follows the list of fits."""
    page = subprocess.Popen([sys.executable, __file__, "--watch", url], stdout=subprocess.PIPE,
                            text=True)
    page.stdout.readline()  # (its "watching")
    return page


def follow(host: str, port: int, run_id: str) -> None:
    """Read a run's event stream to its end, as the page does (parsing each message)."""
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request("GET", f"/api/runs/{run_id}/events")
    for line in connection.getresponse():
        if line.startswith(b"data: "):
            json.loads(line[6:])
    connection.close()


def _timed(fit: Callable[[list], None], callbacks: list) -> tuple[float, float, float]:
    """Wall time, this thread's CPU time, and the CPU time of the process's other threads
    (the server's) during one fit."""
    wall, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
    fit(callbacks)
    cpu = time.thread_time() - cpu
    return time.perf_counter() - wall, cpu, time.process_time() - process - cpu


def measure(rounds: int, rate: float | None = None) -> list[dict]:
    """Per workload: median fit time without and with the Dashboard (interleaved rounds, the
    order swapped every round) and
    the medians of the paired ratios of wall time and of the training thread's CPU time, plus
    the other threads' CPU time as a share of the fit's."""
    server = ensure_server(port=0)
    page = open_page(server.url)
    results = []
    try:
        for label, (fit, note) in workloads().items():
            fit([])  # warm up both
            options = {"port": 0, "quiet": True, **({"rate": rate} if rate else {})}
            fit([dc.callbacks.Dashboard(**options)])
            bare, board = [], []
            for round_ in range(rounds):  # ABBA order: neither variant always runs first
                for variant in ((bare, board) if round_ % 2 == 0 else (board, bare)):
                    callbacks = [dc.callbacks.Dashboard(**options)] * (variant is board)
                    variant.append(_timed(fit, callbacks))
                    time.sleep(0.05)  # the page's last requests are answered
            wall = [b[0] / a[0] for a, b in zip(bare, board)]
            cpu = [b[1] / a[1] for a, b in zip(bare, board)]
            results.append({
                "workload": label, "note": note,
                "fit_s": statistics.median(a[0] for a in bare),
                "dashboard_s": statistics.median(b[0] for b in board),
                "wall": _spread(wall), "cpu": _spread(cpu),
                "others": statistics.median(b[2] / b[1] for b in board)})
    finally:
        page.kill()
        page.wait()
    return results


def _spread(ratios: list[float]) -> str:
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return f"{statistics.median(ratios) - 1:+.1%} [{q[0] - 1:+.1%}, {q[2] - 1:+.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--rounds", type=int, default=7,
                        help="how many rounds (more steady the median on a busy machine)")
    parser.add_argument("--rate", type=float, default=None,
                        help="the Dashboard's updates a second (default: its own default)")
    parser.add_argument("--watch", metavar="URL", help=argparse.SUPPRESS)  # the page's process
    args = parser.parse_args()
    if args.watch:
        watch(args.watch)
        return
    with pin_threads(1), others_load() as load:
        results = measure(3 if args.quick else args.rounds, args.rate)
    info = machine_info()
    print(f"Dashboard overhead at 1 BLAS thread ({info.get('cpu', '?')}); target <= "
          f"{TARGET - 1:.0%}; medians of paired ratios [quartiles]; other processes used "
          f"{load.get('others', float('nan')):.0%} of the machine")
    for r in results:
        print(f"{r['workload']} ({r['note']}):\n"
              f"  fit {r['fit_s']:.2f}s, with Dashboard {r['dashboard_s']:.2f}s; wall time "
              f"{r['wall']}, training thread CPU {r['cpu']}; the server's threads used "
              f"{r['others']:.1%} of the training thread's CPU")


if __name__ == "__main__":
    main()
