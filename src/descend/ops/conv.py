"""2-D convolution of NCHW images: ``conv2d`` (pooling is in ``descend.ops.pooling``).

Convolution is im2col + one GEMM: every receptive field of the (padded) input is read through
a strided view (``sliding_window_view``, no copy), laid out as one row of a matrix by a single
copy, and that matrix multiplies the flattened kernel ``(kh·kw·C, filters)``. The product,
one row per output pixel, is the output image channels last (``descend.ops.window``), seen as
NCHW through a transpose. Backward is the same idea in reverse: col2im adds each window's
gradient back onto the input, one vectorised add per kernel offset (never a loop over
pixels), so overlapping windows accumulate correctly with any stride and dilation.

The three linear maps of a convolution (output from input, input gradient, kernel gradient)
are ops whose backwards are each other, so convolutions can be differentiated twice.

>>> import descend as dc
>>> x = dc.ones((1, 1, 4, 4)); k = dc.ones((2, 1, 3, 3), requires_grad=True)
>>> y = conv2d(x, k, padding="same")
>>> y.shape, y.numpy()[0, 0, 0]
((1, 2, 4, 4), array([4., 6., 6., 4.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.fused import FUSED, activate_, through_activation
from descend.ops.shape import broadcast_to
from descend.ops.window import Padding, Pair, Window, make_window
from descend.tensors import ArrayLike, Tensor, ensure_tensor


def _per_pixel(g: np.ndarray) -> np.ndarray:
    """An output (gradient) ``(N, F, out_h, out_w)`` as a matrix ``(N·out_h·out_w, F)`` (a view
    when ``g`` is channels last, as the convolution makes it)."""
    return g.transpose(0, 2, 3, 1).reshape(-1, g.shape[1])


def _kernel_rows(kernel: np.ndarray) -> np.ndarray:
    """A kernel ``(F, C, kh, kw)`` as ``(F, kh·kw·C)``, the column order of ``im2col``."""
    return kernel.transpose(0, 2, 3, 1).reshape(kernel.shape[0], -1)


def _image(rows: np.ndarray, n: int, out_hw: tuple[int, int]) -> np.ndarray:
    """Rows ``(N·out_h·out_w, F)`` as the NCHW image ``(N, F, out_h, out_w)`` (a view)."""
    return rows.reshape(n, *out_hw, rows.shape[1]).transpose(0, 3, 1, 2)


class Conv2d(Function):
    """Cross-correlation of ``(N, C, H, W)`` images with ``(F, C, kh, kw)`` kernels (+ bias).

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> Conv2d.apply(dc.ones((1, 1, 3, 3)), dc.ones((1, 1, 2, 2)), window=window).numpy()
    array([[[[4., 4.],
             [4., 4.]]]], dtype=float32)
    """

    saved_arrays = ("cols",)
    save_output = True

    def __init__(self, window: Window, activation: str | None = None) -> None:
        self.window, self.activation = window, activation

    def forward(self, x: np.ndarray, kernel: np.ndarray, *bias: np.ndarray) -> np.ndarray:
        self.cols = self.window.im2col(x)
        y = self.cols @ _kernel_rows(kernel).T
        if bias:
            y += bias[0]
        if self.activation is not None:
            y = activate_(y, self.activation)
        return _image(y, x.shape[0], self.window.out_hw)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, ...]:
        if self.activation is not None:
            gy = through_activation(self, gy)
        x, kernel = self.inputs[:2]
        need = self.needs_input_grad
        gx = ConvInputGrad.apply(gy, kernel, window=self.window) if need[0] else None
        gk = ConvKernelGrad.apply(x, gy, window=self.window, cols=self.cols) if need[1] else None
        if len(need) == 2:
            return gx, gk
        return gx, gk, ConvBiasGrad.apply(gy) if need[2] else None


class ConvInputGrad(Function):
    """The input gradient of a convolution (a transposed convolution): linear in both inputs.

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> ConvInputGrad.apply(dc.ones((1, 1, 2, 2)), dc.ones((1, 1, 2, 2)),
    ...                     window=window).numpy()[0, 0]        # windows covering each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """

    name = "conv2d_input_grad"

    def __init__(self, window: Window) -> None:
        self.window = window

    def forward(self, gy: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        n, _, oh, ow = gy.shape
        c, kh, kw = kernel.shape[1:]
        # per kernel offset (i, j), the gradient of every window's pixel there, (N·out_h·out_w,
        # C) = gy's rows @ kernel[:, :, i, j], in one stacked product; then col2im adds each
        # offset's image onto the slice of the input that offset read
        taps = array_module(kernel).ascontiguousarray(kernel.transpose(2, 3, 0, 1))
        cols = (_per_pixel(gy) @ taps).reshape(kh, kw, n, oh, ow, c)
        return self.window.col2im(cols.transpose(0, 1, 2, 5, 3, 4))

    def backward(self, ggx: Tensor) -> tuple[Tensor | None, Tensor | None]:
        gy, kernel = self.inputs
        need_gy, need_k = self.needs_input_grad
        return (Conv2d.apply(ggx, kernel, window=self.window) if need_gy else None,
                ConvKernelGrad.apply(ggx, gy, window=self.window) if need_k else None)


class ConvKernelGrad(Function):
    """The kernel gradient of a convolution: windows of the input weighted by the output grad.

    >>> import descend as dc
    >>> window = make_window((1, 1, 3, 3), (2, 2), 1, "valid", 1, "conv2d")
    >>> ConvKernelGrad.apply(dc.ones((1, 1, 3, 3)), dc.ones((1, 1, 2, 2)),
    ...                      window=window).shape
    (1, 1, 2, 2)
    """

    name = "conv2d_kernel_grad"
    saved_arrays = ("cols",)

    def __init__(self, window: Window, cols: np.ndarray | None = None) -> None:
        self.window, self.cols = window, cols

    def forward(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        # the forward's matrix of windows when the convolution passes it on, else anew
        cols = self.window.im2col(x) if self.cols is None else self.cols
        product = _per_pixel(gy).T @ cols
        return product.reshape(gy.shape[1], *self.window.size, x.shape[1]).transpose(0, 3, 1, 2)

    def backward(self, ggk: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, gy = self.inputs
        need_x, need_gy = self.needs_input_grad
        return (ConvInputGrad.apply(gy, ggk, window=self.window) if need_x else None,
                Conv2d.apply(x, ggk, window=self.window) if need_gy else None)


class ConvBiasGrad(Function):
    """The bias gradient of a convolution: the output gradient summed over images and pixels,
    ``ones @ rows`` on its rows ``(N·out_h·out_w, F)`` (one matrix-vector product: NumPy's
    ``sum(axis=0)`` walks such a matrix one short row at a time).

    >>> import descend as dc
    >>> ConvBiasGrad.apply(dc.ones((2, 3, 4, 4))).numpy()
    array([32., 32., 32.], dtype=float32)
    """

    name = "conv2d_bias_grad"
    reads_inputs = False

    def forward(self, gy: np.ndarray) -> np.ndarray:
        self.shape = gy.shape
        rows = _per_pixel(gy)
        return array_module(gy).ones(len(rows), dtype=gy.dtype) @ rows

    def backward(self, gb: Tensor) -> Tensor:
        return broadcast_to(gb.reshape(1, -1, 1, 1), self.shape)


def conv2d(x: ArrayLike, kernel: Tensor, bias: Tensor | None = None, *, strides: Pair = 1,
           padding: Padding = "valid", dilation: Pair = 1, activation: str | None = None
           ) -> Tensor:
    """2-D convolution (cross-correlation, as in torch and Keras) of NCHW images.

    Args:
        x: images ``(batch, in_channels, height, width)``.
        kernel: ``(filters, in_channels, kh, kw)``.
        bias: ``(filters,)`` or None.
        strides: step between windows, an int or (height, width).
        padding: ``"valid"`` (none), ``"same"`` (output size ceil(in / stride), the odd extra
            row/column at the bottom/right, as in Keras/TF), or zeros on each side (an int or
            (height, width)).
        dilation: spacing between kernel taps, an int or (height, width).
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"`` applied inside the same op.

    Returns:
        ``(batch, filters, out_h, out_w)`` with ``out = (in + pads − (k − 1)·dilation − 1)
        // stride + 1``.

    >>> import descend as dc
    >>> conv2d(dc.ones((2, 3, 8, 8)), dc.ones((4, 3, 3, 3)), strides=2, padding=1).shape
    (2, 4, 4, 4)
    """
    x = ensure_tensor(x, "conv2d")
    if activation is not None and activation not in FUSED:
        raise ValueError(f"conv2d: activation must be one of {sorted(FUSED)}, got {activation!r}")
    if kernel.ndim != 4:
        raise ValueError(
            f"conv2d: kernel must be 4-D (filters, in_channels, kh, kw), got shape {kernel.shape}"
        )
    window = make_window(x.shape, kernel.shape[2:], strides, padding, dilation, "conv2d")
    if x.shape[1] != kernel.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but the kernel "
            f"{kernel.shape} expects {kernel.shape[1]}"
        )
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    if bias is not None and bias.shape != (kernel.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({kernel.shape[0]},), got {bias.shape}")
    if activation is None:
        return Conv2d.apply(*inputs, window=window)
    return Conv2d.apply(*inputs, window=window, activation=activation)
