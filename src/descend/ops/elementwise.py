"""Elementwise arithmetic and math functions, each op's forward beside its backward.

Binary ops broadcast like NumPy; their backward undoes the broadcast with :func:`sum_to`.

>>> import descend as dc
>>> a = dc.tensor([[1.0], [2.0]], requires_grad=True)   # (2, 1)
>>> b = dc.tensor([10.0, 20.0, 30.0], requires_grad=True)  # (3,)
>>> (a * b).sum().backward()
>>> a.grad.numpy().ravel(), b.grad.numpy()
(array([60., 60.], dtype=float32), array([3., 3., 3.], dtype=float32))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.backend import array_module, to_device
from descend.ops.shape import sum_to
from descend.tensors import NUMBER, ArrayLike, Tensor, as_operand, ensure_tensor


def binary(cls: type[Function], a: ArrayLike, b: ArrayLike) -> Tensor:
    """Apply a broadcasting binary op, turning a shape clash into a readable ``ValueError``."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = ensure_tensor(b, cls.name)
        a = as_operand(a, b, cls.name)
    elif not isinstance(b, Tensor):
        b = as_operand(b, a, cls.name)
    try:
        return cls.apply(a, b)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"{cls.name}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                "(trailing axes must be equal or 1)"
            ) from None
        raise


def unary(cls: type[Function], x: ArrayLike, **kwargs: Any) -> Tensor:
    """Apply a one-input op to ``x`` (a Tensor, or anything :func:`descend.tensor` takes)."""
    return cls.apply(ensure_tensor(x, cls.name), **kwargs)


class Add(Function):
    """a + b"""

    reads_inputs = False

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(gy, a.shape) if need_a else None,
                sum_to(gy, b.shape) if need_b else None)


class Sub(Function):
    """a − b"""

    reads_inputs = False

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(gy, a.shape) if need_a else None,
                sum_to(-gy, b.shape) if need_b else None)


class Mul(Function):
    """a · b"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(gy * b, a.shape) if need_a else None,
                sum_to(gy * a, b.shape) if need_b else None)


class Div(Function):
    """a / b"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = sum_to(gy / b, a.shape) if need_a else None
        gb = sum_to(-gy * a / (b * b), b.shape) if need_b else None
        return ga, gb


class Pow(Function):
    """a ** b with both operands tensors (d/da = b · a^(b-1), 0 where b = 0;
    d/db = a^b · ln a, 0 where a = 0 and b ≥ 0: torch's rules)."""

    save_output = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a**b

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:  # b a^(b-1) -> +0 where b = 0, whatever gy (torch's rule); 1^-1 at a = 0
            zero_exponent = b == 0
            base = where(zero_exponent, where(a == 0, 1.0, a), a)  # (no inf reaches d²/da²)
            ga = sum_to(where(zero_exponent, 0.0, gy * b * base ** (b - 1)), a.shape)
        if need_b:  # a^b ln a -> 0 where a = 0 and b >= 0 (torch's rule): take ln 1 there
            base = where(a == 0, where(b >= 0, 1.0, a), a)
            gb = sum_to(gy * self.output * Log.apply(base), b.shape)
        return ga, gb


class PowScalar(Function):
    """x ** c for a constant number c."""

    name = "pow"

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.power(x, self.exponent)

    def backward(self, gy: Tensor) -> Tensor:
        (x,) = self.inputs
        c = self.exponent
        if c == 0:
            return gy * 0.0
        if c == 1:
            return gy
        return gy * c * x ** (c - 1)


class Neg(Function):
    """−x"""

    reads_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, gy: Tensor) -> Tensor:
        return -gy


class Exp(Function):
    """eˣ; the gradient is the output itself."""

    save_output = True
    reads_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * self.output


class Log(Function):
    """natural logarithm ln x; d/dx = 1/x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy / self.inputs[0]


class Sqrt(Function):
    """√x; d/dx = 1 / (2√x)."""

    save_output = True
    reads_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy / (self.output * 2.0)


class Sin(Function):
    """sin x; d/dx = cos x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * Cos.apply(self.inputs[0])


class Cos(Function):
    """cos x; d/dx = −sin x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    def backward(self, gy: Tensor) -> Tensor:
        return -gy * Sin.apply(self.inputs[0])


class Where(Function):
    """where(condition, a, b): a where the condition holds, b elsewhere."""

    saved_arrays = ("condition",)
    reads_inputs = False

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return array_module(a).where(self.condition, a, b)

    def backward(self, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = sum_to(where(self.condition, gy, 0.0), a.shape) if need_a else None
        gb = sum_to(where(self.condition, 0.0, gy), b.shape) if need_b else None
        return ga, gb


class Cast(Function):
    """x converted to another floating dtype; the gradient is converted back."""

    name = "astype"
    reads_inputs = False

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def backward(self, gy: Tensor) -> Tensor:
        return gy.astype(self.inputs[0].dtype)


# --------------------------------------------------------------------- functional aliases
def add(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a + b with broadcasting.

    >>> import descend as dc
    >>> dc.add(dc.tensor([1.0, 2.0]), 1).numpy()
    array([2., 3.], dtype=float32)
    """
    return binary(Add, a, b)


def sub(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a − b with broadcasting.

    >>> import descend as dc
    >>> dc.sub(5, dc.tensor([1.0, 2.0])).numpy()
    array([4., 3.], dtype=float32)
    """
    return binary(Sub, a, b)


def mul(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a · b elementwise, with broadcasting.

    >>> import descend as dc
    >>> dc.mul(dc.tensor([1.0, 2.0]), dc.tensor([3.0, 4.0])).numpy()
    array([3., 8.], dtype=float32)
    """
    return binary(Mul, a, b)


def div(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a / b elementwise, with broadcasting.

    >>> import descend as dc
    >>> dc.div(dc.tensor([1.0, 3.0]), 2).numpy()
    array([0.5, 1.5], dtype=float32)
    """
    return binary(Div, a, b)


def pow(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a ** b; a constant number exponent uses the cheaper scalar rule.

    >>> import descend as dc
    >>> dc.pow(dc.tensor([2.0, 3.0]), 2).numpy()
    array([4., 9.], dtype=float32)
    """
    if isinstance(a, Tensor) and isinstance(b, NUMBER) and not isinstance(b, bool):
        return PowScalar.apply(a, exponent=b)
    return binary(Pow, a, b)


def neg(x: ArrayLike) -> Tensor:
    """−x.

    >>> import descend as dc
    >>> dc.neg(dc.tensor([1.0, -2.0])).numpy()
    array([-1.,  2.], dtype=float32)
    """
    return unary(Neg, x)


def exp(x: ArrayLike) -> Tensor:
    """eˣ elementwise.

    >>> import descend as dc
    >>> dc.exp(dc.tensor([0.0])).numpy()
    array([1.], dtype=float32)
    """
    return unary(Exp, x)


def log(x: ArrayLike) -> Tensor:
    """Natural logarithm elementwise (−inf at 0, NaN below).

    >>> import descend as dc
    >>> dc.log(dc.tensor([1.0])).numpy()
    array([0.], dtype=float32)
    """
    return unary(Log, x)


def sqrt(x: ArrayLike) -> Tensor:
    """Square root elementwise.

    >>> import descend as dc
    >>> dc.sqrt(dc.tensor([4.0, 9.0])).numpy()
    array([2., 3.], dtype=float32)
    """
    return unary(Sqrt, x)


def sin(x: ArrayLike) -> Tensor:
    """Sine elementwise.

    >>> import descend as dc
    >>> dc.sin(dc.tensor([0.0])).numpy()
    array([0.], dtype=float32)
    """
    return unary(Sin, x)


def cos(x: ArrayLike) -> Tensor:
    """Cosine elementwise.

    >>> import descend as dc
    >>> dc.cos(dc.tensor([0.0])).numpy()
    array([1.], dtype=float32)
    """
    return unary(Cos, x)


def where(condition: ArrayLike, a: ArrayLike, b: ArrayLike) -> Tensor:
    """Pick ``a`` where ``condition`` is true and ``b`` elsewhere (all broadcast together).

    >>> import descend as dc
    >>> x = dc.tensor([-1.0, 2.0])
    >>> dc.where(x > 0, x, 0.0).numpy()
    array([0., 2.], dtype=float32)
    """
    cond = condition.data if isinstance(condition, Tensor) else condition
    cond = np.asarray(cond) if array_module(cond) is np else cond
    if isinstance(a, Tensor) or isinstance(b, Tensor):  # a host condition goes to their device
        cond = to_device(cond, (a if isinstance(a, Tensor) else b).device)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: the condition must be boolean, got dtype {cond.dtype}")
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = as_operand(a, b, "where")
    elif not isinstance(b, Tensor) and isinstance(a, Tensor):
        b = as_operand(b, a, "where")
    a, b = ensure_tensor(a, "where"), ensure_tensor(b, "where")
    try:
        return Where.apply(a, b, condition=cond)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} cannot be "
            "broadcast together"
        ) from None


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float dtypes).

    >>> import descend as dc
    >>> dc.tensor([1.0]).astype("float64").dtype
    dtype('float64')
    """
    target = np.dtype(dtype)
    if target == x.dtype:
        return x
    if x.requires_grad and target.kind != "f":
        raise TypeError(f"astype: cannot convert a tensor that requires grad to {target}")
    return Cast.apply(x, dtype=target)
