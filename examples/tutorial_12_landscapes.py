"""Tutorial 12: the loss landscape of a trained model, and the learning-rate finder.

Record the weights while Adam trains an MLP on Boston Housing, then draw the path on the
plane it moved in most; sweep the learning rate over one batch each to find a good one.
Run: python examples/tutorial_12_landscapes.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import descend as dc
from descend.demo.boston import load_data


def model_for(x_train) -> dc.Sequential:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(50, activation="relu", input_dim=x_train.shape[1]),
                           dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.Adam(lr=0.01), loss="mse")
    return model


def main(out: str | Path = "docs/images/course", epochs: int = 60, steps: int = 25) -> dict:
    x_train, y_train = load_data()["train"]
    model = model_for(x_train)
    finder = dc.lab.lr_find(model, x_train, y_train, start_lr=1e-5, end_lr=10, steps=150,
                            seed=0)
    print(f"the finder suggests lr {finder.suggestion:.3g}")
    finding = Path(out) / "12_lr_finder.png"
    dc.viz.plot_lr_find(finder, path=finding)
    recorder = dc.lab.TrajectoryRecorder()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, seed=0, verbose=0,
              callbacks=[recorder])
    landscape = Path(out) / "12_landscape.png"
    recorder.plot_landscape(x_train, y_train, steps=steps, log_scale=True, path=landscape)
    print(f"{len(recorder.snapshots)} snapshots over {epochs} epochs")
    return {"finder": finder, "recorder": recorder, "pictures": [finding, landscape]}


if __name__ == "__main__":
    main(*sys.argv[1:2])
