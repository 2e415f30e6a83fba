"""What ``dc.callbacks.Dashboard`` costs a fit: fit time with and without it.

Two workloads: the Boston MLP (``Dense(50, sigmoid) → Dense(1)``, SGD, batch 40, the demo's
recipe, 200 epochs per call) and the MNIST MLP (784-256-10 ReLU, Adam, batch 128, one epoch
of 54,000 images with 6,000 validating per call, as ``descend demo mnist``; the real MNIST
files when found in ``$DESCEND_DATA/mnist`` or ``shared/data/mnist``, else random data of
MNIST's shape, which costs the same). The **dashboard** variant adds
``Dashboard(quiet=True)``, and a watcher thread follows every run's Server-Sent Events as an
open page would, so the server's work competes for the interpreter too. Variants are
interleaved round by round and the overhead is the median of the paired ratios
(``harness.compare``), at one BLAS thread. The target (issue 21): at most 5 %.

Run from the repository root (needs the ``web`` and ``bench`` extras)::

    python benchmarks/dashboard_overhead.py            # 7 rounds, about 1 min
    python benchmarks/dashboard_overhead.py --quick    # 3 rounds
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from harness import Variant, compare, machine_info, pin_threads

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


def watch(url: str, stop: threading.Event) -> None:
    """Follow every fit run's events, as a browser page does, until ``stop``."""
    host, port = url.split("//")[1].rstrip("/").split(":")
    seen: set[str] = set()
    while not stop.is_set():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/api/runs?kind=fit")
        runs = json.loads(connection.getresponse().read())["runs"]
        for run in runs:
            if run["id"] not in seen and run["status"] == "running":
                seen.add(run["id"])
                connection.request("GET", f"/api/runs/{run['id']}/events")
                connection.getresponse().read()  # until the run ends
        connection.close()
        time.sleep(0.01)


def measure(rounds: int) -> list[dict]:
    server = ensure_server(port=0)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(server.url, stop), daemon=True)
    watcher.start()
    results = []
    try:
        for label, (fit, note) in workloads().items():
            report = compare([
                Variant("fit", lambda fit=fit: lambda: fit([])),
                Variant("fit + Dashboard",
                        lambda fit=fit: lambda: fit([dc.callbacks.Dashboard(port=0, quiet=True)])),
            ], rounds=rounds, min_time=0.0, warmup=1)
            with_board = report["fit + Dashboard"]
            results.append({"workload": label, "note": note,
                            "fit_s": report["fit"]["median_s"],
                            "dashboard_s": with_board["median_s"],
                            "ratio": with_board["ratio"], "ratio_lo": with_board["ratio_lo"],
                            "ratio_hi": with_board["ratio_hi"]})
    finally:
        stop.set()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    args = parser.parse_args()
    with pin_threads(1):
        results = measure(3 if args.quick else 7)
    info = machine_info()
    print(f"Dashboard overhead at 1 BLAS thread ({info.get('cpu', '?')}); target <= "
          f"{TARGET - 1:.0%}")
    print(f"{'workload':<36} {'fit':>8} {'+Dashboard':>11} {'overhead [quartiles]':>26}  data")
    for r in results:
        spread = f"{r['ratio'] - 1:+.1%} [{r['ratio_lo'] - 1:+.1%}, {r['ratio_hi'] - 1:+.1%}]"
        verdict = "met" if r["ratio"] <= TARGET else "NOT met"
        print(f"{r['workload']:<36} {r['fit_s']:>7.2f}s {r['dashboard_s']:>10.2f}s "
              f"{spread:>26}  {r['note']} ({verdict})")


if __name__ == "__main__":
    main()
