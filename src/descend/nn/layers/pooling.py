"""Pooling layers over NCHW images: ``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``.

>>> import descend as dc
>>> x = dc.ones((8, 16, 28, 28))        # (batch, channels, height, width)
>>> dc.nn.MaxPool2D()(x).shape, dc.nn.GlobalAvgPool2D()(x).shape
((8, 16, 14, 14), (8, 16))
"""

from __future__ import annotations

from typing import Any

from descend.config import register_configurable
from descend.nn.layers.base import Layer
from descend.nn.module import Shape
from descend.ops.pooling import avg_pool2d, max_pool2d
from descend.ops.window import Pair, as_pair, check_padding, pool_window
from descend.tensors import Tensor


class _Pool2D(Layer):
    """Shared options and shape logic of the window pooling layers (``pool`` is the op)."""

    def __init__(self, pool_size: Pair = 2, strides: Pair | None = None,
                 padding: str = "valid", *, input_shape: tuple[int, int, int] | None = None
                 ) -> None:
        super().__init__()
        name = type(self).__name__
        self.pool_size = as_pair(pool_size, "pool_size", name)
        self.strides = self.pool_size if strides is None else as_pair(strides, "strides", name)
        self.padding = check_padding(padding, name, numeric=False)
        self.declare_input(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding,
                "input_shape": self.built_input_shape()}

    def check_input(self, shape: Shape) -> None:
        if len(shape) != 4:
            raise self.input_error("NCHW images of shape (batch, channels, height, width)",
                                   shape)
        self.compute_output_shape(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        window = pool_window(tuple(input_shape), self.pool_size, self.strides, self.padding,
                             type(self).__name__)
        return (None, input_shape[1], *window.out_hw)

    def forward(self, x: Tensor) -> Tensor:
        return type(self).pool(x, self.pool_size, self.strides, self.padding)

    def extra_repr(self) -> str:
        text = f"pool_size={self.pool_size}"
        if self.strides != self.pool_size:
            text += f", strides={self.strides}"
        return text if self.padding == "valid" else f"{text}, padding={self.padding!r}"


@register_configurable
class MaxPool2D(_Pool2D):
    """The largest value of each window, per channel (Keras options).

    Args:
        pool_size: the window, an int or (height, width).
        strides: the step between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` or ``"same"`` (the border never wins).
        input_shape: ``(channels, height, width)``, to build the layer right away.

    Shapes: ``(batch, channels, height, width)`` to ``(batch, channels, out_h, out_w)``.

    >>> import descend as dc
    >>> dc.nn.MaxPool2D(3, strides=2, padding="same")(dc.ones((1, 2, 7, 7))).shape
    (1, 2, 4, 4)
    """

    pool = staticmethod(max_pool2d)


@register_configurable
class AvgPool2D(_Pool2D):
    """The mean of each window, per channel (with ``"same"``, borders are not counted).

    Args:
        pool_size: the window, an int or (height, width).
        strides: the step between windows (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        input_shape: ``(channels, height, width)``, to build the layer right away.

    Shapes: ``(batch, channels, height, width)`` to ``(batch, channels, out_h, out_w)``.

    >>> import descend as dc
    >>> dc.nn.AvgPool2D()(dc.ones((1, 2, 4, 4))).numpy()[0, 0]
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """

    pool = staticmethod(avg_pool2d)


@register_configurable
class GlobalAvgPool2D(Layer):
    """The mean over height and width of each channel: ``(N, C, H, W)`` to ``(N, C)``.

    >>> import descend as dc
    >>> dc.nn.GlobalAvgPool2D()(dc.ones((4, 3, 5, 5))).shape
    (4, 3)
    """

    def check_input(self, shape: Shape) -> None:
        if len(shape) != 4:
            raise self.input_error("NCHW images of shape (batch, channels, height, width)",
                                   shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, input_shape[1])

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(axis=(2, 3))
