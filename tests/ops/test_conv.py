"""conv2d, max_pool2d, avg_pool2d: values and gradients against finite differences and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend.ops.conv import conv2d
from descend.ops.pooling import avg_pool2d, max_pool2d
from descend.ops.window import same_padding
from opcheck import check_op


def torch_pads(x_shape, size, strides, padding, dilation=(1, 1)):
    """F.pad's (left, right, top, bottom) for Keras "same" / "valid" / symmetric ints."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        (top, bottom), (left, right) = (same_padding(n, k, s, d) for n, k, s, d
                                        in zip(x_shape[2:], size, strides, dilation))
        return (left, right, top, bottom)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (pw, pw, ph, ph)


def pair(v):
    return (v, v) if isinstance(v, int) else v


CONV_CASES = [
    # x shape, kernel shape, strides, padding, dilation
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, "valid", 1),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, "same", 1),
    ((2, 2, 8, 7), (3, 2, 3, 2), 2, "same", 1),
    ((1, 2, 9, 9), (3, 2, 3, 3), 2, 1, 1),
    ((2, 2, 9, 8), (2, 2, 3, 3), 1, "valid", 2),
    ((1, 2, 10, 9), (2, 2, 3, 2), (2, 3), "same", (2, 1)),
    ((2, 1, 6, 6), (2, 1, 4, 4), 3, (2, 1), 1),
    ((1, 3, 5, 5), (2, 3, 1, 1), 1, "valid", 1),
    ((1, 2, 4, 4), (2, 2, 4, 4), 1, "same", 1),   # even kernel: extra padding bottom/right
]


@pytest.mark.parametrize(("x_shape", "k_shape", "strides", "padding", "dilation"), CONV_CASES,
                         ids=[str(c) for c in CONV_CASES])
def test_conv2d_matches_torch(x_shape, k_shape, strides, padding, dilation):
    pads = torch_pads(x_shape, k_shape[2:], pair(strides), padding, pair(dilation))

    def ours(x, k, b):
        return conv2d(x, k, b, strides=strides, padding=padding, dilation=dilation)

    def theirs(x, k, b):
        return F.conv2d(F.pad(x, pads), k, b, stride=strides, dilation=dilation)

    check_op(ours, theirs, [x_shape, k_shape, (k_shape[0],)], name="conv2d")


def test_conv2d_without_bias_and_with_a_constant_input():
    check_op(lambda x, k: conv2d(x, k, padding=1), lambda x, k: F.conv2d(x, k, padding=1),
             [(2, 2, 5, 5), (3, 2, 3, 3)], name="conv2d")
    check_op(lambda x, k: conv2d(x, k, strides=2), lambda x, k: F.conv2d(x, k, stride=2),
             [(2, 2, 5, 5), (3, 2, 3, 3)], grad_inputs=[False, True], name="conv2d")


def test_same_padding_keeps_ceil_of_size_over_stride():
    for size in range(1, 12):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                y = conv2d(dc.ones((1, 1, size, size)), dc.ones((1, 1, k, k)), strides=s,
                           padding="same")
                assert y.shape[2:] == (-(-size // s),) * 2
    assert same_padding(6, 3, 2) == (0, 1) and same_padding(7, 4, 1) == (1, 2)


def test_col2im_adds_overlapping_windows():
    # With an all-ones kernel, d(sum of outputs)/dx counts the windows covering each pixel.
    for strides, dilation in [(1, 1), (2, 1), (1, 2), (2, 2)]:
        x = dc.ones((1, 1, 9, 8), dtype="float64", requires_grad=True)
        conv2d(x, dc.ones((1, 1, 3, 3), dtype="float64"), strides=strides, padding=1,
               dilation=dilation).sum().backward()
        expected = np.zeros((11, 10))
        span = 2 * dilation + 1
        for top in range(0, 11 - span + 1, strides):
            for left in range(0, 10 - span + 1, strides):
                expected[top:top + span:dilation, left:left + span:dilation] += 1
        np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected[1:-1, 1:-1])


def test_conv2d_twice_differentiable():
    rng = np.random.default_rng(0)

    def gradient_norm(x, k):
        with dc.enable_grad():
            gx, gk = dc.grad(lambda a, b: (conv2d(a, b, strides=2, padding=1, dilation=(1, 2))
                                           ** 2).sum(), argnums=(0, 1))(x, k)
            return (gx * gx).sum() + (gk * gk * gk).sum()

    dc.gradcheck(gradient_norm, [rng.standard_normal((1, 2, 5, 6)),
                                 rng.standard_normal((2, 2, 3, 2))])


def test_conv2d_bias_gradient_twice_differentiable():
    rng = np.random.default_rng(1)

    def gradient_norm(x, k, b):
        with dc.enable_grad():
            gb = dc.grad(lambda c: (conv2d(x, k, c, padding="same") ** 2).sum())(b)
            return (gb * gb * gb).sum()

    dc.gradcheck(gradient_norm, [rng.standard_normal((2, 2, 4, 5)),
                                 rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)])


POOL_CASES = [
    # x shape, pool_size, strides, padding
    ((2, 3, 6, 6), 2, None, "valid"),
    ((2, 2, 7, 8), 2, None, "valid"),
    ((2, 2, 7, 7), 3, 2, "valid"),       # overlapping windows
    ((1, 2, 7, 8), 3, 1, "same"),
    ((2, 2, 5, 7), 2, None, "same"),
    ((1, 2, 7, 6), (3, 2), (2, 1), "same"),
]


def _torch_pool(kind, pads, size, strides):
    def pool(x):
        if kind == "max":
            return F.max_pool2d(F.pad(x, pads, value=-np.inf), size, strides)
        total = F.avg_pool2d(F.pad(x, pads), size, strides, divisor_override=1)
        count = F.avg_pool2d(F.pad(torch.ones_like(x), pads), size, strides, divisor_override=1)
        return total / count
    return pool


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(("x_shape", "size", "strides", "padding"), POOL_CASES,
                         ids=[str(c) for c in POOL_CASES])
def test_pooling_matches_torch(kind, x_shape, size, strides, padding):
    steps = pair(size) if strides is None else pair(strides)
    pads = torch_pads(x_shape, pair(size), steps, padding)
    ours = max_pool2d if kind == "max" else avg_pool2d
    check_op(lambda x: ours(x, size, strides, padding),
             _torch_pool(kind, pads, pair(size), steps), [x_shape], name=f"{kind}_pool2d")


def test_avg_pool_valid_matches_torch_directly():
    check_op(lambda x: avg_pool2d(x, 3, 2), lambda x: F.avg_pool2d(x, 3, 2), [(2, 2, 7, 7)],
             name="avg_pool2d")


def test_max_pool_gives_the_gradient_to_the_first_maximum():
    x = dc.tensor([[[[1.0, 3.0], [3.0, 0.0]]]], requires_grad=True)
    max_pool2d(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 1], [0, 0]])


def test_pooling_twice_differentiable():
    def gradient_norm(x):
        with dc.enable_grad():
            g = dc.grad(lambda a: (max_pool2d(a, 3, 2, "same") ** 2).sum()
                        + (avg_pool2d(a, 3, 2, "same") ** 2).sum())(x)
            return (g * g * x).sum()

    dc.gradcheck(gradient_norm, [np.random.default_rng(1).standard_normal((1, 2, 5, 5))])


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda: conv2d(dc.ones((3, 8, 8)), dc.ones((2, 3, 3, 3))),
         r"conv2d: input must be 4-D \(batch, channels, height, width\), got shape \(3, 8, 8\)"),
        (lambda: conv2d(dc.ones((1, 3, 8, 8)), dc.ones((2, 3, 3))),
         r"conv2d: kernel must be 4-D \(filters, in_channels, kh, kw\), got shape \(2, 3, 3\)"),
        (lambda: conv2d(dc.ones((1, 2, 8, 8)), dc.ones((4, 3, 3, 3))),
         r"conv2d: input has 2 channels \(shape \(1, 2, 8, 8\)\) but the kernel "
         r"\(4, 3, 3, 3\) expects 3"),
        (lambda: conv2d(dc.ones((1, 3, 8, 8)), dc.ones((4, 3, 3, 3)), dc.ones(3)),
         r"conv2d: bias must have shape \(4,\), got \(3,\)"),
        (lambda: conv2d(dc.ones((1, 1, 2, 2)), dc.ones((1, 1, 3, 3))),
         r"conv2d: the input's height and width \(2, 2\) .* are smaller than the window"),
        (lambda: conv2d(dc.ones((1, 1, 5, 5)), dc.ones((1, 1, 3, 3)), padding="full"),
         r"conv2d: padding must be 'valid', 'same', a non-negative int .* got 'full'"),
        (lambda: conv2d(dc.ones((1, 1, 5, 5)), dc.ones((1, 1, 3, 3)), padding=-1),
         r"conv2d: padding must be .* got -1"),
        (lambda: conv2d(dc.ones((1, 1, 5, 5)), dc.ones((1, 1, 3, 3)), strides=0),
         r"conv2d: strides must be a positive integer or a \(height, width\) pair of them, "
         r"got 0"),
        (lambda: conv2d(dc.ones((1, 1, 5, 5)), dc.ones((1, 1, 3, 3)), dilation=(1, 2, 3)),
         r"conv2d: dilation must be a positive integer"),
        (lambda: max_pool2d(dc.ones((1, 1, 4, 4)), 0), r"max_pool2d: pool_size must be a "
         r"positive integer or a \(height, width\) pair of them, got 0"),
        (lambda: avg_pool2d(dc.ones((1, 1, 4, 4)), padding=1),
         r"avg_pool2d: padding must be 'valid' or 'same', got 1"),
        (lambda: max_pool2d(dc.ones((4, 4))), r"max_pool2d: input must be 4-D"),
    ],
)
def test_bad_input_is_explained(action, message):
    with pytest.raises(ValueError, match=message):
        action()


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_conv2d_with_a_fused_activation(activation):
    torch_act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    check_op(lambda x, k, b: conv2d(x, k, b, padding="same", activation=activation),
             lambda x, k, b: torch_act(F.conv2d(x, k, b, padding=1)),
             [(2, 2, 5, 5), (3, 2, 3, 3), (3,)], name=f"conv2d+{activation}", seed=5)


def test_conv2d_refuses_an_activation_it_cannot_fuse():
    with pytest.raises(ValueError, match=r"conv2d: activation must be one of \['relu', "):
        conv2d(dc.ones((1, 1, 3, 3)), dc.ones((1, 1, 2, 2)), activation="elu")
