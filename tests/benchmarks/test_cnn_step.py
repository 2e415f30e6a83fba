"""The CNN benchmark: the hand-written im2col step is right, and all three steps agree.

The hand backward is checked twice: against float64 finite differences (no torch needed) and,
with descend and torch, through the loss and the updated weights after one and two steps.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from bench_support import assert_same_training, entry, fake_run, implementations, load

cnn_step = load("cnn_step")
cnn_numpy = load("cnn_numpy")


def tiny(seed: int = 1, dtype=np.float32):
    problem = cnn_step.make_problem(5, size=8, filters=(2, 3), classes=4, seed=seed)
    fields = {f.name: getattr(problem, f.name) for f in dataclasses.fields(problem)}
    cast = {k: (tuple(a.astype(dtype) for a in v) if isinstance(v, tuple) else
                v.astype(dtype) if k != "labels" else v) for k, v in fields.items()}
    return cnn_step.Problem(**cast)


def test_the_problem_has_the_requested_shapes():
    p = cnn_step.make_problem()
    assert [a.shape for a in p.parameters()] == [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,),
                                                 (784, 10), (10,)]
    assert p.x.shape == (64, 1, 28, 28) and p.x.dtype == np.float32
    assert tiny().labels.tolist().count(tiny().labels[0]) > 1, "a label repeats"


def test_im2col_holds_each_pixels_padded_window():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 3))
    cols = cnn_numpy.im2col(x, 3).reshape(2, 4, 5, 3, 3, 3)     # (n, h, w, ki, kj, c)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    np.testing.assert_array_equal(cols[1, 2, 3], padded[1, 2:5, 3:6, :])
    np.testing.assert_array_equal(cols[0, 0, 0, 0], 0.0)       # the zero border


def test_the_input_gradient_is_the_adjoint_of_the_convolution():
    rng = np.random.default_rng(1)
    x, kernel = rng.standard_normal((2, 4, 5, 3)), rng.standard_normal((6, 3, 3, 3))
    dout = rng.standard_normal((2 * 4 * 5, 6))
    conv = cnn_numpy.im2col(x, 3) @ cnn_numpy.kernel_rows(kernel).T
    dx = cnn_numpy.conv_input_grad(dout, kernel, x.shape)
    assert np.sum(conv * dout) == pytest.approx(np.sum(x * dx), rel=1e-12)


def test_max_pool_takes_the_largest_of_each_window_and_routes_the_gradient_there():
    x = np.arange(16.0).reshape(1, 4, 4, 1)[:, ::-1].copy()
    pooled = cnn_numpy.max_pool(x)
    np.testing.assert_array_equal(pooled[0, :, :, 0], [[13, 15], [5, 7]])
    back = cnn_numpy.max_pool_relu_backward(np.ones_like(pooled), x, pooled)
    np.testing.assert_array_equal(back.reshape(4, 4), np.isin(x[0, :, :, 0], [13, 15, 5, 7]))


def test_the_hand_gradient_matches_finite_differences():
    problem = tiny(dtype=np.float64)
    before = problem.parameters()
    stepped = cnn_numpy.NumpyCNN(problem, lr=1.0)
    stepped.step()
    grads = [b - a for b, a in zip(before, stepped.weights())]   # lr 1: the update is the grad
    rng = np.random.default_rng(0)
    for index, (param, grad) in enumerate(zip(before, grads)):
        for flat in rng.choice(param.size, size=min(4, param.size), replace=False):
            pos = np.unravel_index(flat, param.shape)
            losses = []
            for sign in (1, -1):
                arrays = [a.copy() for a in before]
                arrays[index][pos] += sign * 1e-6
                moved = dataclasses.replace(problem, kernels=(arrays[0], arrays[2]),
                                            biases=(arrays[1], arrays[3]), dense=arrays[4],
                                            dense_bias=arrays[5])
                losses.append(float(cnn_numpy.NumpyCNN(moved, lr=0.0).step()))
            numeric = (losses[0] - losses[1]) / 2e-6
            assert grad[pos] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (index, pos)


@pytest.mark.parametrize("steps", [1, 2])
def test_all_implementations_agree_on_loss_and_updated_weights(steps):
    problem = tiny()
    models = {name: cls(problem, 0.5)
              for name, cls in implementations(cnn_step.IMPLEMENTATIONS).items()}
    assert_same_training(models, steps, rtol=1e-4, atol=1e-5)
    moved = [np.abs(w - p).max() for w, p in zip(models["NumPy"].weights(),
                                                  problem.parameters())]
    assert min(moved) > 1e-4, "every parameter must change in a step"


def test_the_target_is_one_point_two_times_the_hand_step():
    run = fake_run({"64": {"NumPy": entry(), "descend": entry(ratio=1.15),
                           "torch": entry(ratio=0.8)}})
    (target,) = cnn_step.targets({1: run})
    assert target.met() and target.note == "torch 0.80× hand NumPy"
    assert "| 64 | 1 ms | 1 ms | 1 ms | 1.15× (1.10–1.20) | 0.80× (0.75–0.85) | 0% |" in (
        cnn_step.BENCH.markdown({1: run}))


def test_the_profile_times_each_instruction_of_the_flat_compiled_step():
    rows, replay, hand = load("cnn_profile").profile(2)
    text = "\n".join(line for line, _ in rows)
    assert "conv2d(" in text and "max_pool2d_grad(" in text and ".backward(" not in text
    assert all(seconds > 0 for _, seconds in rows) and sum(s for _, s in rows) <= replay
    assert hand > 0
