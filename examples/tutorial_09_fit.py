"""Tutorial 9: ``compile`` / ``fit`` dissected: epochs, batches and the noise of small batches,
validation, callbacks.

A batch-loss recorder (a callback: every live view in descend is one) counts the steps an
epoch takes. At fixed weights, the loss of a random batch of 8 rows scatters far more around
the loss of all rows than a batch of 128's does: the noise of small batches. The picture puts
the epoch curves of three batch sizes side by side, training solid and validation dashed.
Run: python examples/tutorial_09_fit.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc
from descend.demo import plots
from descend.demo.boston import load_data
from descend.demo.compare import compare
from descend.demo.whatif import WhatIf


class BatchLosses(dc.callbacks.Callback):
    """Keep the loss of every batch ``fit`` trains on."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.losses.append(float(logs["loss"]))


def trained(batch_size: int, epochs: int = 20) -> tuple[dc.Sequential, BatchLosses]:
    """A one-hidden-layer MLP trained on Boston Housing, and the losses of its batches."""
    data = load_data()
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(50, activation="sigmoid", input_dim=12),
                           dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.SGD(lr=0.01), loss="mse")
    recorder = BatchLosses()
    model.fit(*data["train"], epochs=epochs, batch_size=batch_size, seed=0, verbose=0,
              callbacks=[recorder])
    return model, recorder


def batch_noise(model: dc.Sequential, batch_size: int, draws: int = 200) -> float:
    """How far the loss of a random batch strays from the loss of all training rows, relative
    to it (the standard deviation over ``draws`` batches, at the model's fixed weights)."""
    x, y = load_data()["train"]
    errors = (model.predict(x) - y) ** 2
    rng = np.random.default_rng(0)
    batches = [errors[rng.choice(len(x), batch_size, replace=False)].mean()
               for _ in range(draws)]
    return float(np.std(batches) / errors.mean())


def main(out: str | Path = "docs/images/course", epochs: int = 200) -> dict:
    model, recorder = trained(8)
    print(f"batches of 8: {len(recorder.losses)} steps in 20 epochs")
    noise = {size: batch_noise(model, size) for size in (8, 128)}
    for size, spread in noise.items():
        print(f"a batch of {size:3d} rows: its loss strays {100 * spread:.0f} % from the "
              "loss of all rows (standard deviation)")
    results = compare({f"batch {b}": WhatIf(batch_size=b) for b in (8, 40, 128)},
                      model="mlp1", epochs=epochs)
    for label, result in results.items():
        scores = result.models["mlp1"].scores
        print(f"{label:9}: train MSE {scores['train'].mse:.2f}, "
              f"validation {scores['validation'].mse:.2f}")
    path = Path(out) / "09_batch_sizes.png"
    plots.whatif_curves(results, path)
    return {"noise": noise, "results": results, "picture": path}


if __name__ == "__main__":
    main(*sys.argv[1:2])
