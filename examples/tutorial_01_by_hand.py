"""Tutorial 1: fit ``kernel·x + bias`` from random weights by hand, with Tensors.

Guess weights and measure them, then run the four-step loop (predict, measure, gradient, step)
and draw the path it took on the loss surface, the loss per step and the fitted line.
Run: python examples/tutorial_01_by_hand.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc


def guesses(x: dc.Tensor, y: dc.Tensor) -> dict[tuple[float, float], float]:
    """Guess work: the loss of a few hand-picked (kernel, bias) pairs."""
    return {(k, b): dc.losses.mse(y, x * k + b).item()
            for k, b in [(0.0, 0.0), (1.0, 1.0), (2.0, -1.0), (3.0, -1.0)]}


def descend_by_hand(x: dc.Tensor, y: dc.Tensor, *, lr: float, steps: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The four-step loop; the (kernel, bias) and loss before each step and at the end."""
    dc.seed(0)
    kernel = dc.tensor(-1.0, dtype="float64", requires_grad=True)
    bias = dc.tensor(2.0, dtype="float64", requires_grad=True)
    params, losses = [], []
    for _ in range(steps + 1):
        prediction = x * kernel + bias                   # 1. predict
        loss = ((prediction - y) ** 2).mean()            # 2. measure the loss
        params.append((kernel.item(), bias.item()))
        losses.append(loss.item())
        loss.backward()                                  # 3. the gradient
        with dc.no_grad():                               # 4. step against it
            kernel -= lr * kernel.grad
            bias -= lr * bias.grad
        kernel.grad = bias.grad = None
    return np.array(params[: steps + 1]), np.array(losses)


def main(out: str | Path = "docs/images/course") -> dict:
    problem = dc.lab.LinearRegression()                  # y = 2x − 1 plus a small wiggle
    x_data, y_data = problem.data
    x, y = dc.tensor(x_data, dtype="float64"), dc.tensor(y_data, dtype="float64")
    for (k, b), loss in guesses(x, y).items():
        print(f"guess kernel {k:4.1f}, bias {b:4.1f}: loss {loss:.3f}")
    params, losses = descend_by_hand(x, y, lr=0.3, steps=40)
    print(f"after 40 steps: kernel {params[-1][0]:.3f}, bias {params[-1][1]:.3f}, "
          f"loss {losses[-1]:.4f} (least squares: {problem.minimum[0]:.3f}, "
          f"{problem.minimum[1]:.3f})")
    path = Path(out) / "01_by_hand.png"
    run = dc.lab.Trajectory("by hand, lr 0.3", params, losses, False, problem.tol,
                            problem.min_loss)
    dc.viz.plot_race(dc.lab.Race(problem, 40, [run]), path=path)
    return {"params": params, "losses": losses, "picture": path}


if __name__ == "__main__":
    main(*sys.argv[1:2])
