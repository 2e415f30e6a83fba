"""One SGD step of a small CNN on MNIST-sized images, batch 64: descend vs NumPy vs PyTorch.

Conv2D(8, 3, "same", relu) → MaxPool2D(2) → Conv2D(16, 3, "same", relu) → MaxPool2D(2) →
Flatten → Dense(10) on ``(64, 1, 28, 28)`` float32 images, softmax cross-entropy, SGD; the
same initial weights and batch for all three:

- **NumPy**: im2col by stride tricks + one GEMM per convolution, the backward by hand with
  col2im by adding per kernel offset (``cnn_numpy.py``; the baseline);
- **descend**: ``dc.Sequential`` of those layers, ``dc.losses.sparse_categorical_crossentropy``
  (``from_logits=True``), ``dc.optim.SGD``, ``loss.backward(); opt.step(); opt.zero_grad()``;
- **torch**: ``F.conv2d``, ``F.relu``, ``F.max_pool2d``, ``F.linear``, ``F.cross_entropy``,
  ``optim.SGD``.

Run from the repository root::

    python benchmarks/cnn_step.py            # 1 and 2 threads; writes its RESULTS.md section
    python benchmarks/cnn_step.py --quick    # smoke run, prints only
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import suite
from cnn_numpy import NumpyCNN
from harness import Variant
from mlp_step import TorchStep

import descend as dc

BATCH = 64
LR = 0.01
TARGET = 1.2
"""Issue 8: descend's step at most 1.2× the hand im2col NumPy step."""


@dataclass(frozen=True)
class Problem:
    """Initial parameters and one batch: ``kernels`` ``(f, c, 3, 3)``, ``biases`` ``(f,)``,
    ``dense`` ``(features, classes)``, ``dense_bias`` ``(classes,)``, ``x`` ``(batch, 1, size,
    size)`` float32, ``labels`` ``(batch,)`` int64."""

    kernels: tuple[np.ndarray, np.ndarray]
    biases: tuple[np.ndarray, np.ndarray]
    dense: np.ndarray
    dense_bias: np.ndarray
    x: np.ndarray
    labels: np.ndarray

    def parameters(self) -> list[np.ndarray]:
        """``[kernel1, bias1, kernel2, bias2, dense, dense_bias]``, the models' order."""
        return [self.kernels[0], self.biases[0], self.kernels[1], self.biases[1], self.dense,
                self.dense_bias]


def make_problem(batch: int = BATCH, *, size: int = 28, filters: tuple[int, int] = (8, 16),
                 classes: int = 10, seed: int = 0) -> Problem:
    """He-initialised float32 weights, small random biases, random images and labels."""
    dc.seed(seed)
    rng = dc.backend.rng()

    def he(*shape: int) -> np.ndarray:
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def small(n: int) -> np.ndarray:
        return (rng.standard_normal(n) * 0.01).astype(np.float32)

    features = filters[1] * (size // 4) ** 2
    return Problem((he(filters[0], 1, 3, 3), he(filters[1], filters[0], 3, 3)),
                   (small(filters[0]), small(filters[1])), he(features, classes), small(classes),
                   rng.random((batch, 1, size, size), dtype=np.float32),
                   rng.integers(0, classes, size=batch))


class DescendCNN(suite.ModelStep):
    """The step with descend's layers, fused softmax cross-entropy and ``dc.optim.SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        filters = [k.shape[0] for k in problem.kernels]
        model = dc.Sequential([
            dc.nn.Conv2D(filters[0], 3, padding="same", activation="relu",
                         input_shape=problem.x.shape[1:]),
            dc.nn.MaxPool2D(2),
            dc.nn.Conv2D(filters[1], 3, padding="same", activation="relu"),
            dc.nn.MaxPool2D(2),
            dc.nn.Flatten(),
            dc.nn.Dense(problem.dense.shape[1]),
        ])
        model.set_weights(problem.parameters())
        super().__init__(model, partial(dc.losses.sparse_categorical_crossentropy,
                                        from_logits=True), problem.x, problem.labels, lr)


class TorchCNN(TorchStep):
    """The step in PyTorch's functional API with ``torch.optim.SGD``."""

    def __init__(self, problem: Problem, lr: float = LR) -> None:
        super().__init__(problem.parameters(), lr)
        self.x = self.torch.from_numpy(problem.x)
        self.labels = self.torch.from_numpy(problem.labels)

    def loss(self) -> object:
        """The forward pass: the mean cross-entropy of the batch."""
        F, (k1, b1, k2, b2, w, b) = self.F, self.params
        h = F.max_pool2d(F.relu(F.conv2d(self.x, k1, b1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, k2, b2, padding=1)), 2)
        return F.cross_entropy(F.linear(h.flatten(1), w, b), self.labels)


IMPLEMENTATIONS = {"NumPy": NumpyCNN, "descend": DescendCNN, "torch": TorchCNN}
"""Name -> class (``cls(problem, lr)``); NumPy first, the baseline of the paired ratios."""


def measure(quick: bool, threads: int) -> dict:
    """Time the three steps at batch 64, interleaved (threads already pinned)."""
    problem = make_problem()
    variants = [Variant(name, lambda cls=cls: cls(problem, LR).step)
                for name, cls in IMPLEMENTATIONS.items()]
    row = suite.timed(variants, quick=quick, settle=suite.settle_for(threads))
    return {"rows": {str(BATCH): row}}


def table(run: dict) -> str:
    return suite.variant_table(run, "batch", baseline="NumPy")


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """descend's step over the hand im2col step; torch's ratio beside it."""
    def figure(run: dict) -> tuple[float, float | None]:
        row = run["rows"][str(BATCH)]
        return row["results"]["descend"]["ratio"], row["others"]

    first = runs[min(runs)]["rows"][str(BATCH)]["results"]
    note = f"torch {first['torch']['ratio']:.2f}× hand NumPy" if "torch" in first else ""
    return [suite.target(f"small CNN step, batch {BATCH}", f"≤ {TARGET}× hand im2col NumPy",
                         TARGET, runs, figure, note=note)]


WHAT = (
    "Conv2D(8, 3, same, relu) → MaxPool2D(2) → Conv2D(16, 3, same, relu) → MaxPool2D(2) → "
    "Flatten → Dense(10) on a batch of 64 random 1×28×28 float32 images, softmax "
    "cross-entropy, one SGD step (lr 0.01), the same initial weights for all three. **NumPy**: "
    "im2col by stride tricks and one GEMM per convolution (channels-last inside the step), the "
    "backward by hand with col2im by adding per kernel offset (`cnn_numpy.py`). **descend**: "
    "`dc.Sequential` of those layers, `dc.losses.sparse_categorical_crossentropy(..., "
    "from_logits=True)`, `dc.optim.SGD`. **torch**: `F.conv2d`, `F.relu`, `F.max_pool2d`, "
    "`F.linear`, `F.cross_entropy`, `optim.SGD`. Median time per step over interleaved rounds; "
    "ratios are medians of per-round ratios to NumPy, quartiles in brackets.")


BENCH = suite.Bench(
    "cnn_step", __file__, "small CNN step at batch 64 (im2col NumPy by hand)",
    measure, targets, table=table, what=WHAT,
    title="cnn_step: one SGD step of a small CNN, batch 64, float32")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
