"""Function transformations: ``grad``, ``value_and_grad``, ``vjp``, ``jacobian``, ``hessian``.

They take a Python function of Tensors and return a new function that computes derivatives,
without touching any ``.grad``; they record the graph even inside ``no_grad()`` blocks.
They compose: ``grad(grad(f))`` is the second derivative, and ``hessian`` differentiates the
backward pass itself (double backward).

>>> import descend as dc
>>> f = lambda x: (x ** 3).sum()
>>> dc.grad(f)(dc.tensor([2.0])).numpy()            # 3x²
array([12.], dtype=float32)
>>> dc.grad(dc.grad(f))(dc.tensor(2.0)).item()      # 6x
12.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from descend.autograd.engine import run_backward
from descend.autograd.mode import enable_grad, state
from descend.backend import array_module, to_device
from descend.creation import zeros
from descend.tensors import Tensor, ensure_tensor

Argnums = int | Sequence[int]


def _argnums(argnums: Argnums, count: int, where: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -count <= n < count:
            raise ValueError(f"{where}: argnums {argnums} is out of range for {count} argument(s)")
    return tuple(n % count for n in nums)


def _track(args: tuple, nums: tuple[int, ...], where: str) -> tuple[list, list[Tensor], bool]:
    """Make the chosen arguments tracked Tensors; say whether an outer graph already tracks one."""
    args = list(args)
    chosen: list[Tensor] = []
    outer = False
    for n in nums:
        x = ensure_tensor(args[n], where)
        if x.data.dtype.kind != "f":
            raise TypeError(f"{where}: argument {n} must be floating point, got {x.dtype}")
        if x.requires_grad and state.grad_enabled:
            outer = True
        else:
            x = Tensor._wrap(x.data).requires_grad_(True)
        args[n] = x
        chosen.append(x)
    return args, chosen, outer


def gradients(output: Tensor, inputs: Sequence[Tensor], seed: Tensor | None = None, *,
              create_graph: bool = False, retain_graph: bool = False) -> list[Tensor]:
    """d output / d input for each input (zeros where the output does not depend on it).

    >>> import descend as dc
    >>> x = dc.tensor([1.0, 2.0], requires_grad=True)
    >>> from descend.autograd.functional import gradients
    >>> [g.numpy() for g in gradients((x * x).sum(), [x])]
    [array([2., 4.], dtype=float32)]
    """
    if seed is None:
        if output.size != 1:
            raise ValueError(
                f"gradients: the function must return a single value, got shape {output.shape}"
            )
        seed = Tensor._wrap(array_module(output.data).ones_like(output.data))
    if not output.requires_grad:
        return [_zeros_like(x) for x in inputs]
    found = run_backward(output, seed, retain_graph=retain_graph or create_graph,
                         create_graph=create_graph, keep=inputs)
    return [found[x] if x in found else _zeros_like(x) for x in inputs]


def _zeros_like(x: Tensor) -> Tensor:
    return Tensor._wrap(array_module(x.data).zeros_like(x.data))


def value_and_grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning ``(f(*args), gradient)``; the gradient is a tuple for tuple argnums.

    >>> import descend as dc
    >>> value, g = dc.value_and_grad(lambda w: (w * w).sum())(dc.tensor([3.0]))
    >>> value.item(), g.numpy()
    (9.0, array([6.], dtype=float32))
    """

    def wrapped(*args: Any) -> tuple[Tensor, Any]:
        nums = _argnums(argnums, len(args), "grad")
        args_, chosen, outer = _track(args, nums, "grad")
        with enable_grad():
            value = f(*args_)
        if not isinstance(value, Tensor) or value.size != 1:
            shape = getattr(value, "shape", type(value).__name__)
            raise ValueError(f"grad: the function must return a single-value Tensor, got {shape}")
        grads = gradients(value, chosen, create_graph=outer)
        if not outer:
            value = value.detach()
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    return wrapped


def grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning the gradient of scalar ``f`` with respect to argument(s) ``argnums``.

    >>> import descend as dc
    >>> f = lambda x, y: (x * y).sum()
    >>> gx, gy = dc.grad(f, argnums=(0, 1))(dc.tensor([2.0]), dc.tensor([5.0]))
    >>> gx.item(), gy.item()
    (5.0, 2.0)
    """
    value_and_grad_f = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return value_and_grad_f(*args)[1]

    return wrapped


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Tensor, Callable[[Any], tuple]]:
    """``f(*primals)`` and a function mapping a cotangent v to vᵀ·J for every primal.

    >>> import descend as dc
    >>> out, pullback = dc.vjp(lambda x: x * 3, dc.tensor([1.0, 2.0]))
    >>> pullback(dc.tensor([1.0, 10.0]))[0].numpy()
    array([ 3., 30.], dtype=float32)
    """
    args, chosen, outer = _track(primals, tuple(range(len(primals))), "vjp")
    with enable_grad():
        out = f(*args)

    def pullback(cotangent: Any) -> tuple[Tensor, ...]:
        seed = ensure_tensor(cotangent, "vjp")
        if seed.shape != out.shape:
            raise ValueError(f"vjp: cotangent has shape {seed.shape}, the output {out.shape}")
        seed = seed.astype(out.dtype)
        return tuple(gradients(out, chosen, seed, create_graph=outer, retain_graph=True))

    return out, pullback


def jacobian(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning ∂f/∂x with shape ``f(x).shape + x.shape`` (one backward per output).

    >>> import descend as dc
    >>> dc.jacobian(lambda x: x * x)(dc.tensor([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """

    def wrapped(*args: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacobian")
        args_, chosen, outer = _track(args, nums, "jacobian")
        with enable_grad():
            out = f(*args_)
        rows: list[list[Tensor]] = []
        for i in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[i] = 1
            seed_t = Tensor._wrap(to_device(seed.reshape(out.shape), out.device))
            rows.append(gradients(out, chosen, seed_t, create_graph=outer, retain_graph=True))
        from descend.ops.join import stack

        jacs = []
        for k, x in enumerate(chosen):
            if not rows:
                jacs.append(zeros(out.shape + x.shape, dtype=x.dtype, device=x.device))
                continue
            jacs.append(stack([row[k] for row in rows]).reshape(out.shape + x.shape))
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    return wrapped


def hessian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Tensor]:
    """A function returning the matrix of second derivatives of scalar ``f`` (double backward).

    >>> import descend as dc
    >>> A = dc.tensor([[1.0, 2.0], [0.0, 3.0]])
    >>> dc.hessian(lambda x: x @ A @ x)(dc.tensor([1.0, 1.0])).numpy()   # A + Aᵀ
    array([[2., 2.],
           [2., 6.]], dtype=float32)
    """
    if not isinstance(argnums, int):
        raise TypeError("hessian: argnums must be a single int")
    return jacobian(grad(f, argnums), argnums)
