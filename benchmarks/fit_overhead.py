"""``Model.fit``'s per-batch overhead against the bare custom loop doing the same steps.

Both variants train the same model (same initial weights) with the same optimizer on the same
batches (batch 32, shuffled by ``Dataset.batches(seed=0, epoch=k)``, the order fit uses), in
float32. The **loop** is the leanest torch-style loop: wrap the batch without copying, forward,
loss, ``zero_grad``, ``backward``, ``step``. **fit** is ``model.fit(x, y, batch_size=32,
epochs=E, verbose=0, shuffle=True, seed=0)`` with no validation, metrics or callbacks; one
timed call runs E epochs, so fit's one-off checks (NaN scan, a trial forward pass) are spread
over all its batches, as in real training. ``fit setup`` times ``fit(..., epochs=0)``: those
one-off checks alone. Variants are interleaved round by round (``harness.compare``).

Run from the repository root::

    python benchmarks/fit_overhead.py            # 1 and 2 threads; writes RESULTS.md's section
    python benchmarks/fit_overhead.py --quick    # smoke run, prints only
    python benchmarks/fit_overhead.py --profile  # cProfile fit on the Boston linear model
    python benchmarks/fit_overhead.py --breakdown  # fit's overhead per call, epoch and batch
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from harness import (
    Variant,
    compare,
    drive,
    fmt_time,
    format_table,
    machine_info,
    others_load,
    pin_threads,
    profile,
    thread_settings,
    top_functions,
    yardstick_lines,
)

import descend as dc

BATCH = 32
TARGET = 1.10
"""The issue's target: fit at most 10 % slower per batch than the bare loop, at batch 32."""


@dataclass
class Workload:
    """A model, its data and loss; ``make_model()`` gives the same initial weights each call."""

    label: str
    make_model: Callable[[], dc.Sequential]
    x: np.ndarray
    y: np.ndarray
    loss: Callable[..., dc.Tensor]
    epochs: int

    def batches_per_call(self) -> int:
        return self.epochs * -(-len(self.x) // BATCH)


def _boston() -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = dc.datasets.load_boston_housing()
    return dc.data.Standardizer().fit(x).transform(x).astype(np.float32), y.astype(np.float32)


def _sequential(loss: str, *layers: dc.nn.Module) -> Callable[[], dc.Sequential]:
    def make() -> dc.Sequential:
        dc.seed(0)
        model = dc.Sequential([layer() for layer in layers])
        model.compile(dc.optim.SGD(lr=0.01), loss)
        return model

    return make


def workloads() -> dict[str, Workload]:
    """Boston linear (the least work per batch: the hardest case), a Boston MLP, a wide MLP."""
    x_boston, y_boston = _boston()
    rng = np.random.default_rng(0)
    x_wide = rng.random((2048, 784), dtype=np.float32)
    y_wide = rng.integers(0, 10, size=2048)
    return {
        "boston-linear": Workload(
            "Boston linear 12→1 (333 rows)",
            _sequential("mse", lambda: dc.nn.Dense(1, input_dim=12)),
            x_boston, y_boston, dc.losses.mse, epochs=10),
        "boston-mlp": Workload(
            "Boston MLP 12-50-1 sigmoid (333 rows)",
            _sequential("mse", lambda: dc.nn.Dense(50, activation="sigmoid", input_dim=12),
                        lambda: dc.nn.Dense(1)),
            x_boston, y_boston, dc.losses.mse, epochs=10),
        "mlp-784": Workload(
            "MLP 784-256-10 ReLU, softmax (2048 random rows)",
            _sequential("sparse_categorical_crossentropy",
                        lambda: dc.nn.Dense(256, activation="relu", input_dim=784),
                        lambda: dc.nn.Dense(10, activation="softmax")),
            x_wide, y_wide, dc.losses.sparse_categorical_crossentropy, epochs=1),
    }


def bare_loop(workload: Workload) -> Callable[[], None]:
    """The custom loop's ``epochs`` epochs on a fresh model (a ``Variant.setup``)."""
    model = workload.make_model()
    data, optimizer, loss = dc.data.Dataset(workload.x, workload.y), model.optimizer, workload.loss

    def run() -> None:
        for epoch in range(workload.epochs):
            for x, y in data.batches(BATCH, shuffle=True, seed=0, epoch=epoch):
                value = loss(y, model(dc.Tensor._wrap(x)))
                optimizer.zero_grad()
                value.backward()
                optimizer.step()

    return run


def jit_loop(workload: Workload) -> Callable[[], None]:
    """The custom loop calling a compiled step (``dc.jit``): what ``fit(jit_compile=True)``
    is measured against."""
    model = workload.make_model()
    data, optimizer = dc.data.Dataset(workload.x, workload.y), model.optimizer

    @dc.jit
    def step(x: dc.Tensor, y: dc.Tensor) -> dc.Tensor:
        optimizer.zero_grad()
        value = workload.loss(y, model(x))
        value.backward()
        optimizer.step()
        return value

    def run() -> None:
        for epoch in range(workload.epochs):
            for x, y in data.batches(BATCH, shuffle=True, seed=0, epoch=epoch):
                step(x, y)

    return run


def fit_loop(workload: Workload, jit_compile: bool) -> Callable[[], None]:
    """The bare loop that ``fit(jit_compile=jit_compile)`` is compared with."""
    return jit_loop(workload) if jit_compile else bare_loop(workload)


def fit(workload: Workload, epochs: int | None = None,
        jit_compile: bool = False) -> Callable[[], object]:
    """``model.fit`` for ``epochs`` (default: the workload's) on a fresh model."""
    model = workload.make_model()
    if jit_compile:
        model.compile(dc.optim.SGD(lr=0.01), workload.loss, jit_compile=True)
    count = workload.epochs if epochs is None else epochs
    return lambda: model.fit(workload.x, workload.y, batch_size=BATCH, epochs=count, verbose=0,
                             shuffle=True, seed=0)


def measure(names: list[str], *, rounds: int, min_time: float) -> dict:
    """Time the loop, fit and fit's setup for each workload (threads already pinned)."""
    results, others = {}, {}
    for name in names:
        workload = workloads()[name]
        variants = [Variant("loop", lambda w=workload: bare_loop(w)),
                    Variant("fit", lambda w=workload: fit(w)),
                    Variant("fit setup", lambda w=workload: fit(w, epochs=0))]
        start = time.perf_counter()
        with others_load() as load:
            results[name] = compare(variants, rounds=rounds, min_time=min_time)
        others[name] = load.get("others")
        print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return {"workloads": results, "others": others, "threads": thread_settings(),
            "machine": machine_info(), "rounds": rounds}


def table(run: dict) -> str:
    """Per workload: time per batch of each variant, fit/loop, and fit's one-off setup."""
    rows = []
    all_workloads = workloads()
    for name, entries in run["workloads"].items():
        batches = all_workloads[name].batches_per_call()
        fit_entry, others = entries["fit"], run["others"].get(name)
        rows.append([
            all_workloads[name].label, str(batches),
            fmt_time(entries["loop"]["median_s"] / batches),
            fmt_time(fit_entry["median_s"] / batches),
            f"{fit_entry['ratio']:.3f} ({fit_entry['ratio_lo']:.3f}–{fit_entry['ratio_hi']:.3f})",
            f"{fit_entry['ratio'] - 1:+.1%}",
            fmt_time(entries["fit setup"]["median_s"]),
            "?" if others is None else f"{others:.0%}",
        ])
    return format_table(["workload", "batches per call", "loop per batch", "fit per batch",
                         "fit / loop (IQR)", "overhead", "fit setup per call",
                         "CPU used by others"], rows)


def target_line(run: dict) -> str:
    """Whether fit is within the target on every workload in ``run``."""
    ratios = {name: e["fit"]["ratio"] for name, e in run["workloads"].items()}
    verdict = "met" if all(r <= TARGET for r in ratios.values()) else "not met"
    figures = ", ".join(f"{r - 1:+.1%} on {name}" for name, r in ratios.items())
    return (f"Target (issue 6): fit's per-batch overhead at most {TARGET - 1:.0%} over the bare "
            f"loop at batch {BATCH}, 1 thread: **{verdict}** ({figures}).")


def results_markdown(runs: dict[int, dict], *, note: str = "") -> str:
    """The RESULTS.md section."""
    first = runs[min(runs)]
    lines = ["## fit_overhead: `Model.fit` against the bare custom loop, batch 32, float32", "",
             __doc__.split("\n\n")[1].replace("\n", " "), "",
             f"Medians over {first['rounds']} interleaved rounds; fit / loop is the median of "
             "per-round ratios, quartiles in brackets. \"CPU used by others\" is the share of "
             "the machine's cores other processes took while the row was measured: timings on "
             "a shared machine are noisy."]
    if note:
        lines += ["", f"*{note}*"]
    lines += ["", target_line(first)]
    for threads, run in sorted(runs.items()):
        heading = "1 thread (headline)" if threads == 1 else f"{threads} threads"
        settings = ", ".join(f"{k} = {v}" for k, v in run["threads"].items())
        lines += ["", f"### {heading}", "", table(run), "", f"Thread settings: {settings}."]
        lines += yardstick_lines(run)
    machine = "; ".join(f"{k} {v}" for k, v in first["machine"].items())
    lines += ["", f"Machine: {machine}.", f"Measured {time.strftime('%Y-%m-%d %H:%M')} with "
              "`python benchmarks/fit_overhead.py`."]
    return "\n".join(lines)


def print_profile(name: str = "boston-linear", calls: int = 20) -> None:
    """cProfile ``calls`` fit calls of one workload; print the functions with most own time."""
    _limits = pin_threads(1)
    workload = workloads()[name]
    stats = profile(fit(workload), calls)
    print(f"{name}: {workload.batches_per_call()} batches per call; per fit call:")
    print(top_functions(stats, calls, count=25))


BREAKDOWN_GRID = tuple((epochs, batches) for epochs in (1, 4, 10) for batches in (1, 4, 10))
"""The (epochs, full batches per epoch) that ``--breakdown`` times."""


def breakdown(name: str = "boston-linear", rounds: int = 20) -> dict[str, np.ndarray]:
    """Each variant's time split into per call, per epoch and per batch (seconds).

    fit and its bare loop (eager; with ``jit_compile=True``, a loop of the compiled step) run
    ``E`` epochs of ``b`` full batches (the first ``32 b`` rows) for ``E`` and ``b`` in 1, 4,
    10, interleaved: every round times each variant's fastest of 5 calls. A least-squares fit
    of the fastest rounds to ``T = per call + E per epoch + E b per batch`` gives the parts
    (minima: on a busy machine the fastest call is the least disturbed). fit's minus the
    loop's is fit's overhead: its one-off setup, its work per epoch and per batch.
    """
    workload = workloads()[name]
    calls = {}
    for jit_compile in (False, True):
        for epochs, batches in BREAKDOWN_GRID:
            part = Workload(**{**vars(workload), "x": workload.x[:BATCH * batches],
                               "y": workload.y[:BATCH * batches], "epochs": epochs})
            calls["loop", jit_compile, epochs, batches] = fit_loop(part, jit_compile)
            calls["fit", jit_compile, epochs, batches] = fit(part, jit_compile=jit_compile)
    fastest = dict.fromkeys(calls, np.inf)
    for _ in range(rounds):
        for key, call in calls.items():
            for _ in range(5):
                start = time.perf_counter()
                call()
                fastest[key] = min(fastest[key], time.perf_counter() - start)
    design = np.array([[1, epochs, epochs * batches] for epochs, batches in BREAKDOWN_GRID],
                      dtype=float)
    parts = {}
    for jit_compile in (False, True):
        for kind in ("loop", "fit"):
            times = np.array([fastest[kind, jit_compile, e, b] for e, b in BREAKDOWN_GRID])
            label = f"{kind} jit" if jit_compile else kind
            parts[label] = np.linalg.lstsq(design, times, rcond=None)[0]
    return parts


def print_breakdown(name: str = "boston-linear") -> None:
    """Print :func:`breakdown`: each variant's parts and fit's overhead over its loop."""
    _limits = pin_threads(1)
    with others_load() as load:
        parts = breakdown(name)
    rows = [[label, *(fmt_time(t) for t in times)] for label, times in parts.items()]
    for eager, loop in (("fit", "loop"), ("fit jit", "loop jit")):
        rows.append([f"{eager} − {loop}", *(fmt_time(t) for t in parts[eager] - parts[loop])])
    others = load.get("others")
    print(f"{name}, batch {BATCH}, 1 thread; CPU used by others: "
          f"{'?' if others is None else f'{others:.0%}'}")
    print(format_table(["variant", "per call", "per epoch", "per batch"], rows))


def main(argv: list[str] | None = None) -> None:
    """Parse the command line; time (all thread counts, or one with ``--threads``) or profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5 rounds, short samples; prints, writes nothing")
    parser.add_argument("--threads", type=int, help="measure only this thread count, here")
    parser.add_argument("--json", action="store_true",
                        help="with --threads: print the raw results as JSON (for the harness)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--workloads", nargs="+", default=list(workloads()),
                        choices=list(workloads()), help="which workloads (default: all)")
    parser.add_argument("--note", default="", help="a sentence printed above the tables")
    parser.add_argument("--profile", action="store_true", help="profile fit instead of timing")
    parser.add_argument("--breakdown", action="store_true",
                        help="split fit's overhead into per call, per epoch and per batch")
    args = parser.parse_args(argv)
    if args.profile:
        print_profile()
        return
    if args.breakdown:
        print_breakdown()
        return
    rounds = 5 if args.quick else args.rounds
    extra = ("--quick",) if args.quick else ("--rounds", str(rounds))
    drive(__file__, "fit_overhead", args,
          partial(measure, args.workloads, rounds=rounds,
                  min_time=0.05 if args.quick else 0.2),
          partial(results_markdown, note=args.note), (*extra, "--workloads", *args.workloads))


if __name__ == "__main__":
    main()
