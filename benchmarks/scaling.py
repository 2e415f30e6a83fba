"""Time per MLP step as batch size and width grow: where descend's overhead stops mattering.

The step of ``mlp_step.py`` (784-W-W-10 ReLU MLP, softmax cross-entropy, SGD, float32) for
hidden width W in 64…2048 and batch 1…4096, descend against hand-written NumPy, interleaved
per cell, 1 thread. At small sizes a step is overhead-bound (descend's fixed cost per op
dominates, and the ratio to NumPy is large); as the matrix products grow it becomes GEMM-bound
and the ratio falls towards 1. The plot goes to ``docs/images/scaling.png``.

Run from the repository root::

    python benchmarks/scaling.py            # ~2 min; writes its section and the plot
    python benchmarks/scaling.py --quick    # a coarse grid, prints only
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import suite
from harness import Variant, fmt_time, format_table
from mlp_step import DescendMLP, NumpyMLP, make_problem, make_step

BATCHES = (1, 4, 16, 64, 256, 1024, 4096)
WIDTHS = (64, 256, 1024, 2048)
QUICK_BATCHES = (1, 64, 1024)
QUICK_WIDTHS = (64, 512)
GEMM_BOUND = 1.10
"""A cell counts as GEMM-bound once descend is within 10% of NumPy."""
PLOT = Path(__file__).resolve().parents[1] / "docs" / "images" / "scaling.png"


def flops(batch: int, width: int) -> float:
    """Floating-point operations of one step's matrix products (forward, both gradients)."""
    macs = 784 * width + width * width + width * 10
    return 2.0 * batch * (3 * macs - 784 * width)   # no gradient for the input


def measure(quick: bool, threads: int) -> dict:
    """Time every (width, batch) cell, descend and NumPy interleaved."""
    cells = {}
    for width in QUICK_WIDTHS if quick else WIDTHS:
        for batch in QUICK_BATCHES if quick else BATCHES:
            problem = make_problem(batch, (784, width, width, 10))
            heavy = flops(batch, width) > 5e9           # > ~60 ms a step: fewer repeats
            variants = [Variant(name, partial(make_step, cls, problem))
                        for name, cls in (("NumPy", NumpyMLP), ("descend", DescendMLP))]
            cells[f"{width}x{batch}"] = suite.timed(
                variants, quick=quick, rounds=3 if quick or heavy else 7,
                min_time=0.02 if quick else 0.1)
    return {"cells": cells}


def grid(run: dict) -> tuple[list[int], list[int]]:
    """The widths and batches measured in ``run``."""
    keys = [tuple(map(int, key.split("x"))) for key in run["cells"]]
    return sorted({w for w, _ in keys}), sorted({b for _, b in keys})


def gemm_bound_from(run: dict, width: int, batches: list[int]) -> int | None:
    """The smallest batch from which every larger one is within ``GEMM_BOUND`` of NumPy."""
    found = None
    for batch in reversed(batches):
        if run["cells"][f"{width}x{batch}"]["results"]["descend"]["ratio"] > GEMM_BOUND:
            break
        found = batch
    return found


def table(run: dict) -> str:
    widths, batches = grid(run)
    rows = []
    for width in widths:
        cells = [run["cells"][f"{width}x{b}"] for b in batches]
        overhead = cells[0]["results"]
        bound = gemm_bound_from(run, width, batches)
        rows.append([str(width),
                     *(f"{fmt_time(c['results']['descend']['median_s'])} "
                       f"({c['results']['descend']['ratio']:.2f}×)" for c in cells),
                     fmt_time(overhead["descend"]["median_s"] - overhead["NumPy"]["median_s"]),
                     "—" if bound is None else str(bound),
                     f"{max(c['others'] or 0 for c in cells):.0%}"])
    header = ["width", *(f"batch {b}" for b in batches),
              f"descend − NumPy at batch {batches[0]}", f"within {GEMM_BOUND}× from batch",
              "CPU used by others (max)"]
    return format_table(header, rows)


RATIO_TICKS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
"""The ratios the right-hand plot labels (those in the data's range), written out in full."""


def plot(runs: dict[int, dict], path: Path = PLOT) -> list[str]:
    """Time per step and descend/NumPy against batch, a line per width; returns ``[path]``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    run = runs[min(runs)]
    widths, batches = grid(run)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, width in enumerate(widths):
        color = f"C{i}"
        res = [run["cells"][f"{width}x{b}"]["results"] for b in batches]
        left.plot(batches, [r["descend"]["median_s"] * 1e3 for r in res], "o-", color=color,
                  label=f"width {width}: descend")
        left.plot(batches, [r["NumPy"]["median_s"] * 1e3 for r in res], "s--", color=color,
                  alpha=0.6, label=f"width {width}: NumPy")
        right.plot(batches, [r["descend"]["ratio"] for r in res], "o-", color=color,
                   label=f"width {width}")
    left.set(xscale="log", yscale="log", xlabel="batch size", ylabel="ms per step",
             title="MLP 784-W-W-10 training step, 1 thread")
    left.legend(fontsize=7, ncol=2)
    right.axhline(1.0, color="gray", lw=0.8)
    right.axhline(GEMM_BOUND, color="gray", lw=0.8, ls=":")
    right.set(xscale="log", yscale="log", xlabel="batch size", ylabel="descend / NumPy",
              title="overhead-bound (high) → GEMM-bound (≈ 1)")
    ratios = [run["cells"][f"{w}x{b}"]["results"]["descend"]["ratio"]
              for w in widths for b in batches]
    ticks = [t for t in RATIO_TICKS if min(ratios) / 1.1 <= t <= max(ratios) * 1.1]
    right.set_yticks(ticks, [f"{t:g}×" for t in ticks])
    right.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # no "9×10⁻¹" labels
    right.legend(fontsize=8)
    for axis in (left, right):
        axis.set_xticks(batches, [str(b) for b in batches])
        axis.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [str(path)]


WHAT = (
    "The step of `mlp_step.py` (784-W-W-10 ReLU MLP, softmax cross-entropy, SGD, float32), "
    "descend against hand-written NumPy, interleaved per cell (median of 7 rounds, 3 for "
    "the largest cells), 1 thread. Each cell: descend's time per step and, in brackets, the "
    "median per-round ratio to NumPy. At small sizes a step is overhead-bound (descend's "
    "fixed cost per op dominates); as the matrix products grow it becomes GEMM-bound and the "
    "ratio falls towards 1. \"descend − NumPy\" at batch 1 estimates descend's fixed cost per "
    "step; \"within 1.1× from batch\" is where the step turns GEMM-bound. "
    "![time per step and ratio to NumPy against batch size](../docs/images/scaling.png)")


BENCH = suite.Bench(
    "scaling", __file__, "step time over batch 1…4096 × width 64…2048, plot",
    measure, lambda runs: [], table=table, what=WHAT,
    title="scaling: MLP step time as batch size and width grow",
    thread_counts=(1,), figures=plot)

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
