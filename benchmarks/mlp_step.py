"""One training step of a 784-256-256-10 ReLU MLP: descend vs hand-written NumPy vs PyTorch.

A step is the forward pass, softmax cross-entropy, the backward pass and an in-place SGD update,
in float32, at batch sizes 1, 32, 128 and 1024. The three implementations start from the same
weights and data and are timed interleaved, round by round (``harness.compare``); the headline
is 1 thread, and 2 threads run in a second process.

Run from the repository root::

    python benchmarks/mlp_step.py              # full run; writes the mlp_step section of RESULTS.md
    python benchmarks/mlp_step.py --quick      # smoke run: 2 batch sizes, few rounds, prints only
    python benchmarks/mlp_step.py --profile    # cProfile descend's step -> profiles/mlp_step.md
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
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
    thread_settings,
    yardstick_lines,
)

import descend as dc

SIZES = (784, 256, 256, 10)
BATCHES = (1, 32, 128, 1024)
QUICK_BATCHES = (32, 1024)
LR = 1e-3
TARGET = 1.5
"""Issue 3's goal: descend at most 1.5× hand-written NumPy at the batch sizes below."""
TARGET_BATCHES = (128, 1024)


@dataclass(frozen=True)
class Problem:
    """Initial parameters and one batch; every implementation starts from copies of these.

    ``kernels[i]`` is ``(sizes[i], sizes[i + 1])``, ``biases[i]`` is ``(sizes[i + 1],)``,
    ``x`` is ``(batch, sizes[0])`` float32 and ``labels`` is ``(batch,)`` int64.
    """

    kernels: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    x: np.ndarray
    labels: np.ndarray

    def parameters(self) -> list[np.ndarray]:
        """``[kernel0, bias0, kernel1, bias1, ...]``, the order ``weights()`` uses."""
        return [a for pair in zip(self.kernels, self.biases) for a in pair]


def make_problem(batch: int, sizes: tuple[int, ...] = SIZES, *, seed: int = 0) -> Problem:
    """He-initialised float32 weights, small random biases, a Gaussian batch and random labels."""
    dc.seed(seed)
    rng = dc.backend.rng()
    pairs = list(itertools.pairwise(sizes))
    kernels = tuple((rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(np.float32)
                    for i, o in pairs)
    biases = tuple((rng.standard_normal(o) * 0.01).astype(np.float32) for _, o in pairs)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], size=batch)
    return Problem(kernels, biases, x, labels)


class DescendMLP:
    """The step written with descend Tensors (no layers): ``dc.linear`` with its fused ReLU,
    the fused sparse softmax cross-entropy of ``dc.losses`` and ``dc.optim.SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        self.params = [dc.Tensor(a, requires_grad=True) for a in problem.parameters()]
        self.x = dc.Tensor(problem.x)
        self.labels = problem.labels
        self.optimizer = dc.optim.SGD(self.params, lr=lr)

    def step(self) -> dc.Tensor:
        """Forward, backward and SGD update; returns the loss (before the update)."""
        loss = self.loss()
        loss.backward()
        self.update()
        return loss

    def loss(self) -> dc.Tensor:
        """The forward pass: the mean cross-entropy of the batch, a 0-d Tensor with a graph."""
        h = self.x
        last = len(self.params) - 2
        for i in range(0, last, 2):
            h = dc.linear(h, self.params[i], self.params[i + 1], activation="relu")
        logits = dc.linear(h, self.params[last], self.params[last + 1])
        return dc.losses.sparse_categorical_crossentropy(self.labels, logits, from_logits=True)

    def update(self) -> None:
        """``optimizer.step()`` (SGD in place), then forget the gradients."""
        self.optimizer.step()
        self.optimizer.zero_grad()

    def weights(self) -> list[np.ndarray]:
        return [p.numpy() for p in self.params]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The faster of NumPy's two matrix products for 2-D operands: ``np.dot`` for an outer
    product (contracted length 1, where ``matmul`` misses BLAS), ``@`` otherwise."""
    return np.dot(a, b) if a.shape[1] == 1 else a @ b


def softmax_cross_entropy(z: np.ndarray, labels: np.ndarray, rows: np.ndarray
                          ) -> tuple[np.floating, np.ndarray]:
    """The mean cross-entropy of logits ``z`` ``(n, classes)`` and its gradient
    ``(softmax(z) − onehot) / n``, by hand (``z`` is overwritten; ``rows`` is ``arange(n)``)."""
    z -= z.max(axis=1, keepdims=True)
    g = np.exp(z)
    total = g.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - z[rows, labels])
    g /= total
    g[rows, labels] -= 1
    g /= len(z)
    return loss, g


class NumpyMLP:
    """The step by hand: NumPy matmuls, the softmax cross-entropy gradient (p − onehot)/n."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        self.kernels = [k.copy() for k in problem.kernels]
        self.biases = [b.copy() for b in problem.biases]
        self.x = problem.x.copy()
        self.labels = problem.labels
        self.rows = np.arange(len(problem.labels))
        self.lr = lr

    def step(self) -> np.floating:
        """Forward, backward (no gradient for the input) and SGD update; returns the loss."""
        kernels, biases = self.kernels, self.biases
        acts = [self.x]
        for k, b in zip(kernels[:-1], biases[:-1]):
            h = acts[-1] @ k
            h += b
            np.maximum(h, 0, out=h)
            acts.append(h)
        z = acts[-1] @ kernels[-1]
        z += biases[-1]
        loss, g = softmax_cross_entropy(z, self.labels, self.rows)
        for layer in reversed(range(len(kernels))):
            a = acts[layer]
            grad_k = _dot(a.T, g)
            grad_b = g.sum(axis=0)
            if layer:
                g = g @ kernels[layer].T
                g *= a > 0
            grad_k *= self.lr
            grad_b *= self.lr
            kernels[layer] -= grad_k
            biases[layer] -= grad_b
        return loss

    def weights(self) -> list[np.ndarray]:
        return [a for pair in zip(self.kernels, self.biases) for a in pair]


class TorchStep:
    """A PyTorch SGD step over parameters given in descend's layout (a 2-D kernel is
    ``(in, out)``; it is transposed for ``F.linear``); subclasses define ``loss()``."""

    def __init__(self, arrays: list[np.ndarray], lr: float) -> None:
        import torch

        self.torch, self.F = torch, torch.nn.functional
        self.params = [torch.tensor(a.T.copy() if a.ndim == 2 else a.copy(), requires_grad=True)
                       for a in arrays]
        self.optimizer = torch.optim.SGD(self.params, lr=lr)

    def step(self) -> object:
        """Forward, backward and ``optimizer.step()``; returns the loss tensor."""
        loss = self.loss()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def weights(self) -> list[np.ndarray]:
        arrays = [t.detach().numpy() for t in self.params]
        return [a.T if a.ndim == 2 else a for a in arrays]


class TorchMLP(TorchStep):
    """The step in PyTorch: ``F.linear``, ``F.relu``, fused ``F.cross_entropy``, ``optim.SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        super().__init__(problem.parameters(), lr)
        self.x = self.torch.tensor(problem.x)
        self.labels = self.torch.tensor(problem.labels)

    def loss(self) -> object:
        """The forward pass: the mean cross-entropy of the batch."""
        F, p = self.F, self.params
        h = self.x
        last = len(p) - 2
        for i in range(0, last, 2):
            h = F.relu(F.linear(h, p[i], p[i + 1]))
        return F.cross_entropy(F.linear(h, p[last], p[last + 1]), self.labels)


IMPLEMENTATIONS = {"NumPy": NumpyMLP, "descend": DescendMLP, "torch": TorchMLP}
"""Name -> class; NumPy first, the baseline of the paired ratios."""


def make_step(cls: type, problem: Problem) -> object:
    """A fresh ``cls(problem)``'s ``step`` (a ``Variant.setup``, with ``partial``)."""
    return cls(problem).step


def measure(batches: tuple[int, ...], *, rounds: int, min_time: float, settle: float) -> dict:
    """Time every implementation at each batch size in this process (threads already pinned)."""
    try:
        import torch  # noqa: F401
        names = list(IMPLEMENTATIONS)
    except ImportError:
        names = ["NumPy", "descend"]
    per_batch, others = {}, {}
    for batch in batches:
        problem = make_problem(batch)
        variants = [Variant(name, partial(make_step, IMPLEMENTATIONS[name], problem))
                    for name in names]
        start = time.perf_counter()
        with others_load() as load:
            per_batch[str(batch)] = compare(variants, rounds=rounds, min_time=min_time,
                                            settle=settle)
        others[str(batch)] = load.get("others")
        print(f"  batch {batch}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return {"batches": per_batch, "others": others, "threads": thread_settings(),
            "machine": machine_info(), "rounds": rounds}


def _ratio(entry: dict) -> str:
    return f"{entry['ratio']:.2f}× ({entry['ratio_lo']:.2f}–{entry['ratio_hi']:.2f})"


def thread_table(run: dict) -> str:
    """One markdown table: median step time per implementation, the paired ratios, the noise."""
    names = list(next(iter(run["batches"].values())))
    header = ["batch", *(f"{n} step" for n in names),
              *(f"{n}/NumPy" for n in names if n != "NumPy"), "CPU used by others"]
    rows = []
    for batch, entries in run["batches"].items():
        others = run["others"].get(batch)
        rows.append([batch, *(fmt_time(entries[n]["median_s"]) for n in names),
                     *(_ratio(entries[n]) for n in names if n != "NumPy"),
                     "?" if others is None else f"{others:.0%}"])
    return format_table(header, rows)


def target_line(run: dict, threads: int) -> str:
    """Whether descend is within ``TARGET``× of NumPy at ``TARGET_BATCHES`` in ``run``."""
    ratios = {b: run["batches"][str(b)]["descend"]["ratio"] for b in TARGET_BATCHES
              if str(b) in run["batches"]}
    missing = [str(b) for b in TARGET_BATCHES if b not in ratios]
    if not ratios:
        return "Target not measured (its batch sizes were not run)."
    if missing:
        verdict = f"incomplete, batch {' and '.join(missing)} not measured"
    else:
        verdict = "met" if all(r <= TARGET for r in ratios.values()) else "not met"
    figures = ", ".join(f"{r:.2f}× at batch {b}" for b, r in ratios.items())
    return (f"Target (issue 3): descend within {TARGET}× of hand-written NumPy at batch "
            f"{' and '.join(map(str, TARGET_BATCHES))}, {threads} "
            f"thread{'s' if threads > 1 else ''}: "
            f"**{verdict}** ({figures}).")


def results_markdown(runs: dict[int, dict], *, note: str = "") -> str:
    """The RESULTS.md section: what was timed, one table per thread count, the machine."""
    first = runs[min(runs)]
    lines = [
        "## mlp_step: one SGD step of a 784-256-256-10 ReLU MLP, float32",
        "",
        "Forward, softmax cross-entropy, backward, in-place SGD update (lr 1e-3), the same "
        "initial weights and batch for all three: **descend** (Tensors, "
        "`dc.linear(..., activation=\"relu\")`, the fused "
        "`dc.losses.sparse_categorical_crossentropy(..., from_logits=True)`, `dc.optim.SGD`'s "
        "`step()` and `zero_grad()`), **NumPy** by hand (manual backward, no input gradient, "
        "`np.dot` for the batch-1 outer products) and **torch** (`F.linear`, `F.relu`, fused "
        "`F.cross_entropy`, `torch.optim.SGD`). Median time per "
        f"step over {first['rounds']} interleaved rounds; ratios are medians of per-round ratios "
        "to NumPy, with their quartiles in brackets. \"CPU used by others\" is the share of "
        "the machine's cores that other processes took while that row was measured.",
    ]
    if note:
        lines += ["", f"*{note}*"]
    lines += ["", target_line(first, min(runs))]
    for threads, run in sorted(runs.items()):
        heading = "1 thread (headline)" if threads == 1 else f"{threads} threads"
        settings = ", ".join(f"{k} = {v}" for k, v in run["threads"].items())
        lines += ["", f"### {heading}", "", thread_table(run), "",
                  f"Thread settings: {settings}."]
        lines += yardstick_lines(run)
    machine = "; ".join(f"{k} {v}" for k, v in first["machine"].items())
    lines += ["", f"Machine: {machine}.",
              f"Measured {time.strftime('%Y-%m-%d %H:%M')} with "
              "`python benchmarks/mlp_step.py`."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line; time (all thread counts, or one with ``--threads``) or profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: batches 32 and 1024, 5 rounds; prints, writes nothing")
    parser.add_argument("--threads", type=int,
                        help="measure only this thread count, in this process")
    parser.add_argument("--json", action="store_true",
                        help="with --threads: print the raw results as JSON (for the harness)")
    parser.add_argument("--rounds", type=int, default=25, help="interleaved rounds (default 25)")
    parser.add_argument("--note", default="", help="a sentence printed above the tables")
    parser.add_argument("--profile", action="store_true",
                        help="profile descend's step at batch 1, 32, 1024 instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        from mlp_step_profile import write_profile

        write_profile()
        return
    batches = QUICK_BATCHES if args.quick else BATCHES
    rounds = 5 if args.quick else args.rounds
    # With 2 threads, OpenBLAS workers spin ~0.1 s after NumPy's calls and steal torch's
    # second core: let them go idle before each sample.
    settle = 0.2 if args.threads is not None and args.threads > 1 else 0.0
    drive(__file__, "mlp_step", args,
          partial(measure, batches, rounds=rounds, min_time=0.02 if args.quick else 0.1,
                  settle=settle),
          partial(results_markdown, note=args.note),
          ("--quick",) if args.quick else ("--rounds", str(rounds)))


if __name__ == "__main__":
    main()
