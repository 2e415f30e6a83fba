"""``Conv2D``: a 2-D convolution layer over NCHW images (im2col + one matrix product).

>>> import descend as dc
>>> conv = dc.nn.Conv2D(8, 3, padding="same", activation="relu")
>>> y = conv(dc.ones((2, 3, 28, 28)))    # images are (batch, channels, height, width)
>>> y.shape, conv.kernel.shape
((2, 8, 28, 28), (8, 3, 3, 3))
"""

from __future__ import annotations

from typing import Any

from descend.config import register_configurable
from descend.nn import activations, initializers, regularizers
from descend.nn.layers.base import KernelLayer, positive_int
from descend.nn.module import Shape
from descend.ops.conv import conv2d
from descend.ops.fused import fused_name
from descend.ops.window import Padding, Pair, as_pair, check_padding, make_window
from descend.tensors import Tensor


@register_configurable
class Conv2D(KernelLayer):
    """Slide ``filters`` learned kernels over images; each output pixel sees one window.

    Args:
        filters: the number of output channels.
        kernel_size: the window size, an int or (height, width).
        strides: step between windows, an int or (height, width).
        padding: ``"valid"`` (no border), ``"same"`` (output size ceil(in / strides); Keras's
            rule, an odd extra row/column goes at the bottom/right), or zeros on each side
            (an int or (height, width)).
        dilation: spacing between kernel taps, an int or (height, width).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer: as for :class:`~descend.nn.Dense`.
        input_shape: ``(channels, height, width)``; builds the layer right away.

    Shapes (NCHW):
        input ``(batch, in_channels, height, width)``; kernel
        ``(filters, in_channels, kh, kw)``; bias ``(filters,)``; output
        ``(batch, filters, out_h, out_w)``.

    >>> import descend as dc
    >>> dc.nn.Conv2D(16, (3, 3), strides=2, padding="same", input_shape=(1, 28, 28)).output_shape
    (None, 16, 14, 14)
    """

    def __init__(self, filters: int, kernel_size: Pair, strides: Pair = 1,
                 padding: Padding = "valid", *, dilation: Pair = 1,
                 activation: activations.ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: initializers.InitializerLike = "glorot_uniform",
                 bias_initializer: initializers.InitializerLike = "zeros",
                 kernel_regularizer: regularizers.RegularizerLike | None = None,
                 bias_regularizer: regularizers.RegularizerLike | None = None,
                 input_shape: tuple[int, int, int] | None = None) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer)
        self.filters = positive_int(filters, "filters", "Conv2D")
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = as_pair(strides, "strides", "Conv2D")
        self.padding = check_padding(padding, "Conv2D")
        self.dilation = as_pair(dilation, "dilation", "Conv2D")
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation": self.dilation,
                **self.kernel_config(), "input_shape": self.built_input_shape()}

    def check_input(self, shape: Shape) -> None:
        channels = "C" if self.kernel is None else self.kernel.shape[1]
        expected = f"NCHW images of shape (None, {channels}, height, width)"
        if len(shape) != 4 or (self.kernel is not None and shape[1] != channels):
            raise self.input_error(expected, shape)
        self.compute_output_shape(shape)

    def create_parameters(self, input_shape: Shape) -> None:
        self.create_kernel((self.filters, int(input_shape[1]), *self.kernel_size), self.filters)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        window = make_window(tuple(input_shape), self.kernel_size, self.strides, self.padding,
                             self.dilation, "Conv2D")
        return (None, self.filters, *window.out_hw)

    def forward(self, x: Tensor) -> Tensor:
        fused = fused_name(self.activation)
        y = conv2d(x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                   dilation=self.dilation, activation=fused)
        return y if fused is not None else self.activate(y)

    def extra_repr(self) -> str:
        options = [f"filters={self.filters}", f"kernel_size={self.kernel_size}"]
        if self.strides != (1, 1):
            options.append(f"strides={self.strides}")
        if self.padding != "valid":
            options.append(f"padding={self.padding!r}")
        if self.dilation != (1, 1):
            options.append(f"dilation={self.dilation}")
        return self.options_repr(", ".join(options))
