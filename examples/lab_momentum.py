"""The momentum lab: predicted against measured convergence rates on ill-conditioned quadratics.

Run: python examples/lab_momentum.py [folder]
"""

import sys
from pathlib import Path

from descend import lab, viz

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_pictures")
out.mkdir(parents=True, exist_ok=True)

results = lab.momentum_lab([2, 5, 10, 30, 100, 300, 1000], steps=300)
print(results.table())
viz.plot_momentum_lab(results, show=4, path=out / "momentum_lab.png")     # κ = 100 on the right

sweep = lab.lr_sweep("quadratic", steps=60)          # too small, about right, too large
print(sweep.summary())
viz.plot_race(sweep, path=out / "lr_sweep.png")
viz.plot_race(lab.race("rosenbrock", ["gd", "momentum", "nag", "rmsprop", "adam"], steps=800),
              path=out / "rosenbrock_race.png")
