"""Tutorial 6: one sigmoid neuron σ(w·x + b) fitted to two points, (0.5, 0.2) and (2.5, 0.9).

Guess work first (try weights by hand and measure), then the loss surface, then gradient
descent from (w, b) = (−2, −2): it crawls across a plateau where the slope is tiny before it
finds the way down.
Run: python examples/tutorial_06_sigmoid_neuron.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc

GUESSES = [(-2.0, -2.0), (0.0, 0.0), (1.0, -2.0), (2.0, -2.0), (1.0, -1.0)]
"""Hand-picked (w, b) to try."""


def main(out: str | Path = "docs/images/course") -> dict:
    problem = dc.lab.SigmoidNeuron()
    guesses = {(w, b): problem.value(w, b) for w, b in GUESSES}
    for (w, b), loss in guesses.items():
        print(f"guess w {w:5.1f}, b {b:5.1f}: loss {loss:.4f}")
    tries = [dc.lab.Trajectory(f"guess ({w:g}, {b:g})", np.array([[w, b]]),
                               np.array([loss]), False, problem.tol, problem.min_loss)
             for (w, b), loss in guesses.items()]
    guessing = Path(out) / "06_guesses.png"
    dc.viz.plot_contour(problem, dc.lab.Race(problem, 0, tries), path=guessing)
    run = dc.lab.race(problem, ["gd"], steps=150)["GD"]
    ga, gb = problem.gradient(run.params[:, 0], run.params[:, 1])
    slopes = np.hypot(ga, gb)
    print(f"|∇L| at the start {slopes[0]:.4f}, smallest {slopes[:60].min():.4f} "
          f"(step {int(slopes[:60].argmin())}), at step 80 {slopes[80]:.4f}")
    print(f"loss after 30 steps {run.losses[30]:.4f}, after 150 {run.final_loss:.4f}")
    race = Path(out) / "06_sigmoid_gd.png"
    dc.viz.plot_race(dc.lab.Race(problem, 150, [run]), path=race)
    surface = Path(out) / "06_sigmoid_surface.png"
    dc.viz.plot_surface_3d(problem, dc.lab.Race(problem, 150, [run]), path=surface)
    return {"guesses": guesses, "run": run, "slopes": slopes,
            "pictures": [guessing, race, surface]}


if __name__ == "__main__":
    main(*sys.argv[1:2])
