"""One full-batch step of linear regression on Boston Housing, with layer, loss and optimizer.

The 333 training rows (12 z-scored features, float32), the model ``y = x · kernel + bias``,
mean squared error, SGD with learning rate 0.01; the same initial weights for all three:

- **NumPy**: ``x @ w + b`` and the gradient formulas by hand (the baseline);
- **descend**: ``dc.Sequential([dc.nn.Dense(1, input_dim=12)])``, ``dc.losses.mse``,
  ``dc.optim.SGD``; the custom loop ``loss.backward(); opt.step(); opt.zero_grad()``;
- **torch**: ``nn.Linear(12, 1)``, ``nn.MSELoss()``, ``optim.SGD``.

The work is tiny (a 333×12 matrix-vector product), so the ratio to NumPy is the price of the
objects: issue 8 asks for at most 10× (PyTorch measured 14–24×).

Run from the repository root::

    python benchmarks/boston_step.py            # 1 and 2 threads; writes its section
    python benchmarks/boston_step.py --quick    # smoke run, prints only
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import suite
from harness import Variant

import descend as dc

LR = 0.01
TARGET = 10.0
"""Issue 8: descend's step at most 10× the hand-written NumPy step."""


@dataclass(frozen=True)
class Problem:
    """``x`` ``(rows, features)``, ``y`` ``(rows, 1)``, ``kernel`` ``(features, 1)``, ``bias``
    ``(1,)``, all float32; every implementation starts from copies."""

    x: np.ndarray
    y: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray


def make_problem(rows: int | None = None, *, seed: int = 0) -> Problem:
    """The z-scored Boston training set (its first ``rows`` rows) and Dense's initial weights."""
    (x, y), _ = dc.datasets.load_boston_housing()
    x = dc.data.Standardizer().fit(x).transform(x).astype(np.float32)
    dc.seed(seed)
    layer = dc.nn.Dense(1, input_dim=x.shape[1], bias_initializer="random_normal")
    return Problem(x[:rows], y[:rows].astype(np.float32), layer.kernel.numpy().copy(),
                   layer.bias.numpy().copy())


class NumpyLinear:
    """The step by hand: ``g = 2 (x w + b − y) / n``, ``∂L/∂w = xᵀ g``, ``∂L/∂b = Σ g``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        self.x, self.y = problem.x, problem.y
        self.kernel, self.bias = problem.kernel.copy(), problem.bias.copy()
        self.lr = lr

    def step(self) -> np.floating:
        """Forward, gradient and update; returns the loss before the update."""
        err = self.x @ self.kernel
        err += self.bias
        err -= self.y
        loss = np.mean(err * err)
        err *= 2.0 * self.lr / len(err)
        self.kernel -= self.x.T @ err
        self.bias -= err.sum(axis=0)
        return loss

    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.bias]


class DescendLinear(suite.ModelStep):
    """The step with descend's objects: ``Sequential`` + ``Dense``, ``losses.mse``, ``SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        model = dc.Sequential([dc.nn.Dense(1, input_dim=problem.x.shape[1])])
        model.set_weights([problem.kernel, problem.bias])
        super().__init__(model, dc.losses.mse, problem.x, problem.y, lr)


class TorchLinear:
    """The step in PyTorch: ``nn.Linear``, ``nn.MSELoss``, ``optim.SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        import torch

        self.model = torch.nn.Linear(problem.x.shape[1], 1)
        with torch.no_grad():
            self.model.weight.copy_(torch.from_numpy(problem.kernel.T.copy()))
            self.model.bias.copy_(torch.from_numpy(problem.bias))
        self.loss = torch.nn.MSELoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.x, self.y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)

    def step(self) -> object:
        """``zero_grad()``, forward, ``backward()``, ``step()``; returns the loss."""
        self.optimizer.zero_grad()
        loss = self.loss(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def weights(self) -> list[np.ndarray]:
        return [self.model.weight.detach().numpy().T, self.model.bias.detach().numpy()]


IMPLEMENTATIONS = {"NumPy": NumpyLinear, "descend": DescendLinear, "torch": TorchLinear}
"""Name -> class; NumPy first, the baseline of the paired ratios."""


def measure(quick: bool, threads: int) -> dict:
    """Time the three steps, interleaved (threads already pinned)."""
    problem = make_problem()
    variants = [Variant(name, lambda cls=cls: cls(problem).step)
                for name, cls in IMPLEMENTATIONS.items()]
    row = suite.timed(variants, quick=quick, settle=suite.settle_for(threads),
                      min_time=0.02 if quick else 0.05)
    return {"rows": {f"{len(problem.x)} rows": row}}


def table(run: dict) -> str:
    return suite.variant_table(run, "batch", baseline="NumPy")


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """descend's step over NumPy's, with torch's ratio beside it."""
    def figure(run: dict) -> tuple[float, float | None]:
        (row,) = run["rows"].values()
        return row["results"]["descend"]["ratio"], row["others"]

    first = next(iter(runs[min(runs)]["rows"].values()))["results"]
    note = f"torch {first['torch']['ratio']:.1f}×" if "torch" in first else ""
    return [suite.target("Boston linear-regression step (layer, loss, optimizer)",
                         f"≤ {TARGET:g}× hand NumPy", TARGET, runs, figure, note=note)]


WHAT = (
    "One SGD step (lr 0.01) of `y = x · kernel + bias` on the 333 z-scored training rows "
    "(12 features, float32), mean squared error, the same initial weights for all three. "
    "**NumPy**: `x @ w + b` and the gradient formulas by hand. **descend**: "
    "`dc.Sequential([dc.nn.Dense(1, input_dim=12)])`, `dc.losses.mse`, `dc.optim.SGD`, the "
    "custom loop `loss.backward(); opt.step(); opt.zero_grad()`. **torch**: `nn.Linear(12, 1)`, "
    "`nn.MSELoss()`, `optim.SGD`. The work is a 333×12 matrix-vector product, so the ratio to "
    "NumPy is the price of the objects. Median time per step over interleaved rounds; ratios "
    "are medians of per-round ratios to NumPy, quartiles in brackets.")


BENCH = suite.Bench(
    "boston_step", __file__, "Boston linear regression, full batch, layer + loss + optimizer",
    measure, targets, table=table, what=WHAT,
    title="boston_step: full-batch linear regression step on Boston Housing")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
