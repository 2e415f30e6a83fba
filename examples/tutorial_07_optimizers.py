"""Tutorial 7: momentum, Nesterov, Adagrad, RMSProp, Adam, and decaying learning rates.

Each optimizer races from the sigmoid neuron's plateau. Then plain GD on the ill-conditioned
quadratic with a learning rate too large to converge (0.25 > 2/κ = 0.2), constant and decayed
by 0.97 a step: the decayed rate drops below 0.2 after eight steps and then converges.
Run: python examples/tutorial_07_optimizers.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    race = dc.lab.race("sigmoid", ["gd", "momentum", "nag", "adagrad", "rmsprop", "adam"],
                       steps=150)
    print(race.summary())
    racing = Path(out) / "07_optimizers.png"
    dc.viz.plot_race_grid(race, path=racing)
    problem = dc.lab.Quadratic()
    runs = [dc.lab.run(problem, lambda p: dc.optim.SGD(p, lr=0.25), name=name, steps=60,
                       schedule=schedule)
            for name, schedule in [("GD, lr 0.25", None),
                                   ("GD, lr 0.25 · 0.97^t", "exponential:0.97")]]
    decayed = dc.lab.Race(problem, 60, runs)
    print(decayed.summary())
    schedule = Path(out) / "07_schedule.png"
    dc.viz.plot_race(decayed, path=schedule)
    return {"race": race, "decayed": decayed, "pictures": [racing, schedule]}


if __name__ == "__main__":
    main(*sys.argv[1:2])
