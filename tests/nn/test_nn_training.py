"""Proof the layers learn: an MLP and a CNN trained with a hand-written loop, and the same
networks kept in lockstep with torch for 20 SGD steps from identical weights."""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

import descend as dc
from descend import nn


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy of integer labels (written here: losses live elsewhere)."""
    onehot = np.eye(logits.shape[1], dtype=logits.dtype)[labels]
    return -(dc.log_softmax(logits, axis=1) * onehot).sum(axis=1).mean()


def blobs(n, rng):
    """Three Gaussian blobs in 2-D, one per class."""
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    labels = rng.integers(0, 3, n)
    return (centers[labels] + rng.standard_normal((n, 2))).astype(np.float32), labels


def bars(n, rng, size=8):
    """Images (n, 1, size, size) with one bright horizontal (class 0) or vertical (1) bar."""
    labels = rng.integers(0, 2, n)
    images = rng.normal(0.0, 0.3, (n, 1, size, size)).astype(np.float32)
    where = rng.integers(0, size, n)
    for i in range(n):
        if labels[i]:
            images[i, 0, :, where[i]] += 1.0
        else:
            images[i, 0, where[i], :] += 1.0
    return images, labels


def train(model, x, y, *, epochs, lr, momentum=0.9, batch=32, seed=0):
    """Minibatch SGD with momentum, written out by hand."""
    rng = np.random.default_rng(seed)
    velocity = {id(p): np.zeros_like(p.numpy()) for p in model.parameters()}
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            take = order[start:start + batch]
            loss = cross_entropy(model(x[take]), y[take])
            model.zero_grad()
            loss.backward()
            with dc.no_grad():
                for p in model.parameters():
                    v = velocity[id(p)]
                    v *= momentum
                    v += p.grad.numpy()
                    p -= lr * v


def accuracy(model, x, y):
    model.eval()
    with dc.no_grad():
        predicted = model(x).numpy().argmax(axis=1)
    model.train()
    return float((predicted == y).mean())


def test_mlp_learns_separable_blobs():
    dc.seed(0)
    rng = np.random.default_rng(0)
    x, y = blobs(600, rng)
    x_test, y_test = blobs(300, rng)
    model = dc.Sequential([nn.Dense(16, activation="relu", input_dim=2), nn.Dropout(0.1),
                           nn.Dense(3)])
    start = time.perf_counter()
    train(model, x, y, epochs=10, lr=0.05)
    assert time.perf_counter() - start < 20
    assert accuracy(model, x_test, y_test) >= 0.95


def test_cnn_learns_horizontal_versus_vertical_bars():
    dc.seed(0)
    rng = np.random.default_rng(1)
    x, y = bars(400, rng)
    x_test, y_test = bars(200, rng)
    model = dc.Sequential([
        nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
        nn.MaxPool2D(),
        nn.Flatten(),
        nn.Dense(2),
    ])
    start = time.perf_counter()
    train(model, x, y, epochs=8, lr=0.05)
    assert time.perf_counter() - start < 20
    assert accuracy(model, x_test, y_test) >= 0.95


def lockstep(model, torch_forward, x, y, steps=20, lr=0.1):
    """SGD on both sides from the same weights: (largest loss difference, losses)."""
    model.astype("float64")
    weights = [torch.tensor(p.numpy(), requires_grad=True) for p in model.parameters()]
    x64, tx, ty = x.astype(np.float64), torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    worst, losses = 0.0, []
    for _ in range(steps):
        loss = cross_entropy(model(x64), y)
        model.zero_grad()
        loss.backward()
        with dc.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        their_loss = F.cross_entropy(torch_forward(tx, *weights), ty)
        their_loss.backward()
        with torch.no_grad():
            for w in weights:
                w -= lr * w.grad
                w.grad = None
        worst = max(worst, abs(loss.item() - their_loss.item()))
        losses.append(loss.item())
    return worst, losses


def test_mlp_matches_torch_step_for_step():
    dc.seed(1)
    x, y = blobs(64, np.random.default_rng(2))
    model = dc.Sequential([nn.Dense(16, activation="tanh", input_dim=2),
                           nn.Dense(8, activation="relu"), nn.Dense(3)])

    def torch_mlp(x, k0, b0, k1, b1, k2, b2):    # descend's kernel (in, out) is torch's W.T
        h = torch.tanh(F.linear(x, k0.T, b0))
        return F.linear(torch.relu(F.linear(h, k1.T, b1)), k2.T, b2)

    worst, losses = lockstep(model, torch_mlp, x, y)
    assert worst < 1e-5 and losses[-1] < 0.7 * losses[0]


def test_cnn_matches_torch_step_for_step():
    dc.seed(2)
    x, y = bars(32, np.random.default_rng(3))
    model = dc.Sequential([
        nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
        nn.MaxPool2D(),
        nn.Conv2D(6, 3, strides=2, activation="relu"),
        nn.Flatten(),
        nn.Dense(2),
    ])

    def torch_cnn(x, k0, b0, k1, b1, k2, b2):    # conv kernels share torch's layout
        h = F.max_pool2d(torch.relu(F.conv2d(x, k0, b0, padding=1)), 2)
        h = torch.relu(F.conv2d(h, k1, b1, stride=2))
        return F.linear(h.flatten(1), k2.T, b2)

    worst, losses = lockstep(model, torch_cnn, x, y, lr=0.5)
    assert worst < 1e-5 and losses[-1] < 0.7 * losses[0]
