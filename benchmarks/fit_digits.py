"""Ten epochs of training on the 8×8 digits: ``Model.fit`` vs the bare loop vs a torch loop.

A 64-128-10 ReLU MLP (softmax output), Adam (lr 1e-3), batch 32, 10 epochs, on 80% of
``dc.datasets.load_digits()`` (stratified split, seed 0); the same initial weights and the
same shuffled batches (``Dataset.batches(seed=0, epoch=k)``, fit's order) for all three:

- **loop**: descend's bare custom loop (``fit_overhead.bare_loop``; the baseline);
- **fit**: ``model.fit(x, y, batch_size=32, epochs=10, verbose=0, shuffle=True, seed=0)``
  (``fit_overhead.fit``);
- **torch**: ``nn.Sequential(Linear, ReLU, Linear)``, ``F.cross_entropy`` on the logits,
  ``optim.Adam``, the same batches.

Besides the time of the 10 epochs, each variant trains once from the initial weights and
reports the test accuracy it reaches (the held-out 20%).

Run from the repository root::

    python benchmarks/fit_digits.py            # 1 and 2 threads; writes its RESULTS.md section
    python benchmarks/fit_digits.py --quick    # smoke run, prints only
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import suite
from fit_overhead import BATCH, TARGET, Workload, bare_loop, fit
from harness import Variant, fmt_time, has_torch

import descend as dc

EPOCHS = 10
LR = 1e-3


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, x_test, y_train, y_test``: the digits, 20% held out, stratified, seed 0."""
    x, y = dc.datasets.load_digits()
    return dc.data.train_test_split(x, y, test_size=0.2, seed=0, stratify=y)


def make_model() -> dc.Sequential:
    """The compiled MLP with the initial weights of ``dc.seed(0)``."""
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(128, activation="relu", input_dim=64),
                           dc.nn.Dense(10, activation="softmax")])
    model.compile(dc.optim.Adam(lr=LR), "sparse_categorical_crossentropy")
    return model


def workload(epochs: int = EPOCHS, rows: int | None = None) -> Workload:
    """The training run as a ``fit_overhead.Workload`` (its first ``rows`` training rows)."""
    x_train, _, y_train, _ = split()
    return Workload(f"digits MLP 64-128-10 ReLU, Adam ({len(x_train[:rows])} rows)",
                    make_model, x_train[:rows], y_train[:rows],
                    dc.losses.sparse_categorical_crossentropy, epochs)


class TorchLoop:
    """The same training in PyTorch: logits + ``F.cross_entropy`` (softmax folded in)."""

    def __init__(self, work: Workload) -> None:
        import torch

        self.torch, self.work = torch, work
        kernel1, bias1, kernel2, bias2 = work.make_model().get_weights()
        self.model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                         torch.nn.Linear(128, 10))
        with torch.no_grad():
            for p, a in zip(self.model.parameters(), (kernel1.T, bias1, kernel2.T, bias2)):
                p.copy_(torch.from_numpy(np.ascontiguousarray(a)))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.data = dc.data.Dataset(work.x, work.y)

    def run(self) -> None:
        """``epochs`` epochs over the same batches as descend's loop and fit."""
        F = self.torch.nn.functional
        for epoch in range(self.work.epochs):
            for x, y in self.data.batches(BATCH, shuffle=True, seed=0, epoch=epoch):
                loss = F.cross_entropy(self.model(self.torch.from_numpy(x)),
                                       self.torch.from_numpy(y))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).numpy()


def torch_loop(work: Workload) -> Callable[[], None]:
    """A ``Variant.setup``: the torch loop on a fresh model."""
    return TorchLoop(work).run


VARIANTS: dict[str, Callable[[Workload], Callable[[], object]]] = {
    "loop": bare_loop, "fit": fit, "torch": torch_loop}
"""Name -> setup taking the workload; the loop first, the baseline of the ratios."""


def trained_predict(name: str, work: Workload) -> Callable[[np.ndarray], np.ndarray]:
    """Train variant ``name`` once from the initial weights; return its ``predict``."""
    if name == "torch":
        loop = TorchLoop(work)
        loop.run()
        return loop.predict
    made: list[dc.Sequential] = []
    recorded = dataclasses.replace(
        work, make_model=lambda: made.append(work.make_model()) or made[-1])
    VARIANTS[name](recorded)()
    return made[-1].predict


def accuracies(work: Workload) -> dict[str, float]:
    """The test accuracy each (available) variant reaches after one training run."""
    _, x_test, _, y_test = split()
    names = [name for name in VARIANTS if name != "torch" or has_torch()]
    return {name: float((trained_predict(name, work)(x_test).argmax(axis=1) == y_test).mean())
            for name in names}


def measure(quick: bool, threads: int) -> dict:
    """Time the three trainings, interleaved; then each one's test accuracy."""
    work = workload()
    variants = [Variant(name, lambda setup=setup: setup(work)) for name, setup in
                VARIANTS.items()]
    row = suite.timed(variants, quick=quick, rounds=3 if quick else 10, min_time=0.01,
                      settle=suite.settle_for(threads))
    row["accuracy"] = accuracies(work)
    row["batches"] = work.batches_per_call()
    return {"rows": {work.label: row}}


def _extra(_: str, row: dict) -> list[str]:
    results, batches = row["results"], row["batches"]
    return [" / ".join(fmt_time(results[n]["median_s"] / batches) for n in results),
            " / ".join(f"{row['accuracy'][n]:.1%}" for n in results)]


def table(run: dict) -> str:
    names = " / ".join(next(iter(run["rows"].values()))["results"])
    return suite.variant_table(run, f"{EPOCHS} epochs of", baseline="loop", extra=_extra,
                               extra_header=(f"per batch ({names})",
                                             f"test accuracy ({names})"))


def targets(runs: dict[int, dict]) -> list[suite.Target]:
    """fit's time per batch over the bare loop's (issue 8's fit overhead, on the digits)."""
    def figure(run: dict) -> tuple[float, float | None]:
        (row,) = run["rows"].values()
        return row["results"]["fit"]["ratio"], row["others"]

    return [suite.target(f"`fit` per-batch overhead, digits MLP + Adam, batch {BATCH}",
                         f"≤ {TARGET:.2f}× the bare loop", TARGET, runs, figure)]


WHAT = (
    "A 64-128-10 ReLU MLP with a softmax output, Adam (lr 1e-3), batch 32, 10 epochs on 80% "
    "of `dc.datasets.load_digits()` (1437 rows, stratified split, seed 0), float32; the same "
    "initial weights and shuffled batches for all three. **loop**: descend's bare custom loop "
    "(`fit_overhead.bare_loop`). **fit**: `model.fit(..., batch_size=32, epochs=10, "
    "verbose=0)`. **torch**: `nn.Sequential(Linear, ReLU, Linear)`, `F.cross_entropy`, "
    "`optim.Adam`, the same batches. Times are medians of interleaved 10-epoch runs (each "
    "continues training the same model); ratios are medians of per-round ratios to the loop. "
    "The test accuracy is that of one run of 10 epochs from the initial weights, on the 360 "
    "held-out rows.")


BENCH = suite.Bench(
    "fit_digits", __file__, "10 epochs on the digits: fit, bare loop, torch loop; accuracy",
    measure, targets, table=table, what=WHAT,
    title="fit_digits: 10 epochs on the 8×8 digits, fit vs loop vs torch")

if __name__ == "__main__":
    suite.main(BENCH, __doc__.splitlines()[0])
