"""The scratch-array pool, and the convolution that reuses its im2col matrix through it."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend.ops import workspace
from descend.ops.conv import conv2d

BIG = (256, 256)  # 256 KiB in float32: large enough to be pooled


@pytest.fixture(autouse=True)
def empty_pool():
    workspace.clear()
    yield
    workspace.clear()


def test_a_given_back_array_is_handed_out_again_for_the_same_shape_and_dtype():
    a = workspace.take(BIG, np.float32)
    workspace.give_back(a)
    assert workspace.held_bytes() == a.nbytes
    assert workspace.take(BIG, np.float64) is not a
    assert workspace.take((BIG[0] + 1, BIG[1]), np.float32) is not a
    assert workspace.take(BIG, np.float32) is a
    assert workspace.held_bytes() == 0
    assert workspace.take(BIG, np.float32) is not a  # handed out once only


def test_small_arrays_and_views_are_not_kept():
    workspace.give_back(np.empty(10, np.float32))
    workspace.give_back(np.empty((512, 512), np.float32)[:, :256])
    assert workspace.held_bytes() == 0


def test_the_pool_is_bounded_and_drops_its_oldest_shapes_first(monkeypatch):
    monkeypatch.setattr(workspace, "LIMIT_BYTES", 3 * 256 * 256 * 4)
    arrays = [np.empty((256, 256 + i), np.float32) for i in range(3)]
    arrays.append(np.empty((256, 256), np.float32))
    for a in arrays:
        workspace.give_back(a)
    assert workspace.held_bytes() <= workspace.LIMIT_BYTES
    assert workspace.take((256, 256), np.float32) is arrays[3]  # the newest is kept
    assert workspace.take((256, 257), np.float32) is not arrays[1]  # the oldest went


def test_each_thread_has_its_own_pool():
    workspace.give_back(np.empty(BIG, np.float32))
    seen = []
    thread = threading.Thread(target=lambda: seen.append(workspace.held_bytes()))
    thread.start()
    thread.join()
    assert seen == [0] and workspace.held_bytes() > 0


def _torch_conv(x, k, b):
    tx, tk, tb = (torch.tensor(a, requires_grad=True) for a in (x, k, b))
    y = F.relu(F.conv2d(tx, tk, tb, padding=1))
    (y * y).sum().backward()
    return y.detach().numpy(), tx.grad.numpy(), tk.grad.numpy()


def test_convolution_steps_reusing_the_pooled_matrix_stay_exact():
    rng = np.random.default_rng(0)
    k = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    for _ in range(3):  # the 2nd and 3rd steps reuse the 1st step's im2col matrix
        x = rng.standard_normal((8, 3, 16, 16)).astype(np.float32)
        tx, tk = dc.tensor(x, requires_grad=True), dc.tensor(k, requires_grad=True)
        y = conv2d(tx, tk, dc.tensor(b), padding=1, activation="relu")
        (y * y).sum().backward()
        assert workspace.held_bytes() > 0, "the convolution gave its matrix back"
        ty, tgx, tgk = _torch_conv(x, k, b)
        np.testing.assert_allclose(y.numpy(), ty, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(tx.grad.numpy(), tgx, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(tk.grad.numpy(), tgk, rtol=1e-4, atol=1e-3)


def test_a_graph_still_waiting_for_backward_keeps_its_matrix():
    rng = np.random.default_rng(1)
    k = dc.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    xs = [rng.standard_normal((8, 2, 16, 16)).astype(np.float32) for _ in range(3)]
    first = conv2d(dc.tensor(xs[0]), k).sum()
    second = conv2d(dc.tensor(xs[1]), k).sum()
    first.backward()                 # gives the first matrix back ...
    conv2d(dc.tensor(xs[2]), k).sum()  # ... and this forward takes it over
    k.grad = None
    second.backward()                # must still see xs[1]'s windows
    tk = torch.tensor(k.numpy(), requires_grad=True)
    F.conv2d(torch.tensor(xs[1]), tk).sum().backward()
    np.testing.assert_allclose(k.grad.numpy(), tk.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_without_a_graph_the_matrix_goes_back_at_once():
    x = dc.tensor(np.ones((8, 3, 16, 16), np.float32))
    k = dc.tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
    with dc.no_grad():
        conv2d(x, k, padding=1)
    assert workspace.held_bytes() >= 27 * 8 * 16 * 16 * 4
