"""The small CNN's training step by hand in NumPy: im2col + GEMM, and the backward written out.

Conv(3×3, "same") → ReLU → MaxPool(2) → Conv(3×3, "same") → ReLU → MaxPool(2) → Flatten →
Dense, softmax cross-entropy, SGD. Images are kept channels-last (NHWC) inside the step: im2col
is one copy of a strided view of the padded batch (stride tricks), each convolution one matrix
product with pixels as rows. The kernels, the flattening order and the results are NCHW, as in
descend and PyTorch.

The backward: the kernel gradient is ``doutᵀ · cols``, the bias gradient a matrix-vector
product with ones (NumPy's ``sum(axis=0)`` over 8 or 16 columns is 20× slower), the input
gradient is col2im by adding, per kernel offset, ``dout · K[:, :, i, j]`` onto the shifted
slice. 2×2 max pooling takes the largest of four strided quarter images; its backward sends
the gradient to the window's maximum and applies ReLU's mask on the pooled side (a maximum is
positive exactly when its pixel passed the ReLU; ties only occur between zeros, which get no
gradient either way).
"""

from __future__ import annotations

import numpy as np
from mlp_step import softmax_cross_entropy
from numpy.lib.stride_tricks import sliding_window_view

QUARTERS = ((0, 0), (0, 1), (1, 0), (1, 1))
"""The four positions of a 2×2 pooling window."""


def im2col(x: np.ndarray, k: int) -> np.ndarray:
    """``(n, h, w, c)`` → ``(n·h·w, k·k·c)``: each pixel's zero-padded k×k window, a row.

    Rows are ordered (kernel row, kernel column, channel), so the copy moves whole channel
    vectors; a kernel ``(f, c, k, k)`` matches as :func:`kernel_rows`.
    """
    n, h, w, c = x.shape
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    windows = sliding_window_view(padded, (k, k), axis=(1, 2))   # (n, h, w, c, k, k)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, k * k * c)


def kernel_rows(kernel: np.ndarray) -> np.ndarray:
    """A kernel ``(f, c, k, k)`` as ``(f, k·k·c)``, the column order of :func:`im2col`."""
    return kernel.transpose(0, 2, 3, 1).reshape(len(kernel), -1)


def conv_input_grad(dout: np.ndarray, kernel: np.ndarray, shape: tuple[int, ...]
                    ) -> np.ndarray:
    """col2im of ``dout · K``: per kernel offset, ``dout · K[:, :, i, j]`` added onto the
    slice of the (padded) input that offset saw. ``dout`` is ``(n·h·w, f)``."""
    n, h, w, c = shape
    k = kernel.shape[-1]
    p = k // 2
    padded = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=dout.dtype)
    for i in range(k):
        for j in range(k):
            padded[:, i:i + h, j:j + w, :] += (dout @ kernel[:, :, i, j]).reshape(shape)
    return padded[:, p:p + h, p:p + w, :]


def max_pool(x: np.ndarray) -> np.ndarray:
    """2×2 max pooling of ``(n, h, w, c)``: the largest of the four strided quarter images."""
    q = [x[:, i::2, j::2, :] for i, j in QUARTERS]
    return np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))


def max_pool_relu_backward(grad: np.ndarray, x: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Through ReLU then 2×2 max pooling: ``grad`` ``(n, h/2, w/2, c)`` goes to each window's
    maximum in ``x`` ``(n, h, w, c)`` where that maximum is positive; rows ``(n·h·w, c)``."""
    n, h, w, c = x.shape
    windows = x.reshape(n, h // 2, 2, w // 2, 2, c)
    passed = grad * (pooled > 0)
    return ((windows == pooled[:, :, None, :, None, :])
            * passed[:, :, None, :, None, :]).reshape(-1, c)


class NumpyCNN:
    """The step by hand. ``problem.parameters()``: conv kernels ``(f, c, 3, 3)`` and biases,
    then the dense kernel ``(features, classes)`` and bias (:class:`cnn_step.Problem`)."""

    def __init__(self, problem, lr: float) -> None:
        self.params = [a.copy() for a in problem.parameters()]
        self.x, self.labels, self.lr = problem.x, problem.labels, lr
        self.rows = np.arange(len(problem.labels))
        self.ones: dict[int, np.ndarray] = {}

    def _conv_relu(self, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
        """``(cols, relu(conv(x) + bias))``, the output ``(n, h, w, f)``."""
        cols = im2col(x, kernel.shape[-1])
        out = cols @ kernel_rows(kernel).T
        out += bias
        np.maximum(out, 0, out=out)
        return cols, out.reshape(*x.shape[:3], len(kernel))

    def _param_grads(self, dout: np.ndarray, cols: np.ndarray, kernel: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Kernel ``(f, c, k, k)`` and bias gradients from ``dout`` ``(n·h·w, f)``."""
        grad = (dout.T @ cols).reshape(len(kernel), *kernel.shape[2:], kernel.shape[1])
        ones = self.ones.get(len(dout))
        if ones is None:
            ones = self.ones[len(dout)] = np.ones(len(dout), dtype=dout.dtype)
        return grad.transpose(0, 3, 1, 2), ones @ dout

    def step(self) -> np.floating:
        """Forward, backward (no gradient for the images) and SGD update; returns the loss."""
        k1, b1, k2, b2, w, b = self.params
        n = len(self.x)
        cols1, out1 = self._conv_relu(self.x.transpose(0, 2, 3, 1), k1, b1)   # NCHW -> NHWC
        pool1 = max_pool(out1)
        cols2, out2 = self._conv_relu(pool1, k2, b2)
        pool2 = max_pool(out2)
        flat = pool2.transpose(0, 3, 1, 2).reshape(n, -1)        # flatten in NCHW order
        z = flat @ w
        z += b
        loss, g = softmax_cross_entropy(z, self.labels, self.rows)
        dflat = (g @ w.T).reshape(n, pool2.shape[3], *pool2.shape[1:3]).transpose(0, 2, 3, 1)
        dout2 = max_pool_relu_backward(dflat, out2, pool2)
        dpool1 = conv_input_grad(dout2, k2, pool1.shape)
        dout1 = max_pool_relu_backward(dpool1, out1, pool1)
        grads = [*self._param_grads(dout1, cols1, k1), *self._param_grads(dout2, cols2, k2),
                 flat.T @ g, g.sum(axis=0)]
        for p, grad in zip(self.params, grads):
            grad *= self.lr
            p -= grad
        return loss

    def weights(self) -> list[np.ndarray]:
        return self.params
