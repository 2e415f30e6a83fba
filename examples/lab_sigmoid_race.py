"""The plateau lecture example: six optimizers race on one sigmoid neuron fitted to two points.

Plain gradient descent (lr 1) sits on the plateau for about 50 steps; momentum, NAG and the
adaptive methods find the way down sooner. Writes pictures into a folder (default: lab_pictures).
Run: python examples/lab_sigmoid_race.py [folder]
"""

import sys
from pathlib import Path

import descend as dc
from descend import lab, viz

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_pictures")
out.mkdir(parents=True, exist_ok=True)

race = lab.race("sigmoid", ["gd", "momentum", "nag", "adagrad", "rmsprop", "adam"], steps=150)
print(race.summary())
print(f"GD after 50 steps: {race['GD'].losses[50]:.3f}, after 100: {race['GD'].losses[100]:.4f};"
      f" momentum after 50: {race['Momentum'].losses[50]:.4f}")

viz.plot_race(race, path=out / "sigmoid_race.png")
viz.plot_race_grid(race, path=out / "sigmoid_grid.png")
viz.plot_surface_3d("sigmoid", race, path=out / "sigmoid_surface_3d.png")
viz.animate_race(race, out / "sigmoid_race.gif", frames=45, fps=10)

# inside Adam's last step: moments, bias corrections, the effective learning rate per weight
print(lab.explain_step(race["Adam"].optimizer))

# the basic picture: the loss along one weight, its slope, and the steps against it
viz.plot_slope(lambda w: (w - 3.0) ** 2 + 0.3 * (2.0 * w).sin(), 0.0, lr=0.3, steps=4,
               path=out / "slope.png")
# the same along w on the sigmoid problem (b fixed at -2): on the plateau the slope is tiny
problem = lab.SigmoidNeuron()
viz.plot_slope(lambda w: problem.loss(w, dc.tensor(-2.0, dtype="float64")), -2.0, lr=1.0,
               steps=3, span=(-4.0, 6.0), path=out / "slope_plateau.png")
print(f"pictures in {out}/")
