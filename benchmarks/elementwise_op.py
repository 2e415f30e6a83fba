"""One tracked elementwise op on tiny arrays: the fixed cost of recording an op for autodiff.

``a * b``, ``a * 2.0`` and ``a + b`` on float32 arrays of 10 elements that require gradients
(the result joins the graph), in descend and in PyTorch, beside the same op on bare NumPy
arrays (the floor: no graph, no wrapper). Issue 8's target is descend's absolute time per op.

Run from the repository root::

    python benchmarks/elementwise_op.py            # 1 and 2 threads; writes its section
    python benchmarks/elementwise_op.py --quick    # smoke run, prints only
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import suite
from harness import Variant, paired_ratio

import descend as dc

SIZE = 10
TARGET = 2.5e-6
"""Issue 8: one tracked elementwise op on small arrays in at most 2.5 µs."""

OPS: dict[str, Callable[[object, object], object]] = {
    "a * b": lambda a, b: a * b,
    "a * 2.0": lambda a, _: a * 2.0,
    "a + b": lambda a, b: a + b,
}
"""The ops timed, each a function of the two operands (``a * 2.0`` ignores the second)."""


def operands(size: int = SIZE, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two float32 arrays of ``size`` standard-normal values."""
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(size).astype(np.float32) for _ in range(2))


def _numpy(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a.copy(), b.copy()


def _descend(a: np.ndarray, b: np.ndarray) -> tuple[dc.Tensor, dc.Tensor]:
    return dc.tensor(a, requires_grad=True), dc.tensor(b, requires_grad=True)


def _torch(a: np.ndarray, b: np.ndarray) -> tuple[object, object]:
    import torch

    return (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))


IMPLEMENTATIONS = {"NumPy": _numpy, "descend": _descend, "torch": _torch}
"""Name -> a function making the two operands from NumPy arrays; NumPy is the baseline."""


def bound_op(op: str, make: Callable, a: np.ndarray, b: np.ndarray) -> Callable[[], object]:
    """``OPS[op]`` on the operands ``make(a, b)``: a zero-argument callable to time."""
    return partial(OPS[op], *make(a, b))


def measure(quick: bool, threads: int) -> dict:
    """Time each op in each implementation, interleaved (threads already pinned)."""
    a, b = operands()
    rows = {}
    for op in OPS:
        variants = [Variant(name, partial(bound_op, op, make, a, b))
                    for name, make in IMPLEMENTATIONS.items()]
        row = suite.timed(variants, quick=quick, min_time=0.01 if quick else 0.05)
        if "torch" in row["results"]:
            row["paired"] = paired_ratio(row["results"], "descend", "torch")
        rows[op] = row
    return {"rows": rows}


def _torch_cell(_: str, row: dict) -> list[str]:
    return [suite.ratio_cell(row["paired"]) if "paired" in row else "—"]


def table(run: dict) -> str:
    return suite.variant_table(run, "op", baseline="NumPy", extra=_torch_cell,
                               extra_header=("descend/torch",))


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """descend's time per op, one target per op."""
    def pick(op: str):
        def figure(run: dict) -> tuple[float, float | None]:
            row = run["rows"][op]
            return row["results"]["descend"]["median_s"], row["others"]
        return figure

    return [suite.target(f"tracked `{op}` on {SIZE} float32 elements", "≤ 2.5 µs", TARGET,
                         runs, pick(op), unit="s") for op in OPS]


WHAT = (
    f"One op on float32 arrays of {SIZE} elements. **descend** and **torch**: both operands "
    "require gradients, so the result is recorded for backward (no backward is run); "
    "**NumPy**: the same op on bare arrays, the floor. Median time per op over interleaved "
    "rounds; ratios are medians of per-round ratios, quartiles in brackets.")


BENCH = suite.Bench(
    "elementwise_op", __file__, "one tracked elementwise op on 10 elements",
    measure, targets, table=table, what=WHAT,
    title="elementwise_op: one tracked elementwise op on 10 elements")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
