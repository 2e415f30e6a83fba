"""Matrix products: ``matmul`` (batched, 1-D operands as in NumPy, either operand taken
transposed) and the fused ``linear``.

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


class MatMul(Function):
    """op(a) @ op(b), broadcasting over leading batch axes, where op transposes the operands
    given ``transpose_a`` / ``transpose_b`` (their last two axes swapped, as BLAS's and
    ``tf.linalg.matmul``'s flags do: a view that the product reads, nothing copied).

    The backward's two products are products of this kind again: of the gradient with the
    inputs, each taken transposed or not (``g @ bᵀ`` and ``aᵀ @ g`` for plain ``a @ b``), so
    no transpose op is built, and differentiating the backward again uses the same rule.
    """

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False) -> None:
        self.transpose_a, self.transpose_b = transpose_a, transpose_b

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.transpose_a:  # a view: the transpose of each matrix
            a = a.T if a.ndim == 2 else a.swapaxes(-1, -2)
        if self.transpose_b:
            b = b.T if b.ndim == 2 else b.swapaxes(-1, -2)
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
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a  # a row (never transposed)
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b  # a column
        g2 = gy
        if a.ndim == 1:
            g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1])
        if b.ndim == 1:
            g2 = g2.reshape(*g2.shape, 1)
        ta, tb = self.transpose_a, self.transpose_b
        ga = gb = None
        if need_a:  # op(a) gets g @ op(b)ᵀ; a gets its transpose, op(b) @ gᵀ, when ta
            ga = _product(b2, g2, tb, True) if ta else _product(g2, b2, False, not tb)
            ga = sum_to(ga, a2.shape).reshape(a.shape)
        if need_b:  # op(b) gets op(a)ᵀ @ g; b gets its transpose, gᵀ @ op(a), when tb
            gb = _product(g2, a2, True, ta) if tb else _product(a2, g2, not ta, False)
            gb = sum_to(gb, b2.shape).reshape(b.shape)
        return ga, gb


def _product(a: Tensor, b: Tensor, transpose_a: bool, transpose_b: bool) -> Tensor:
    """op(a) @ op(b) for a backward, whose operands fit by construction: :func:`matmul`
    without its checks."""
    return MatMul.apply(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


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
        gx = _product(gy, kernel, False, True) if need_x else None
        gk = _product(_rows(x), g2, True, False) if need_k else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gk, gb


def _rows(t: Tensor) -> Tensor:
    """``t`` as a matrix of rows: its leading axes (all batch axes) merged into one."""
    return t if t.data.ndim == 2 else t.reshape(-1, t.shape[-1])


def _operand_shape(t: Tensor, transposed: bool, flag: str) -> tuple[tuple[int, ...], str]:
    """The shape the product sees for an operand (its last two axes swapped when
    ``transposed``), and how an error message shows it."""
    shape = t.data.shape
    if not transposed:
        return shape, str(shape)
    if len(shape) < 2:
        raise ValueError(f"matmul: {flag}=True needs an operand of at least 2 dimensions, "
                         f"got shape {shape}")
    return (*shape[:-2], shape[-1], shape[-2]), f"{shape} transposed"


def _check_matmul(a: Tensor, b: Tensor, transpose_a: bool, transpose_b: bool) -> None:
    shape_a, shown_a = _operand_shape(a, transpose_a, "transpose_a")
    shape_b, shown_b = _operand_shape(b, transpose_b, "transpose_b")
    if not shape_a or not shape_b:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {shape_a} and "
            f"{shape_b}; use * for multiplying by a scalar"
        )
    inner_a, inner_b = shape_a[-1], shape_b[-2 if len(shape_b) > 1 else 0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {shown_a} and {shown_b} do not align: {inner_a} != {inner_b}"
        )
    if len(shape_a) <= 2 and len(shape_b) <= 2:
        return
    try:
        np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch shapes {shape_a[:-2]} and {shape_b[:-2]} of {shown_a} and "
            f"{shown_b} cannot be broadcast together"
        ) from None


def matmul(a: ArrayLike, b: ArrayLike, *, transpose_a: bool = False,
           transpose_b: bool = False) -> Tensor:
    """The matrix product ``a @ b`` with NumPy semantics (1-D operands, batch broadcasting).

    Args:
        a, b: the operands.
        transpose_a, transpose_b: multiply by the operand's transpose (its last two axes
            swapped; it needs two or more) without making it: ``matmul(a, b,
            transpose_a=True)`` is ``a.T @ b`` for matrices, as in ``tf.linalg.matmul``.

    >>> import descend as dc
    >>> (dc.ones((2, 3)) @ dc.ones(3)).numpy()
    array([3., 3.], dtype=float32)
    >>> dc.matmul(dc.ones((3, 2)), dc.ones((4, 3)), transpose_a=True, transpose_b=True).shape
    (2, 4)
    """
    if not isinstance(a, Tensor):
        b = ensure_tensor(b, "matmul")
        a = as_operand(a, b, "matmul")
    elif not isinstance(b, Tensor):
        b = as_operand(b, a, "matmul")
    _check_matmul(a, b, transpose_a, transpose_b)
    return MatMul.apply(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


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
