"""Matrix products: ``matmul`` (batched, 1-D operands as in NumPy) and the fused ``linear``.

>>> import descend as dc
>>> x = dc.ones((4, 3)); w = dc.ones((3, 2), requires_grad=True)
>>> y = x @ w
>>> y.sum().backward()
>>> y.shape, w.grad.numpy()[:, 0]
((4, 2), array([4., 4., 4.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module
from descend.ops.fused import FUSED, activate_, through_activation
from descend.ops.shape import sum_to
from descend.tensors import ArrayLike, Tensor, as_operand, ensure_tensor


def _swap_last(t: Tensor) -> Tensor:
    """Transpose the last two axes (the matrix transpose of a batch of matrices)."""
    if t.ndim == 2:
        return t.T
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return t.transpose(axes)


class MatMul(Function):
    """a @ b: the matrix product, broadcasting over leading batch axes."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == b.ndim == 2 and a.shape[1] == 1:
            # an outer product (the weight gradient at batch 1): np.matmul has no BLAS path
            # for a contracted length of 1 and loops several times slower than np.dot
            return array_module(a).dot(a, b)
        return np.matmul(a, b)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (gy * b if need_a else None, gy * a if need_b else None)
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1])
        if b.ndim == 1:
            g2 = g2.reshape(*g2.shape, 1)
        ga = gb = None
        if need_a:
            ga = sum_to(g2 @ _swap_last(b2), a2.shape).reshape(a.shape)
        if need_b:
            gb = sum_to(_swap_last(a2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


class Linear(Function):
    """activation(x @ kernel + bias) in one op: one output buffer, bias and activation in place.

    The activation's derivative comes from the output: relu's mask y > 0, tanh's 1 − y²,
    sigmoid's y (1 − y).
    """

    save_output = True

    def __init__(self, activation: str | None = None) -> None:
        self.activation = activation

    def forward(self, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
        y = x @ kernel
        y += bias
        return y if self.activation is None else activate_(y, self.activation)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        if self.activation is not None:
            gy = through_activation(self, gy)
        x, kernel, _ = self.inputs
        need_x, need_k, need_b = self.needs_input_grad
        g2 = _rows(gy)
        gx = gy @ kernel.T if need_x else None
        gk = _rows(x).T @ g2 if need_k else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gk, gb


def _rows(t: Tensor) -> Tensor:
    """``t`` as a matrix of rows: its leading axes (all batch axes) merged into one."""
    return t if t.ndim == 2 else t.reshape(-1, t.shape[-1])


def _check_matmul(a: Tensor, b: Tensor) -> None:
    shape_a, shape_b = a.data.shape, b.data.shape
    if not shape_a or not shape_b:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {shape_a} and "
            f"{shape_b}; use * for multiplying by a scalar"
        )
    inner_a, inner_b = shape_a[-1], shape_b[-2 if len(shape_b) > 1 else 0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {shape_a} and {shape_b} do not align: {inner_a} != {inner_b}"
        )
    if len(shape_a) <= 2 and len(shape_b) <= 2:
        return
    try:
        np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch shapes {shape_a[:-2]} and {shape_b[:-2]} of {shape_a} and "
            f"{shape_b} cannot be broadcast together"
        ) from None


def matmul(a: ArrayLike, b: ArrayLike) -> Tensor:
    """The matrix product ``a @ b`` with NumPy semantics (1-D operands, batch broadcasting).

    >>> import descend as dc
    >>> (dc.ones((2, 3)) @ dc.ones(3)).numpy()
    array([3., 3.], dtype=float32)
    """
    if not isinstance(a, Tensor):
        b = ensure_tensor(b, "matmul")
        a = as_operand(a, b, "matmul")
    elif not isinstance(b, Tensor):
        b = as_operand(b, a, "matmul")
    _check_matmul(a, b)
    return MatMul.apply(a, b)


def linear(x: Tensor, kernel: Tensor, bias: Tensor | None = None, *,
           activation: str | None = None) -> Tensor:
    """``x @ kernel + bias`` as one op: ``x`` is ``(..., in)``, ``kernel`` ``(in, out)``.

    Args:
        x, kernel, bias: as above (``bias`` of shape ``(out,)``, optional).
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"`` applied in the same op (less
            memory and time than a separate activation); needs a bias.

    >>> import descend as dc
    >>> dc.linear(dc.ones((5, 3)), dc.ones((3, 2)), dc.zeros(2)).shape
    (5, 2)
    >>> dc.linear(dc.ones((1, 2)), -dc.ones((2, 2)), dc.zeros(2), activation="relu").numpy()
    array([[0., 0.]], dtype=float32)
    """
    if activation is not None and (activation not in FUSED or bias is None):
        raise ValueError(f"linear: activation must be one of {sorted(FUSED)} with a "
                         f"bias, got {activation!r}" + ("" if bias is not None else
                                                         " without a bias"))
    x = ensure_tensor(x, "linear")
    x_shape, kernel_shape = x.data.shape, kernel.data.shape  # the arrays' own: no properties
    if len(kernel_shape) != 2:
        raise ValueError(f"linear: kernel must be 2-D (in, out), got shape {kernel_shape}")
    if not x_shape or x_shape[-1] != kernel_shape[0]:
        raise ValueError(
            f"linear: input of shape {x_shape} does not fit kernel of shape {kernel_shape}: "
            f"the last input axis must be {kernel_shape[0]}"
        )
    if bias is None:
        return MatMul.apply(x, kernel)
    if bias.data.shape != (kernel_shape[1],):
        raise ValueError(f"linear: bias must have shape ({kernel_shape[1]},), got {bias.shape}")
    if activation is None:
        return Linear.apply(x, kernel, bias)
    return Linear.apply(x, kernel, bias, activation=activation)
