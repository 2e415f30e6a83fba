"""The loss landscape of a small trained network, with its training path on the PCA plane.

A two-layer tanh network (written with dc.linear) learns y = sin(3x); the weights are saved
every few steps, and the loss is drawn on the plane of the path's two principal directions,
and on two filter-normalised random directions. The learning rate comes from the finder for
parameters (lr_find_params); examples/lab_training.py runs the finder on a compiled model.
Run: python examples/lab_landscape.py [folder]
"""

import sys
from pathlib import Path

import numpy as np

import descend as dc
from descend import lab, optim, viz

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_pictures")
out.mkdir(parents=True, exist_ok=True)
dc.seed(0)
x = dc.tensor(np.linspace(-1, 1, 64).reshape(-1, 1))
y = (x * 3.0).sin()
params = [dc.randn(1, 16, requires_grad=True), dc.zeros(16, requires_grad=True),
          dc.randn(16, 1, requires_grad=True), dc.zeros(1, requires_grad=True)]


def loss_fn():
    hidden = dc.linear(x, params[0], params[1]).tanh()
    return ((dc.linear(hidden, params[2], params[3]) - y) ** 2).mean()


finder = lab.lr_find_params(params, loss_fn, optim.SGD, start_lr=1e-3, end_lr=100.0,
                            steps=100)
print(f"learning-rate finder suggests lr = {finder.suggestion:.3g}")

opt = optim.SGD(params, lr=finder.suggestion, momentum=0.9)
snapshots = [[p.numpy().copy() for p in params]]
for step in range(300):
    opt.zero_grad()
    loss = loss_fn()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        snapshots.append([p.numpy().copy() for p in params])
print(f"loss after training: {loss_fn().item():.5f}")

path_plane = lab.trajectory_landscape(loss_fn, params, snapshots, steps=31)
viz.plot_landscape(path_plane, log_scale=True, path=out / "landscape_pca.png",
                   title="training path on its PCA plane")
random_plane = lab.loss_landscape_2d(loss_fn, params, span=0.5, steps=31)
viz.plot_landscape(random_plane, kind="3d", path=out / "landscape_3d.png",
                   title="filter-normalised random directions")
