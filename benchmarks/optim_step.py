"""Time ``optimizer.step()``: descend against torch.optim (single-tensor and foreach).

The workload: 1M float32 parameters split across 10 tensors, each with a fixed gradient; one
``step()`` updates all of them. Variants are interleaved round by round (``harness.compare``)
and the ratio column is the median of per-round ratios descend / torch single-tensor
(``foreach=False``), the implementation descend's per-tensor NumPy loop corresponds to.

    python benchmarks/optim_step.py              # 1 and 2 threads (separate processes), table
    python benchmarks/optim_step.py --quick      # a smaller, faster run, no RESULTS.md update
    python benchmarks/optim_step.py --threads 1 --json   # one thread count, JSON on stdout
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from harness import (
    Variant,
    compare,
    drive,
    fmt_time,
    format_table,
    machine_info,
    pin_threads,
)

CONFIGS = [  # label, descend class name, torch class name (None: not in torch), kwargs
    ("SGD", "SGD", "SGD", {"lr": 1e-3}),
    ("SGD momentum+nesterov", "SGD", "SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", "Adagrad", "Adagrad", {}),
    ("RMSprop", "RMSprop", "RMSprop", {}),
    ("RMSprop centered+momentum", "RMSprop", "RMSprop", {"centered": True, "momentum": 0.9}),
    ("Adadelta", "Adadelta", "Adadelta", {}),
    ("Adam", "Adam", "Adam", {}),
    ("Adam amsgrad", "Adam", "Adam", {"amsgrad": True}),
    ("AdamW", "AdamW", "AdamW", {}),
    ("Adamax", "Adamax", "Adamax", {}),
    ("NAdam", "NAdam", "NAdam", {}),
    ("RAdam", "RAdam", "RAdam", {}),
    ("Lion", "Lion", None, {}),
]


def _arrays(total: int, tensors: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(0)
    size = total // tensors
    params = [rng.standard_normal(size).astype(np.float32) for _ in range(tensors)]
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(tensors)]
    return params, grads


def _descend(name: str, kwargs: dict, total: int, tensors: int):
    def setup():
        import descend as dc
        from descend import optim

        params, grads = _arrays(total, tensors)
        tensors_ = [dc.tensor(p, requires_grad=True) for p in params]
        for t, g in zip(tensors_, grads):
            t.grad = dc.tensor(g)
        return getattr(optim, name)(tensors_, **kwargs).step

    return setup


def _torch(name: str, kwargs: dict, total: int, tensors: int, foreach: bool):
    def setup():
        import torch

        params, grads = _arrays(total, tensors)
        tensors_ = [torch.tensor(p, requires_grad=True) for p in params]
        for t, g in zip(tensors_, grads):
            t.grad = torch.tensor(g)
        return getattr(torch.optim, name)(tensors_, foreach=foreach, **kwargs).step

    return setup


def measure(threads: int, *, total: int, tensors: int, rounds: int) -> dict:
    """Per configuration: median times and paired ratios at ``threads`` threads."""
    pin_threads(threads)
    results = {}
    for label, ours, theirs, kwargs in CONFIGS:
        variants = []
        if theirs is not None:
            variants += [Variant("torch single", _torch(theirs, kwargs, total, tensors, False)),
                         Variant("torch foreach", _torch(theirs, kwargs, total, tensors, True))]
        variants.insert(min(1, len(variants)), Variant("descend",
                                                      _descend(ours, kwargs, total, tensors)))
        results[label] = compare(variants, rounds=rounds)
    return results


def _row(label: str, one: dict, two: dict | None) -> list[str]:
    ours = one["descend"]
    if "torch single" not in one:
        return [label, fmt_time(ours["median_s"]), "—", "—", "—", "—"]
    ratio = f"{ours['ratio']:.3g} [{ours['ratio_lo']:.3g}–{ours['ratio_hi']:.3g}]"
    two_ratio = f"{two['descend']['ratio']:.3g}" if two else "—"
    return [label, fmt_time(ours["median_s"]), fmt_time(one["torch single"]["median_s"]),
            fmt_time(one["torch foreach"]["median_s"]), ratio, two_ratio]


def table(by_threads: dict[int, dict], total: int, tensors: int) -> str:
    one, two = by_threads[1], by_threads.get(2)
    rows = [_row(label, one[label], two[label] if two else None) for label, *_ in CONFIGS]
    header = ["optimizer", "descend (1 thread)", "torch foreach=False", "torch foreach=True",
              "descend / torch single, 1 thread (median [IQR])", "same, 2 threads"]
    info = machine_info()
    missed = [label for label, *_ in CONFIGS if "torch single" in one[label]
              and one[label]["descend"]["ratio"] > 1.5]
    verdict = ("every optimizer is within the 1.5× target" if not missed
               else f"over the 1.5× target: {', '.join(missed)}")
    return "\n".join([
        "## optim_step: one `optimizer.step()`",
        "",
        f"{total:,} float32 parameters in {tensors} tensors, fixed gradients, default "
        "hyperparameters unless named. Times are medians of interleaved rounds; the ratio is "
        "the median of per-round ratios (target: ≤ 1.5× torch's single-tensor "
        f"implementation; {verdict}). NumPy runs elementwise ops on one thread, so the "
        "2-thread column sets descend's one thread against torch's two; on a shared 2-core "
        "machine torch's 2-thread pool can also stall, which shows as ratios far below 1.",
        "",
        format_table(header, rows),
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "Run: `python benchmarks/optim_step.py`.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="one thread count, in this process")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="100k parameters, 5 rounds")
    args = parser.parse_args()
    total, rounds = (100_000, 5) if args.quick else (1_000_000, 15)
    tensors = 10
    drive(__file__, "optim_step", args,
          partial(measure, args.threads, total=total, tensors=tensors, rounds=rounds),
          partial(table, total=total, tensors=tensors), ("--quick",) if args.quick else ())


if __name__ == "__main__":
    main()
