"""Tutorial 2: the loss surface of a line fit, and learning rates too small, right, too large.

Plain gradient descent on the mean squared error of ``w·x + b``: its surface is a bowl whose
steepest curvature λ_max sets the largest stable step, 2/λ_max. The problem's ``lr`` is
1/λ_max; a tenth of it crawls, and 2.5 times it diverges.
Run: python examples/tutorial_02_learning_rates.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    problem = dc.lab.LinearRegression()
    rates = [0.1 * problem.lr, problem.lr, 2.5 * problem.lr]
    sweep = dc.lab.lr_sweep(problem, rates, steps=30)
    print(f"1/λ_max = {problem.lr:.3g}; the largest stable step is 2/λ_max = "
          f"{2 * problem.lr:.3g}")
    print(sweep.summary())
    path = Path(out) / "02_learning_rates.png"
    dc.viz.plot_race(sweep, path=path)
    surface = Path(out) / "02_surface_3d.png"
    dc.viz.plot_surface_3d(problem, sweep, path=surface)
    return {"sweep": sweep, "picture": path, "surface": surface}


if __name__ == "__main__":
    main(*sys.argv[1:2])
