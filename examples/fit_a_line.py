"""Fit y = kernel·x + bias from random weights with the four-step loop, using only Tensors.

1. predict, 2. measure the loss, 3. compute the gradient (backward), 4. step against it.
Run: python examples/fit_a_line.py
"""

import numpy as np

import descend as dc

dc.seed(0)
rng = np.random.default_rng(0)
x = dc.tensor(rng.uniform(-1, 1, size=(100, 1)))
y = 3.0 * x + 2.0 + dc.tensor(rng.normal(0, 0.1, size=(100, 1)))   # true kernel 3, bias 2

kernel = dc.randn(1, 1, requires_grad=True)
bias = dc.zeros(1, requires_grad=True)
learning_rate = 0.5

for step in range(101):
    prediction = x @ kernel + bias                 # 1. predict
    loss = ((prediction - y) ** 2).mean()          # 2. measure the loss (mean squared error)
    loss.backward()                                # 3. the gradient of the loss
    with dc.no_grad():                             # 4. step against the gradient
        kernel -= learning_rate * kernel.grad
        bias -= learning_rate * bias.grad
    kernel.grad = bias.grad = None
    if step % 20 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}  "
              f"kernel {kernel.item():.3f}  bias {bias.item():.3f}")
