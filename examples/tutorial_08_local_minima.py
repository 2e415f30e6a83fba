"""Tutorial 8: a local minimum that is not global; random restarts; random search.

On the double well, plain gradient descent rolls into the nearer, shallower valley and stays;
momentum carries over the hump into the deep one; random search, with as many evaluations of
the loss, wanders. Restarting gradient descent from random points finds both valleys.
Run: python examples/tutorial_08_local_minima.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    race = dc.lab.race("double_well", ["gd", "momentum", "random"])
    print(race.summary())
    racing = Path(out) / "08_double_well_race.png"
    dc.viz.plot_race(race, path=racing)
    restarts = dc.lab.restarts("double_well", n=8, seed=0)
    print(restarts.summary())
    print(f"best of 8 restarts: {restarts.best.name}, loss {restarts.best.final_loss:.4f}")
    restarting = Path(out) / "08_restarts.png"
    dc.viz.plot_contour("double_well", restarts, path=restarting)
    slope = Path(out) / "08_double_well_1d.png"
    dc.viz.plot_slope(dc.lab.double_well, 1.9, lr=0.05, steps=6, span=(-1.8, 2.0), path=slope)
    return {"race": race, "restarts": restarts, "pictures": [racing, restarting, slope]}


if __name__ == "__main__":
    main(*sys.argv[1:2])
