"""Conv2D, pooling, GlobalAvgPool2D and Flatten layers: against torch, shapes and errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import nn
from opcheck import check_op

pytestmark = pytest.mark.usefixtures("op_device")  # check_op on each device


def conv_layer_with(filters, kernel_size, **options):
    def forward(x, kernel, bias):
        layer = nn.Conv2D(filters, kernel_size, **options)
        layer.build(x.shape)
        layer.kernel, layer.bias = kernel, bias
        return layer(x)
    return forward


def test_conv2d_layer_matches_torch():
    check_op(conv_layer_with(3, 3, activation="relu"),
             lambda x, k, b: torch.relu(F.conv2d(x, k, b)),
             [(2, 2, 6, 5), (3, 2, 3, 3), (3,)], name="Conv2D")
    # Keras "same" with stride 2 on an even size pads 0 on top/left and 1 on bottom/right.
    check_op(conv_layer_with(3, 3, strides=2, padding="same"),
             lambda x, k, b: F.conv2d(F.pad(x, (0, 1, 0, 1)), k, b, stride=2),
             [(2, 2, 6, 6), (3, 2, 3, 3), (3,)], name="Conv2D")


def test_conv2d_builds_kernel_in_torch_layout():
    layer = nn.Conv2D(16, (3, 5), input_shape=(3, 32, 32))
    assert layer.built and layer.kernel.shape == (16, 3, 3, 5) and layer.bias.shape == (16,)
    assert layer.output_shape == (None, 16, 30, 28)
    lazy = nn.Conv2D(4, 3, strides=2, padding="same", dilation=1, use_bias=False)
    assert lazy(dc.ones((2, 3, 9, 9))).shape == (2, 4, 5, 5)
    assert lazy.bias is None and lazy.kernel.shape == (4, 3, 3, 3)
    assert repr(lazy) == "Conv2D(filters=4, kernel_size=(3, 3), strides=(2, 2), padding='same'" \
                         ", use_bias=False)"
    dilated = nn.Conv2D(2, 3, dilation=2, padding=1, input_shape=(1, 9, 9))
    assert dilated.output_shape == (None, 2, 7, 7)


@pytest.mark.parametrize(
    ("layer", "torch_fn"),
    [
        (nn.MaxPool2D(), lambda x: F.max_pool2d(x, 2)),
        (nn.MaxPool2D(3, strides=2), lambda x: F.max_pool2d(x, 3, 2)),
        (nn.AvgPool2D((2, 3)), lambda x: F.avg_pool2d(x, (2, 3))),
        (nn.GlobalAvgPool2D(), lambda x: x.mean(dim=(2, 3))),
        (nn.Flatten(), lambda x: x.flatten(1)),
    ],
    ids=["max", "max_overlap", "avg", "global_avg", "flatten"],
)
def test_shape_layers_match_torch(layer, torch_fn):
    check_op(layer, torch_fn, [(2, 3, 6, 6)], name=type(layer).__name__)


def test_pooling_and_flatten_output_shapes():
    x = dc.ones((2, 3, 7, 7))
    assert nn.MaxPool2D(padding="same")(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2D(3, strides=1, padding="same")(x).shape == (2, 3, 7, 7)
    assert nn.MaxPool2D(input_shape=(3, 7, 7)).output_shape == (None, 3, 3, 3)
    assert nn.Flatten()(dc.ones(5)).shape == (5, 1)
    assert nn.Flatten(input_shape=(3, 7, 7)).output_shape == (None, 147)
    assert repr(nn.MaxPool2D(3, 2, "same")) == \
        "MaxPool2D(pool_size=(3, 3), strides=(2, 2), padding='same')"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda: nn.Conv2D(0, 3), r"Conv2D: filters must be a positive integer, got 0"),
        (lambda: nn.Conv2D(8, 0), r"Conv2D: kernel_size must be a positive integer or a "
         r"\(height, width\) pair of them, got 0"),
        (lambda: nn.Conv2D(8, (3, -1)), r"Conv2D: kernel_size must be a positive integer"),
        (lambda: nn.Conv2D(8, 3, padding="full"), r"Conv2D: padding must be 'valid', 'same'"),
        (lambda: nn.Conv2D(8, 3, strides=0), r"Conv2D: strides must be a positive integer"),
        (lambda: nn.Conv2D(8, 3, input_shape=(3, 28, 28))(dc.ones((4, 1, 28, 28))),
         r"Conv2D: expected NCHW images of shape \(None, 3, height, width\), got shape "
         r"\(4, 1, 28, 28\)"),
        (lambda: nn.Conv2D(8, 3)(dc.ones((4, 28, 28))),
         r"Conv2D: expected NCHW images of shape \(None, C, height, width\), got shape "
         r"\(4, 28, 28\)"),
        (lambda: nn.Conv2D(8, 5, input_shape=(1, 3, 3)),
         r"Conv2D: the input's height and width \(3, 3\) .* smaller than the window"),
        (lambda: nn.MaxPool2D(0), r"MaxPool2D: pool_size must be a positive integer"),
        (lambda: nn.MaxPool2D(padding="full"), r"MaxPool2D: padding must be 'valid' or 'same'"),
        (lambda: nn.AvgPool2D()(dc.ones((4, 8))), r"AvgPool2D: expected NCHW images of shape "
         r"\(batch, channels, height, width\), got shape \(4, 8\)"),
        (lambda: nn.GlobalAvgPool2D()(dc.ones((4, 8))), r"GlobalAvgPool2D: expected NCHW"),
    ],
)
def test_bad_input_is_explained(action, message):
    with pytest.raises(ValueError, match=message):
        action()
