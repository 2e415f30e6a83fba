"""One gradient-descent step of the two-point sigmoid neuron: autodiff overhead at its purest.

The neuron ``f(x) = σ(w·x + b)`` is fitted to the lecture's points (0.5, 0.2) and (2.5, 0.9)
with the loss ``½ Σ (f(x) − y)²``, from ``(w, b) = (−2, −2)`` with learning rate 1, in
float32 (``descend.lab.SigmoidNeuron``'s problem). Two multiply-adds of work: what a step costs
is the framework. Variants, interleaved round by round:

- **NumPy**: the vectorised step with the gradient by hand (the baseline);
- **descend SGD**: 0-d Tensors ``w``, ``b`` (the points made Tensors once, as the torch
  variants do); ``loss.backward()``, ``dc.optim.SGD.step()``,
  ``zero_grad()``; **descend bare**: the same, updated by ``w -= lr * w.grad`` under
  ``dc.no_grad()``;
- **torch SGD** and **torch bare**: the same two in PyTorch.

Run from the repository root::

    python benchmarks/sigmoid_step.py            # 1 and 2 threads; writes its RESULTS.md section
    python benchmarks/sigmoid_step.py --quick    # smoke run, prints only
"""

from __future__ import annotations

from functools import partial

import numpy as np
import suite
from harness import Variant, paired_ratio

import descend as dc

X = np.array([0.5, 2.5], dtype=np.float32)
Y = np.array([0.2, 0.9], dtype=np.float32)
START = (-2.0, -2.0)
LR = 1.0
TARGET = 0.4
"""Issue 8: descend's step at most 0.4× PyTorch autograd's."""


class NumpyNeuron:
    """The step by hand: ``g = (f − y)·f·(1 − f)``, ``∂L/∂w = Σ g·x``, ``∂L/∂b = Σ g``."""

    def __init__(self, lr: float = LR) -> None:
        self.w, self.b = np.float32(START[0]), np.float32(START[1])
        self.lr = lr

    def step(self) -> np.floating:
        """Forward, gradient and update; returns the loss before the update."""
        f = 1.0 / (1.0 + np.exp(-(self.w * X + self.b)))
        err = f - Y
        g = err * f * (1.0 - f)
        self.w -= self.lr * (g * X).sum()
        self.b -= self.lr * g.sum()
        return 0.5 * (err * err).sum()

    def weights(self) -> list[float]:
        return [float(self.w), float(self.b)]


class DescendNeuron:
    """The step with descend: autodiff, then ``dc.optim.SGD`` (or a bare in-place update)."""

    def __init__(self, lr: float = LR, *, bare: bool = False) -> None:
        self.w = dc.tensor(START[0], requires_grad=True)
        self.b = dc.tensor(START[1], requires_grad=True)
        self.x, self.y = dc.tensor(X), dc.tensor(Y)  # made once, as torch's from_numpy below
        self.lr = lr
        self.optimizer = None if bare else dc.optim.SGD([self.w, self.b], lr=lr)

    def step(self) -> dc.Tensor:
        """Forward, ``backward()``, update; returns the loss before the update."""
        err = (self.w * self.x + self.b).sigmoid() - self.y
        loss = 0.5 * (err ** 2).sum()
        loss.backward()
        if self.optimizer is not None:
            self.optimizer.step()
            self.optimizer.zero_grad()
            return loss
        with dc.no_grad():
            self.w -= self.lr * self.w.grad
            self.b -= self.lr * self.b.grad
        self.w.grad = self.b.grad = None
        return loss

    def weights(self) -> list[float]:
        return [float(self.w.item()), float(self.b.item())]


class TorchNeuron:
    """The step in PyTorch: autograd, then ``torch.optim.SGD`` (or a bare in-place update)."""

    def __init__(self, lr: float = LR, *, bare: bool = False) -> None:
        import torch

        self.torch = torch
        self.w = torch.tensor(START[0], requires_grad=True)
        self.b = torch.tensor(START[1], requires_grad=True)
        self.x, self.y = torch.from_numpy(X), torch.from_numpy(Y)
        self.lr = lr
        self.optimizer = None if bare else torch.optim.SGD([self.w, self.b], lr=lr)

    def step(self) -> object:
        """Forward, ``backward()``, update; returns the loss before the update."""
        err = (self.w * self.x + self.b).sigmoid() - self.y
        loss = 0.5 * (err ** 2).sum()
        loss.backward()
        if self.optimizer is not None:
            self.optimizer.step()
            self.optimizer.zero_grad()
            return loss.detach()
        with self.torch.no_grad():
            self.w -= self.lr * self.w.grad
            self.b -= self.lr * self.b.grad
        self.w.grad = self.b.grad = None
        return loss.detach()

    def weights(self) -> list[float]:
        return [self.w.item(), self.b.item()]


IMPLEMENTATIONS = {
    "NumPy": NumpyNeuron,
    "descend SGD": DescendNeuron,
    "descend bare": partial(DescendNeuron, bare=True),
    "torch SGD": TorchNeuron,
    "torch bare": partial(TorchNeuron, bare=True),
}
"""Name -> a callable making the implementation (``lr=`` optional); NumPy is the baseline."""

WHAT = (
    "The neuron `f(x) = σ(w·x + b)` fitted to the points (0.5, 0.2) and (2.5, 0.9) by "
    "`½ Σ (f(x) − y)²` from `(w, b) = (−2, −2)`, learning rate 1, float32: two multiply-adds "
    "of work, so the step's cost is the framework's. **NumPy**: the vectorised step, gradient "
    "by hand. **descend SGD**: 0-d Tensors (the points made Tensors once, as for torch), "
    "`loss.backward()`, `dc.optim.SGD.step()`, `zero_grad()`; **descend bare**: "
    "`w -= lr * w.grad` under `dc.no_grad()` instead of the optimizer. **torch SGD**, "
    "**torch bare**: the same in PyTorch. Median time per step over interleaved rounds; "
    "ratios are medians of per-round ratios, quartiles in brackets.")

PAIRS = (("descend SGD", "torch SGD"), ("descend bare", "torch bare"))
"""The like-for-like comparisons: issue 8's target is the first, each library's whole GD step
with its own SGD optimizer; the second, both updated by hand, is a stricter check of our own
(see ``targets``)."""


def measure(quick: bool, threads: int) -> dict:
    """Time every implementation's step, interleaved (threads already pinned)."""
    variants = [Variant(name, lambda make=make: make().step)
                for name, make in IMPLEMENTATIONS.items()]
    row = suite.timed(variants, quick=quick, min_time=0.02 if quick else 0.05)
    results = row["results"]
    row["paired"] = {ours: paired_ratio(results, ours, theirs) for ours, theirs in PAIRS
                     if theirs in results}
    return {"rows": {"GD step": row}}


def _paired_cells(_: str, row: dict) -> list[str]:
    return [suite.ratio_cell(row["paired"][ours]) if ours in row["paired"] else "—"
            for ours, _theirs in PAIRS]


def table(run: dict) -> str:
    return suite.variant_table(run, "step", baseline="NumPy", extra=_paired_cells,
                               extra_header=tuple(f"{a}/{b}" for a, b in PAIRS))


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """descend's step against PyTorch's, with ``dc.optim.SGD`` and with the bare update.

    Issue 8 asks for "≤ 0.4× PyTorch autograd's time" for one GD step and puts that step at
    18× vectorised NumPy (180 µs against 10 µs): the optimizer pairing, whose torch step is
    the nearer of the two to that ratio (see the torch/NumPy columns), is the target.
    The bare pairing takes torch's cheapest idiom as its baseline, so it is a stricter check
    of our own, reported with its verdict and counted apart.
    """
    def pick(ours: str):
        def figure(run: dict) -> tuple[float, float | None] | None:
            row = run["rows"]["GD step"]
            return (row["paired"][ours]["ratio"], row["others"]) if ours in row["paired"] else None
        return figure

    return [suite.target(f"sigmoid-neuron GD step ({ours})", f"≤ {TARGET}× {theirs}", TARGET,
                         runs, pick(ours), own=ours != PAIRS[0][0]) for ours, theirs in PAIRS]


BENCH = suite.Bench(
    "sigmoid_step", __file__, "GD step of the two-point sigmoid neuron (autodiff overhead)",
    measure, targets, table=table, what=WHAT,
    title="sigmoid_step: one GD step of the two-point sigmoid neuron, float32")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
