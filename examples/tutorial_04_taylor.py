"""Tutorial 4: why step against the gradient. Around θ, L(θ + ηu) ≈ L(θ) + η·uᵀ∇L; over unit
directions u, uᵀ∇L = |∇L|·cos β is smallest at cos β = −1, u = −∇L/|∇L|. The straight line is
a good guess only for small η: why the learning rate must be small.
Run: python examples/tutorial_04_taylor.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    taylor = dc.lab.taylor("double_well", at=(1.6, 0.8))
    norm = np.linalg.norm(taylor.gradient)
    print(f"∇L at θ = (1.6, 0.8): {np.round(taylor.gradient, 3).tolist()}, |∇L| = {norm:.3f}")
    print(f"the steepest descent direction: {np.degrees(taylor.best_angle):.1f}°, "
          f"where the loss falls at −|∇L| = {-norm:.3f} per unit step")
    for eta, real, line in list(zip(taylor.etas, taylor.real, taylor.predicted))[::13]:
        print(f"η = {eta:.2f}: real {real:.3f}, first order {line:.3f}")
    path = Path(out) / "04_taylor.png"
    dc.viz.plot_taylor("double_well", at=(1.6, 0.8), result=taylor, path=path)
    return {"taylor": taylor, "picture": path}


if __name__ == "__main__":
    main(*sys.argv[1:2])
