"""Memory of the MLP training step at batch 1024: peak against hand NumPy, growth over 10,000 steps.

The step is ``mlp_step.py``'s (784-256-256-10 ReLU MLP, softmax cross-entropy, SGD, float32).
Memory is what ``tracemalloc`` sees: NumPy reports its array buffers to it, so it counts every
array and every Python object the step creates (PyTorch's allocator does not report to it:
torch is left out).

- **Peak**: tracing starts after the implementation is built (parameters and the batch exist
  already and are the same for both); one step runs (what it keeps, such as gradient buffers,
  stays counted), then the peak of a second step is taken. The figure is that peak above the
  memory traced before the first step: everything a step needs beyond the model and the batch.
- **Growth**: descend's step runs 10,000 times (1,000 with ``--quick``) under tracing; the
  memory traced after each step is sampled at 10 checkpoints. Growth is the last sample minus
  the first (taken after 10% of the steps, when caches have warmed up).

Run from the repository root::

    python benchmarks/memory.py            # writes its RESULTS.md section (1 thread)
    python benchmarks/memory.py --quick    # smoke run, prints only
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import suite
from harness import format_table
from mlp_step import DescendMLP, NumpyMLP, make_problem

BATCH = 1024
STEPS = 10_000
QUICK_STEPS = 1_000
CHECKPOINTS = 10
TARGET = 1.3
"""Issue 8: descend's step at most 1.3× the peak memory of the hand-written NumPy step."""
GROWTH_LIMIT = 64 * 1024
"""Bytes the traced memory may drift over the growth run before it counts as growth."""

IMPLEMENTATIONS = {"NumPy": NumpyMLP, "descend": DescendMLP}


def step_peak(cls: type, problem) -> dict[str, int]:
    """Peak bytes traced during a second step above the memory before the first, and what
    the first step left allocated (``kept``)."""
    impl = cls(problem)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        impl.step()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        impl.step()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return {"peak": peak, "kept": kept}


def growth(problem, steps: int, cls: type = DescendMLP) -> dict:
    """Traced bytes after every ``steps // CHECKPOINTS`` steps of ``cls(problem)``, their
    last minus first (``growth``), and the seconds taken."""
    impl = cls(problem)
    every = steps // CHECKPOINTS
    samples = []
    start = time.perf_counter()
    tracemalloc.start()
    try:
        for i in range(1, steps + 1):
            impl.step()
            if i % every == 0:
                samples.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return {"steps": steps, "samples": samples, "growth": samples[-1] - samples[0],
            "seconds": time.perf_counter() - start}


def measure(quick: bool, threads: int) -> dict:
    """Peak of each implementation's step, then descend's growth (1 thread only)."""
    problem = make_problem(BATCH)
    peaks = {name: step_peak(cls, problem) for name, cls in IMPLEMENTATIONS.items()}
    sizes = {"parameters": sum(a.nbytes for a in problem.parameters()),
             "batch": problem.x.nbytes + problem.labels.nbytes}
    return {"peaks": peaks, "sizes": sizes,
            "growth": growth(problem, QUICK_STEPS if quick else STEPS)}


def table(run: dict) -> str:
    base = run["peaks"]["NumPy"]["peak"]
    rows = [[name, suite.fmt_bytes(p["peak"]), suite.fmt_bytes(p["kept"]),
             f"{p['peak'] / base:.2f}×"] for name, p in run["peaks"].items()]
    peak = format_table(["step at batch 1024", "peak above the model and batch",
                         "kept between steps", "peak / NumPy's"], rows)
    g = run["growth"]
    every = g["steps"] // len(g["samples"])
    samples = ", ".join(suite.fmt_bytes(s) for s in g["samples"])
    sizes = run["sizes"]
    return "\n".join([
        peak, "",
        f"Parameters {suite.fmt_bytes(sizes['parameters'])}, batch "
        f"{suite.fmt_bytes(sizes['batch'])} (not counted above).", "",
        f"Growth over {g['steps']:,} descend steps ({g['seconds']:.0f} s): "
        f"**{suite.fmt_bytes(g['growth'])}** from step {every:,} to step {g['steps']:,}; "
        f"memory traced every {every:,} steps: {samples}."])


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """Peak ratio to NumPy, and growth over the run."""
    def peak(run: dict) -> tuple[float, None]:       # bytes do not depend on the CPU load
        p = run["peaks"]
        return p["descend"]["peak"] / p["NumPy"]["peak"], None

    def grown(run: dict) -> tuple[float, None]:
        return run["growth"]["growth"], None

    steps = runs[min(runs)]["growth"]["steps"]
    return [suite.target(f"peak memory of an MLP step at batch {BATCH}",
                         f"≤ {TARGET}× hand NumPy", TARGET, runs, peak),
            suite.target(f"memory growth over {steps:,} steps at batch {BATCH}",
                         f"≤ {suite.fmt_bytes(GROWTH_LIMIT)} (none)", GROWTH_LIMIT, runs,
                         grown, unit="B")]


WHAT = (
    "The step of `mlp_step.py` (784-256-256-10 ReLU MLP, softmax cross-entropy, SGD, float32) "
    "under `tracemalloc`, which sees every NumPy array buffer and Python object (PyTorch's "
    "allocator does not report to it, so torch is left out).\n\n"
    "- **Peak**: tracing starts once the implementation is built (the parameters and the batch "
    "exist and are the same for both); one step runs (what it keeps, such as gradient "
    "buffers, stays counted), then the peak of a second step is taken, above the memory "
    "traced before the first step: everything a step needs beyond the model and the batch.\n"
    "- **Growth**: descend's step runs 10,000 times (1,000 with `--quick`) under tracing; the "
    "memory traced after a step is sampled at 10 checkpoints; growth is the last sample minus "
    "the first (taken after a tenth of the steps).")


BENCH = suite.Bench(
    "memory", __file__, "peak memory of a batch-1024 step; growth over 10,000 steps",
    measure, targets, table=table, what=WHAT,
    title="memory: the MLP step at batch 1024 under tracemalloc",
    thread_counts=(1,))

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
