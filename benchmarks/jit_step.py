"""The compiled step (``dc.jit``, ``jit_compile=True``) against hand NumPy, eager and PyTorch.

Issue 19's workloads, each timed interleaved round by round (``harness.compare``; ratios are
medians of per-round ratios against the first variant), 1 thread:

- the MLP 784-256-256-10 SGD step of ``mlp_step.py`` at batch 1, 32, 128 and 1024: hand NumPy
  (``np.dot`` for the outer products of batch 1), eager descend (``dc.linear`` with its fused
  ReLU, the fused sparse cross-entropy), the same compiled, and the model in plain ops
  compiled (``x @ W + b``, ``.relu()``, ``dc.log_softmax`` times a one-hot, summed, a mean);
- the sigmoid-neuron GD step of ``sigmoid_step.py`` (against ``torch.optim.SGD``);
- the Boston linear-regression step of ``boston_step.py``;
- the small CNN step of ``cnn_step.py`` (against the hand im2col step of ``cnn_numpy.py``);
- ``fit`` with ``jit_compile=True`` against a bare loop calling the compiled step, on the
  Boston linear model of ``fit_overhead.py`` (batch 32, 10 epochs).

Every compiled variant is first checked to give the eager step's weights bit for bit.

Run from the repository root::

    python benchmarks/jit_step.py            # writes the compiled_step section of RESULTS.md
    python benchmarks/jit_step.py --quick    # smoke run, prints only
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boston_step
import cnn_step
import fit_overhead
import numpy as np
import suite
from cnn_numpy import NumpyCNN
from harness import Variant, paired_ratio
from mlp_step import DescendMLP, NumpyMLP, Problem, make_problem
from sigmoid_step import DescendNeuron, NumpyNeuron, TorchNeuron

import descend as dc

MLP_TARGETS = ((1024, 1.02, "hand NumPy"), (128, 1.05, "hand NumPy"), (32, 1.05, "hand NumPy"),
               (1, 1.10, "the hand step with `np.dot`"))
"""Issue 19: (batch, most compiled/NumPy allowed, the baseline)."""
PLAIN_TARGET = 1.05
"""The plain-op MLP compiled, over the fused form compiled ("as fast"; 5 % for noise)."""
SIGMOID_TARGET = 0.25
BOSTON_TARGET = 2.0
CNN_TARGET = 1.05
FIT_TARGET = 1.05


class Jitted:
    """An implementation whose ``step`` runs through ``dc.jit``; its attributes ``names`` (the
    batch: inputs and targets) become the compiled step's arguments."""

    def __init__(self, inner: Any, names: tuple[str, ...]) -> None:
        self.inner, self.names = inner, names
        values = [getattr(inner, name) for name in names]
        self.arrays = [v.data if isinstance(v, dc.Tensor) else np.asarray(v) for v in values]
        self.compiled = dc.jit(self._step)

    def _step(self, *batch: dc.Tensor) -> dc.Tensor:
        for name, tensor in zip(self.names, batch):
            setattr(self.inner, name, tensor)
        return self.inner.step()

    def step(self) -> dc.Tensor:
        return self.compiled(*self.arrays)

    def weights(self) -> list[Any]:
        return self.inner.weights()


class PlainMLP(DescendMLP):
    """The MLP in plain ops: ``(h @ W + b).relu()``, ``dc.log_softmax`` times the one-hot
    labels, summed per row, a mean."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.onehot = np.eye(problem.kernels[-1].shape[1], dtype=np.float32)[problem.labels]

    def loss(self) -> dc.Tensor:
        h, params = self.x, self.params
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).relu()
        z = h @ params[-2] + params[-1]
        return -(dc.log_softmax(z, axis=-1) * self.onehot).sum(axis=-1).mean()


def check_bit_for_bit(make_eager: Callable[[], Any], make_compiled: Callable[[], Any],
                      steps: int = 5) -> None:
    eager, compiled = make_eager(), make_compiled()
    for _ in range(steps):
        eager.step()
        compiled.step()
    assert all(np.array_equal(a, b) for a, b in zip(eager.weights(), compiled.weights()))


def _variants(made: dict[str, Callable[[], Any]]) -> list[Variant]:
    return [Variant(name, (lambda make=make: make().step)) for name, make in made.items()]


def mlp_row(batch: int, quick: bool, settle: float) -> dict:
    problem = make_problem(batch)

    def jitted() -> Jitted:
        return Jitted(DescendMLP(problem), ("x", "labels"))

    def plain() -> Jitted:
        return Jitted(PlainMLP(problem), ("x", "onehot"))

    check_bit_for_bit(lambda: DescendMLP(problem), jitted)
    check_bit_for_bit(lambda: PlainMLP(problem), plain)
    row = suite.timed(_variants({"NumPy": lambda: NumpyMLP(problem),
                                 "descend": lambda: DescendMLP(problem),
                                 "descend jit": jitted, "jit plain ops": plain}),
                      quick=quick, settle=settle)
    row["paired"] = {"jit plain ops/descend jit": paired_ratio(row["results"], "jit plain ops",
                                                               "descend jit")}
    return row


def neuron_row(quick: bool) -> dict:
    def jitted() -> Jitted:
        return Jitted(DescendNeuron(), ("x", "y"))

    check_bit_for_bit(DescendNeuron, jitted)
    made = {"NumPy": NumpyNeuron, "descend": DescendNeuron, "descend jit": jitted}
    row = suite.timed(_variants({**made, "torch": TorchNeuron}), quick=quick,
                      min_time=0.02 if quick else 0.05)
    row["paired"] = {f"{a}/torch": paired_ratio(row["results"], a, "torch")
                     for a in ("descend jit", "descend") if "torch" in row["results"]}
    return row


def model_row(numpy_step: Callable[..., Any], descend_step: Callable[..., Any], problem: Any,
              lr: float, quick: bool) -> dict:
    """NumPy, eager descend and compiled descend on a ``suite.ModelStep`` workload."""
    def jitted() -> Jitted:
        return Jitted(descend_step(problem, lr), ("x", "y"))

    check_bit_for_bit(lambda: descend_step(problem, lr), jitted)
    return suite.timed(_variants({"NumPy": lambda: numpy_step(problem, lr),
                                  "descend": lambda: descend_step(problem, lr),
                                  "descend jit": jitted}), quick=quick)


def fit_row(quick: bool) -> dict:
    workload = fit_overhead.workloads()["boston-linear"]
    return suite.timed([Variant("jit loop", lambda: fit_overhead.jit_loop(workload)),
                        Variant("fit jit", lambda: fit_overhead.fit(workload, jit_compile=True))],
                       quick=quick, min_time=0.05 if quick else 0.2)


def measure(quick: bool, threads: int) -> dict:
    """Every row (threads already pinned)."""
    settle = suite.settle_for(threads)
    batches = (32, 1024) if quick else (1, 32, 128, 1024)
    rows = {f"MLP batch {batch}": mlp_row(batch, quick, settle) for batch in batches}
    return {"mlp": rows, "sigmoid": {"GD step": neuron_row(quick)},
            "boston": {"333 rows": model_row(boston_step.NumpyLinear, boston_step.DescendLinear,
                                             boston_step.make_problem(), boston_step.LR,
                                             quick)},
            "cnn": {"batch 64": model_row(NumpyCNN, cnn_step.DescendCNN,
                                          cnn_step.make_problem(), cnn_step.LR, quick)},
            "fit": {"Boston linear, batch 32": fit_row(quick)}}


def _paired(_: str, row: dict) -> list[str]:
    return [suite.ratio_cell(entry) for entry in row["paired"].values()]


def table(run: dict) -> str:
    parts = []
    for key, label, baseline in (("mlp", "workload", "NumPy"), ("sigmoid", "workload", "NumPy"),
                                 ("boston", "Boston linear", "NumPy"),
                                 ("cnn", "small CNN", "NumPy"), ("fit", "fit", "jit loop")):
        rows = run[key]
        paired = next(iter(rows.values())).get("paired")
        parts.append(suite.variant_table({"rows": rows}, label, baseline=baseline,
                                         extra=_paired if paired else None,
                                         extra_header=tuple(paired or ())))
    return "\n\n".join(parts)


def _pick(key: str, row: str, name: str, paired: bool = False) -> Callable[[dict], Any]:
    def figure(run: dict) -> tuple[float, float | None] | None:
        entry = run[key].get(row)
        if entry is None:
            return None
        value = entry["paired"].get(name) if paired else entry["results"].get(name)
        return None if value is None else (value["ratio"], entry["others"])
    return figure


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """Issue 19's targets for the compiled step."""
    def issue19(workload: str, goal: str, limit: float, pick: Callable[[dict], Any],
                note: str = "") -> suite.Target:
        made = suite.target(workload, goal, limit, runs, pick, note=note)
        made.issue = 19
        return made

    rows = [issue19(f"compiled MLP step, batch {batch}", f"≤ {limit:.2f}× {baseline}", limit,
                    _pick("mlp", f"MLP batch {batch}", "descend jit"))
            for batch, limit, baseline in MLP_TARGETS]
    rows += [issue19(f"compiled plain-op MLP step, batch {batch}",
                     f"as fast as the fused form compiled (≤ {PLAIN_TARGET:.2f}×)", PLAIN_TARGET,
                     _pick("mlp", f"MLP batch {batch}", "jit plain ops/descend jit", paired=True))
             for batch in (32, 1024)]
    rows += [issue19("compiled sigmoid-neuron GD step", f"≤ {SIGMOID_TARGET:.2f}× torch SGD",
                     SIGMOID_TARGET, _pick("sigmoid", "GD step", "descend jit/torch", True)),
             issue19("compiled Boston linear step", f"≤ {BOSTON_TARGET:g}× hand NumPy",
                     BOSTON_TARGET, _pick("boston", "333 rows", "descend jit")),
             issue19("compiled small CNN step, batch 64",
                     f"≤ {CNN_TARGET:.2f}× hand im2col NumPy", CNN_TARGET,
                     _pick("cnn", "batch 64", "descend jit")),
             issue19("`fit(jit_compile=True)` overhead, Boston linear, batch 32",
                     f"≤ {FIT_TARGET:.2f}× a bare loop of the compiled step", FIT_TARGET,
                     _pick("fit", "Boston linear, batch 32", "fit jit"))]
    return rows


WHAT = (
    "The compiled step (`dc.jit`; `compile(..., jit_compile=True)` in `fit`) traces one step "
    "and replays it as NumPy calls, giving the eager step's weights bit for bit (checked before "
    "timing). Rows: the 784-256-256-10 MLP SGD step (hand NumPy, eager, compiled, and the "
    "model in plain ops compiled), the sigmoid-neuron GD step, Boston linear regression, the "
    "small CNN of `cnn_step.py`, and `fit` against a bare loop of the compiled step. Where "
    "the time goes: `profiles/jit_step.md`.")

BENCH = suite.Bench(
    "compiled_step", __file__, "the compiled step (dc.jit) on issue 19's workloads", measure,
    targets, table=table, what=WHAT, thread_counts=(1,),
    title="compiled_step: `dc.jit` against hand NumPy, eager and PyTorch (issue 19)")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
