"""Where descend's MLP training step spends its time: phases, BLAS, each op, core costs.

Run from the repository root (1 thread, pinned)::

    python benchmarks/mlp_step.py --profile
    python benchmarks/mlp_step_profile.py --jit --batch 1     # the compiled step, per instruction

It rewrites the generated part of ``profiles/mlp_step.md`` (between its markers) and leaves the
hand-written analysis around them alone. Step and phase times are taken without any
instrumentation; per-op times wrap ``Function.apply`` and each op's ``backward`` with a timer
(about 0.7 µs per call, measured among the core costs); cProfile, which slows Python code
several-fold, only gives the call counts and the shares of the top functions.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from harness import (
    Variant,
    compare,
    fmt_time,
    format_table,
    machine_info,
    median_time,
    others_load,
    pin_threads,
    profile,
    top_functions,
    update_results,
)
from mlp_step import DescendMLP, NumpyMLP, Problem, make_problem, make_step

import descend as dc
from descend.autograd.function import Function
from descend.ops.elementwise import Neg
from descend.tensors import Tensor

PROFILE = Path(__file__).with_name("profiles") / "mlp_step.md"
BATCHES = (1, 32, 1024)
PHASES = ("forward", "backward", "update")


def gemm_seconds(problem: Problem) -> float:
    """The step's matrix products alone: 3 forward, 3 weight gradients, 2 input gradients."""
    kernels = problem.kernels
    acts = [problem.x]
    for k in kernels[:-1]:
        acts.append(acts[-1] @ k)
    grads = [np.ones((len(problem.x), k.shape[1]), np.float32) for k in kernels]

    def gemms() -> None:
        for a, k in zip(acts, kernels):
            a @ k
        for a, g in zip(acts, grads):
            np.dot(a.T, g) if len(a) == 1 else a.T @ g  # the faster one, as descend picks
        for g, k in zip(grads[1:], kernels[1:]):
            g @ k.T

    return median_time(gemms)


class OpTimer:
    """Times every op's forward (``Function.apply``) and ``backward`` while it is active.

    Only the outermost call is timed (the ops a backward runs inside count towards it). Counted
    are the ops recorded in the forward pass and the backwards the engine calls (a plain
    backward computes on arrays, without applying ops). ``phase`` labels what the step is
    doing; ``end_step`` closes a step.
    """

    def __init__(self) -> None:
        self.phase = ""
        self.steps: list[dict[tuple[str, str], float]] = []
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.applications: dict[str, int] = defaultdict(int)
        self._depth = 0

    def end_step(self) -> None:
        """File this step's per-op seconds and start the next step."""
        self.steps.append(self.seconds)
        self.seconds = defaultdict(float)

    def medians(self) -> dict[tuple[str, str], float]:
        """``(op, phase)`` -> the median over steps of the seconds that op took in that phase."""
        labels = set().union(*self.steps)
        return {label: statistics.median(step.get(label, 0.0) for step in self.steps)
                for label in labels}

    def _timed(self, label: tuple[str, str], run: Callable[[], object]) -> object:
        self._depth += 1
        start = time.perf_counter()
        try:
            return run()
        finally:
            self._depth -= 1
            if not self._depth:
                self.seconds[label] += time.perf_counter() - start

    @contextlib.contextmanager
    def active(self) -> Iterator[OpTimer]:
        """Wrap the ops' entry points for the duration of the ``with`` block."""
        original_apply = Function.__dict__["apply"]
        backwards = {cls: cls.__dict__["backward"] for cls in _op_classes()
                     if "backward" in cls.__dict__}

        def apply(cls: type[Function], *inputs: Tensor, **kwargs: object) -> Tensor:
            self.applications[self.phase] += 1
            run = partial(original_apply.__func__, cls, *inputs, **kwargs)
            return self._timed((cls.name, self.phase), run)

        def wrap(backward: Callable) -> Callable:
            def timed_backward(fn: Function, gy: Tensor) -> object:
                if not self._depth:  # a backward the engine calls (its inner ops run as arrays)
                    self.applications[self.phase] += 1
                return self._timed((fn.name, "backward"), partial(backward, fn, gy))

            return timed_backward

        Function.apply = classmethod(apply)
        for cls, backward in backwards.items():
            cls.backward = wrap(backward)
        try:
            yield self
        finally:
            Function.apply = original_apply
            for cls, backward in backwards.items():
                cls.backward = backward


def _op_classes() -> list[type[Function]]:
    found, stack = [], [Function]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def _method_names() -> dict[tuple[str, int], str]:
    """(file, first line) of every op's forward and backward -> ``Class.method``."""
    names = {}
    for cls in _op_classes():
        for method in ("forward", "backward"):
            if method in cls.__dict__:
                code = cls.__dict__[method].__code__
                names[(code.co_filename, code.co_firstlineno)] = f"{cls.__name__}.{method}"
    return names


def phase_seconds(model: DescendMLP, steps: int, timer: OpTimer | None = None) -> dict:
    """Median seconds of each phase over ``steps`` steps (telling ``timer`` the phase)."""
    timer = timer or OpTimer()
    samples: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for _ in range(steps):
        t0 = time.perf_counter()
        timer.phase = "forward"
        loss = model.loss()
        t1 = time.perf_counter()
        timer.phase = "backward"
        loss.backward()
        t2 = time.perf_counter()
        timer.phase = "update"
        model.update()
        t3 = time.perf_counter()
        for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2)):
            samples[phase].append(seconds)
        timer.end_step()
    return {phase: statistics.median(times) for phase, times in samples.items()}


def op_table(problem: Problem, steps: int) -> tuple[str, dict[str, int]]:
    """Per-op time per step (forward, backward, update), the glue left over, and the counts."""
    model = DescendMLP(problem)
    phase_seconds(model, 3)
    timer = OpTimer()
    with timer.active():
        phases = phase_seconds(model, steps, timer)
    per_step = timer.medians()
    names = sorted({name for name, _ in per_step}, key=lambda n: -sum(
        v for (name, _), v in per_step.items() if name == n))
    rows = [[f"`{name}`", *(f"{per_step.get((name, p), 0) * 1e6:.1f}" for p in PHASES)]
            for name in names]
    glue = [phases[p] - sum(v for (_, q), v in per_step.items() if q == p) for p in PHASES]
    rows.append(["engine and glue (phase time − ops)", *(f"{g * 1e6:.1f}" for g in glue)])
    counts = {p: timer.applications[p] // steps for p in PHASES}
    return format_table(["op", "forward µs", "backward µs", "update µs"], rows), counts


def _mean_forward_backward(vector: Tensor) -> None:
    leaf = Tensor._wrap(vector.data).requires_grad_()
    leaf.mean().backward()


def _after_gemm(fn: Callable[[], object], repeats: int = 51) -> float:
    """Median seconds of ``fn`` run right after a batch-1024 first-layer GEMM (cold caches)."""
    a = np.ones((1024, 784), np.float32)
    w = np.ones((784, 256), np.float32)
    samples = []
    for _ in range(repeats):
        a @ w
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def core_costs() -> list[list[str]]:
    """Microbenchmarks of the pieces ops go through, in µs per call (hot caches unless said)."""
    one = np.ones(1, np.float32)
    plain, tracked = Tensor._wrap(one), dc.tensor(one, requires_grad=True)
    vector = Tensor._wrap(np.ones(1024, np.float32))
    column, row = np.ones((784, 1), np.float32), np.ones((1, 256), np.float32)
    hidden = Tensor._wrap(np.ones((32, 256), np.float32))
    timer = OpTimer()
    pieces = {
        "`np.negative` on a 1-element array (the NumPy floor)": lambda: np.negative(one),
        "`Tensor._wrap(array)`": lambda: Tensor._wrap(one),
        "`Neg.apply(t)`, grad not needed": lambda: Neg.apply(plain),
        "`Neg.apply(t)`, recorded in the graph": lambda: Neg.apply(tracked),
        "`-t` (operator → `unary` → `apply`), recorded": lambda: -tracked,
        "`t * 2.0` (operator → `binary` → `as_operand` → `apply`), recorded":
            lambda: tracked * 2.0,
        "`hidden.sum(axis=0)` op, (32, 256)": lambda: hidden.sum(axis=0),
        "`hidden.data.sum(axis=0)`, NumPy": lambda: hidden.data.sum(axis=0),
        "`vector.mean()` forward and backward, (1024,)": lambda: _mean_forward_backward(vector),
        "weight gradient `(784, 1) @ (1, 256)` with `np.matmul` (batch 1)":
            lambda: np.matmul(column, row),
        "the same with `np.dot`": lambda: np.dot(column, row),
    }
    rows = [[name, f"{median_time(fn) * 1e6:.2f}"] for name, fn in pieces.items()]
    with timer.active():
        rows.append(["`Neg.apply(t)` under this profile's per-op timer",
                     f"{median_time(lambda: Neg.apply(plain)) * 1e6:.2f}"])
    rows.append(["`vector.mean()` forward and backward right after a batch-1024 GEMM",
                 f"{_after_gemm(partial(_mean_forward_backward, vector)) * 1e6:.2f}"])
    return rows


def batch_report(batch: int) -> tuple[list[str], str]:
    """One row of the summary table and the per-op section for ``batch``."""
    problem = make_problem(batch)
    timing = compare([Variant(n, partial(make_step, c, problem))
                      for n, c in (("NumPy", NumpyMLP), ("descend", DescendMLP))],
                     rounds=15, min_time=0.05)
    ours, numpy_s = timing["descend"]["median_s"], timing["NumPy"]["median_s"]
    gemm = gemm_seconds(problem)
    steps = max(20, min(500, int(1.0 / ours)))
    phases = phase_seconds(DescendMLP(problem), steps)
    ops, counts = op_table(problem, steps)
    applications = sum(counts.values())
    row = [str(batch), fmt_time(ours), fmt_time(numpy_s), f"{timing['descend']['ratio']:.2f}×",
           fmt_time(gemm), fmt_time(max(ours - gemm, 0)), fmt_time(max(numpy_s - gemm, 0)),
           " / ".join(fmt_time(phases[p]) for p in PHASES),
           " + ".join(str(counts[p]) for p in PHASES) + f" = {applications}",
           f"{(ours - numpy_s) / applications * 1e6:.1f} µs"]
    calls = max(10, min(1000, int(1.0 / ours)))
    stats = profile(DescendMLP(problem).step, calls)
    section = "\n".join([
        f"### Batch {batch}", "",
        "Time per step in each op (median step; an op's backward includes the ops it runs):", "",
        ops, "",
        "Top functions by own time under cProfile (its overhead inflates Python code, so read "
        "the shares, not the absolute figures):", "",
        top_functions(stats, calls, names=_method_names())])
    return row, section


def write_profile(batches: tuple[int, ...] = BATCHES) -> str:
    """Measure, write the generated section of ``profiles/mlp_step.md``, return it."""
    _limits = pin_threads(1)
    rows, sections = [], []
    with others_load() as load:
        for batch in batches:
            print(f"  profiling batch {batch}", file=sys.stderr)
            row, section = batch_report(batch)
            rows.append(row)
            sections.append(section)
    info = machine_info()
    others = f"{load['others']:.0%}" if "others" in load else "unknown"
    header = ["batch", "descend step", "NumPy step", "descend/NumPy", "GEMMs alone",
              "descend outside GEMMs", "NumPy outside GEMMs", "descend forward / backward / update",
              "op applications (fwd + bwd + update)", "extra time per application"]
    markdown = "\n".join([
        f"Generated by `python benchmarks/mlp_step.py --profile` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}, 1 thread ({info['blas']}, numpy {info['numpy']}, "
        f"{info['cpu']}); other processes used {others} of the machine's CPU meanwhile.", "",
        "\"GEMMs alone\" is the step's eight matrix products timed by themselves; \"outside "
        "GEMMs\" is the step minus that. \"Extra time per application\" is (descend − NumPy) / "
        "op applications: what each op costs beyond the arithmetic NumPy does too.", "",
        format_table(header, rows), "",
        "### Core costs (µs per call; hot caches unless said)", "",
        format_table(["piece", "µs"], core_costs()), "",
        "\n\n".join(sections)])
    update_results("generated", markdown, path=PROFILE)
    return markdown


def instruction_minima(jitted: Any, hand: Callable[[], object], rounds: int
                       ) -> tuple[list[tuple[str, float]], float, float]:
    """Replay ``jitted``'s program (a ``jit_step.Jitted``, stepped once) instruction by
    instruction, timing each, alternating each replay with one ``hand()`` step: ``([(the
    instruction's first printed line, min seconds)], min replay seconds, min hand seconds)``.
    Minima over many rounds are the figures least disturbed by other processes."""
    program = jitted.compiled.program(*jitted.arrays)
    lines = []
    for instruction in program.code:
        text = instruction.source(program.names).splitlines()
        more = f"  (+{len(text) - 1} lines)" if len(text) > 1 else ""
        lines.append(text[0].strip() + more)
    best = [float("inf")] * len(program.runs)
    replay = hand_best = float("inf")
    env = program.env
    for _ in range(rounds):
        for slot, array in zip(program.arguments, jitted.arrays):
            env[slot] = array
        for handed_out in program.handed:
            handed_out.clear()
        start = time.perf_counter()
        for i, run in enumerate(program.runs):
            began = time.perf_counter()
            run(env)
            best[i] = min(best[i], time.perf_counter() - began)
        replay = min(replay, time.perf_counter() - start)
        began = time.perf_counter()
        hand()
        hand_best = min(hand_best, time.perf_counter() - began)
    return list(zip(lines, best)), replay, hand_best


def _alternating_minima(steps: list[Callable[[], object]], rounds: int) -> list[float]:
    """The least seconds each of ``steps`` took over ``rounds`` rounds of one call each."""
    best = [float("inf")] * len(steps)
    for _ in range(rounds):
        for i, step in enumerate(steps):
            began = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - began)
    return best


def jit_profile(batch: int, rounds: int) -> str:
    """The compiled MLP step's per-instruction minima at ``batch`` beside the hand step's, and
    the whole step's minima (the replay call included) against the hand step's."""
    from jit_step import Jitted

    problem = make_problem(batch)
    jitted = Jitted(DescendMLP(problem), ("x", "labels"))
    jitted.step()
    rows, replay, hand = instruction_minima(jitted, NumpyMLP(problem).step, rounds)
    whole = _alternating_minima([jitted.step, NumpyMLP(problem).step], rounds)
    lines = [f"batch {batch}: instruction by instruction {replay * 1e6:.1f} us, hand step "
             f"{hand * 1e6:.1f} us; whole calls {whole[0] * 1e6:.1f} us against "
             f"{whole[1] * 1e6:.1f} us ({whole[0] / whole[1]:.3f}x) (minima of {rounds})"]
    lines += [f"  {seconds * 1e6:9.2f} us  {line[:100]}" for line, seconds in rows]
    lines.append(f"  sum of the instruction minima {sum(s for _, s in rows) * 1e6:.1f} us")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jit", action="store_true",
                        help="the compiled step's per-instruction minima (prints only)")
    parser.add_argument("--batch", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()
    if args.jit:
        pin_threads(1)
        for batch in args.batch or BATCHES:
            print(jit_profile(batch, args.rounds if batch < 1024 else args.rounds // 20 + 5))
    else:
        print(write_profile(tuple(args.batch or BATCHES)))
