"""Watch a real model train: learning-rate finder, live training curves, the path on its landscape.

A small network learns Boston house prices. The learning-rate finder picks Adam's learning
rate; fit then trains with a TrajectoryRecorder (the weights after every epoch), a LivePlot
(the curves, saved to a file every 10 epochs; in a notebook it redraws under the cell) and a
TerminalChart (the loss drawn with characters every 50 epochs). Finally the recorded path is
drawn on the model's loss landscape.
Run: python examples/lab_training.py [folder]
"""

import sys
from pathlib import Path

import descend as dc
from descend import lab, viz

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_pictures")
out.mkdir(parents=True, exist_ok=True)
dc.seed(0)
(x_train, y_train), (x_test, y_test) = dc.datasets.load_boston_housing()
scaler = dc.data.Standardizer().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = dc.Sequential([dc.nn.Dense(32, activation="relu"), dc.nn.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
finder = lab.lr_find(model, x_train, y_train, start_lr=1e-6, end_lr=10.0, steps=200,
                     batch_size=32)
print(f"learning-rate finder: suggests lr = {finder.suggestion:.3g} "
      f"(the loss blew up at lr = {finder.lrs[-1]:.3g})")
viz.plot_lr_find(finder, path=out / "lr_finder.png")

model.optimizer.lr = finder.suggestion
recorder = lab.TrajectoryRecorder()
history = model.fit(x_train, y_train, epochs=150, batch_size=32, validation_split=0.2,
                    verbose=0, seed=0,
                    callbacks=[recorder,
                               viz.LivePlot(10, path=out / "training_curves.png",
                                            log_scale=True, title="Boston Housing, Adam"),
                               viz.TerminalChart(50, log_scale=True, height=8)])
print(f"test MSE {model.evaluate(x_test, y_test)['loss']:.2f} ($1000s²)")

recorder.plot_landscape(x_train, y_train, steps=41, log_scale=True,
                        path=out / "trajectory_landscape.png",
                        title="150 epochs of Adam, on the path's PCA plane")
