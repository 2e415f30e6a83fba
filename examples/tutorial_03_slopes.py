"""Tutorial 3: slopes. A secant closing in on the tangent, the derivative as sensitivity,
partial derivatives, the gradient as the direction of steepest ascent, a layer's Jacobian.
Run: python examples/tutorial_03_slopes.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    slopes = dc.lab.secant_slopes(lambda x: x * x, 2.0, [1.0, 0.5, 0.1, 0.01])
    for dx, m in slopes:
        print(f"x² from 2 to {2 + dx:g}: Δy/Δx = {m:.4g}")
    print(f"f′(2) = {dc.lab.derivative(lambda x: x * x, 2.0):g}")
    secant = Path(out) / "03_secant.png"
    dc.viz.plot_secant(lambda x: x * x, 2.0, [1.0, 0.5, 0.25, 0.1], path=secant)

    problem = dc.lab.Quadratic()
    ga, gb = problem.gradient(-3.0, 1.5)
    print(f"∂L/∂x = {ga.item():g}, ∂L/∂y = {gb.item():g} at (−3, 1.5)")
    run = dc.lab.race(problem, ["gd"], steps=12)["GD"]
    arrows = Path(out) / "03_gradient_arrows.png"
    dc.viz.plot_gradients(problem, at=[(-3.0, 1.5), (3.0, -2.0)], trajectory=run, every=2,
                          path=arrows)

    dc.seed(0)
    layer = dc.nn.Dense(2, input_dim=3)
    x = dc.tensor([[1.0, 2.0, 3.0]])
    jac = dc.jacobian(lambda v: layer(v))(x).numpy()      # shape (1, 2, 1, 3)
    print("the Jacobian of Dense(2) at x is its kernel, transposed:",
          np.allclose(jac[0, :, 0, :], layer.kernel.numpy().T))
    return {"slopes": slopes, "jacobian": jac, "layer": layer, "pictures": [secant, arrows]}


if __name__ == "__main__":
    main(*sys.argv[1:2])
