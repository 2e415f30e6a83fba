"""``check_op``: the one helper every gradient test goes through (two oracles, one report).

For an op written with descend and the same op written with PyTorch, it checks on random
inputs:

1. ``dc.gradcheck`` in float64 (finite differences, always);
2. against torch in float64 (value and gradient within ~1e-10) and float32 (~1e-5), when
   torch is installed;
3. that each gradient has its input's shape and dtype, and the output keeps the input dtype;
4. that inside a compiled step (``dc.jit``) the op gives the eager step's bits.

Every failure names the op, the dtype and what differed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import descend as dc
from devices import Target

try:
    import torch
except ImportError:  # the oracle is optional; gradcheck still runs
    torch = None

TOLERANCE = {np.float64: (1e-10, 1e-9), np.float32: (1e-5, 1e-4)}
"""(atol, rtol) per dtype for comparisons with torch."""

DEVICE: Target | None = None
"""The device ``check_op`` runs on (set per test by the ``op_device`` fixture); off the CPU it
compares the op's value and gradients there with the CPU's instead of with the oracles."""


def random_inputs(shapes: Sequence[tuple[int, ...]], *, seed: int = 0, low: float | None = None,
                  high: float | None = None, away_from: float | None = None) -> list[np.ndarray]:
    """Float64 normal (or uniform in [low, high]) arrays; ``away_from`` keeps values 0.1 away."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if low is not None and high is not None:
            a = rng.uniform(low, high, size=shape)
        else:
            a = rng.standard_normal(shape)
        if away_from is not None:
            close = np.abs(a - away_from) < 0.1
            a = np.where(close, away_from + 0.1 * np.sign(a - away_from + 1e-12) + 0.1 * a, a)
        arrays.append(np.asarray(a, dtype=np.float64))
    return arrays


def _compare(name: str, what: str, ours: np.ndarray, theirs: np.ndarray, dtype: Any) -> None:
    atol, rtol = TOLERANCE[dtype]
    if ours.shape != theirs.shape:
        raise AssertionError(f"{name} [{np.dtype(dtype)}]: {what} shape {ours.shape} != torch "
                             f"{theirs.shape}")
    if not np.allclose(ours, theirs, atol=atol, rtol=rtol, equal_nan=True):
        diff = np.nanmax(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)))
        raise AssertionError(
            f"{name} [{np.dtype(dtype)}]: {what} differs from torch by up to {diff:.3g} "
            f"(atol {atol}, rtol {rtol})"
        )


def check_against_torch(fn: Callable[..., dc.Tensor], torch_fn: Callable[..., Any],
                        arrays: Sequence[np.ndarray], dtype: Any, name: str,
                        grad_inputs: Sequence[bool] | None = None) -> None:
    """Compare value and gradients (for a random upstream gradient) with torch in ``dtype``."""
    grad_inputs = grad_inputs or [True] * len(arrays)
    ours = [dc.tensor(a, dtype=dtype, requires_grad=g) for a, g in zip(arrays, grad_inputs)]
    out = fn(*ours)
    theirs = [torch.tensor(a.astype(dtype), requires_grad=g) for a, g in zip(arrays, grad_inputs)]
    their_out = torch_fn(*theirs)
    _compare(name, "value", out.numpy(), their_out.detach().numpy(), dtype)
    if out.dtype != np.dtype(dtype):
        raise AssertionError(f"{name}: output dtype {out.dtype}, expected {np.dtype(dtype)}")
    if not any(grad_inputs):
        return
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    their_out.backward(torch.tensor(upstream))
    for i, (x, tx, g) in enumerate(zip(ours, theirs, grad_inputs)):
        if not g:
            continue
        if x.grad is None:
            raise AssertionError(f"{name}: input {i} got no gradient")
        if x.grad.shape != x.shape or x.grad.dtype != x.dtype:
            raise AssertionError(f"{name}: gradient of input {i} has shape {x.grad.shape} and "
                                 f"dtype {x.grad.dtype}, expected {x.shape} and {x.dtype}")
        expected = tx.grad.numpy() if tx.grad is not None else np.zeros(x.shape, dtype)
        _compare(name, f"gradient of input {i}", x.grad.numpy(), expected, dtype)


def second_derivative_checks(ours: Callable[..., Any], theirs: Callable[..., Any],
                             shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...],
                             seed: int = 7) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """descend's and torch's ``f(*inputs) = Σ_i <∂(op(*inputs) · w)/∂input_i, v_i>`` for
    random ``w`` and ``v_i``: the first gradients taken with ``create_graph``, so that
    :func:`check_op` on ``f`` checks the op's second derivatives (Hessian-vector products)."""
    rng = np.random.default_rng(seed)
    weights, *vectors = (rng.standard_normal(s) for s in (out_shape, *shapes))

    def ours_f(*inputs: dc.Tensor) -> dc.Tensor:
        w, *v = (dc.tensor(a, dtype=inputs[0].dtype, device=inputs[0].device)
                 for a in (weights, *vectors))
        first = dc.grad(lambda *xs: (ours(*xs) * w).sum(),
                        argnums=tuple(range(len(inputs))))(*inputs)
        return sum((g * u).sum() for g, u in zip(first, v))

    def theirs_f(*inputs: Any) -> Any:
        w, *v = (torch.tensor(a, dtype=inputs[0].dtype) for a in (weights, *vectors))
        first = torch.autograd.grad((theirs(*inputs) * w).sum(), inputs, create_graph=True)
        return sum((g * u).sum() for g, u in zip(first, v))

    return ours_f, theirs_f


def check_op(fn: Callable[..., dc.Tensor], torch_fn: Callable[..., Any] | None,
             shapes: Sequence[tuple[int, ...]] | None = None, *,
             inputs: Sequence[np.ndarray] | None = None, name: str = "op",
             grad_inputs: Sequence[bool] | None = None, gradcheck: bool = True,
             dtypes: Sequence[Any] = (np.float64, np.float32), **random: Any) -> None:
    """Check an op's value and gradient with finite differences and against torch.

    Args:
        fn: the op written with descend, taking Tensors.
        torch_fn: the same op written with torch (None: no torch oracle for this op).
        shapes: input shapes for random inputs (or give ``inputs``).
        inputs: explicit float64 input arrays.
        name: printed in failure messages.
        grad_inputs: which inputs require grad (default: all).
        gradcheck: run ``dc.gradcheck`` (turn off only for ops with no gradient).
        dtypes: the dtypes compared with torch.
        random: ``low``, ``high``, ``away_from``, ``seed`` for :func:`random_inputs`.
    """
    arrays = list(inputs) if inputs is not None else random_inputs(shapes or [], **random)
    grads = list(grad_inputs) if grad_inputs is not None else [True] * len(arrays)
    if DEVICE is not None and DEVICE.device != "cpu":
        for dtype in dtypes:
            check_on_device(fn, arrays, dtype, name, grads, DEVICE)
        return
    if gradcheck and any(grads):
        def only_tracked(*tracked: dc.Tensor) -> dc.Tensor:
            it = iter(tracked)
            return fn(*[next(it) if g else dc.tensor(a, dtype=np.float64)
                        for a, g in zip(arrays, grads)])

        dc.gradcheck(only_tracked, [a for a, g in zip(arrays, grads) if g])
    if torch_fn is not None and torch is not None:
        for dtype in dtypes:
            check_against_torch(fn, torch_fn, arrays, dtype, name, grads)
    check_compiled(fn, arrays, grads, name)


def check_compiled(fn: Callable[..., dc.Tensor], arrays: Sequence[np.ndarray],
                   grads: Sequence[bool], name: str) -> None:
    """The op inside a compiled step (``dc.jit``: its value, and its inputs' gradients for a
    weighting the step gets) gives the eager step's bits, on the trace and on two replays. An
    op the trace refuses (a test's lambda reading an array made outside the step) is skipped:
    a refusal is never a wrong result."""
    runs = []
    for compiled in (False, True):
        params = [dc.tensor(a, dtype=np.float32, requires_grad=g) for a, g in zip(arrays, grads)]

        def step(weights: dc.Tensor, params: list[dc.Tensor] = params) -> Any:
            out = fn(*params)
            if any(grads) and out.dtype.kind == "f":
                (out * weights).sum().backward()
            return out

        if compiled:
            step = dc.jit(step)
        shape = fn(*[dc.tensor(a, dtype=np.float32) for a in arrays]).shape
        seen = []
        for seed in range(3):
            for p in params:
                p.grad = None
            weights = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
            try:
                out = step(weights)
            except dc.compiler.TraceError:
                return
            seen += [out.numpy().tobytes(), *(b"" if p.grad is None else p.grad.numpy().tobytes()
                                              for p in params)]
        runs.append(seen)
    assert runs[0] == runs[1], f"{name}: the compiled step's value or gradients differ from eager's"


def _run(fn: Callable[..., dc.Tensor], arrays: Sequence[np.ndarray], dtype: Any,
         grads: Sequence[bool], device: str) -> list[dc.Tensor]:
    """The op's output and its inputs' gradients (for a fixed upstream gradient) on ``device``."""
    xs = [dc.tensor(a, dtype=dtype, device=device, requires_grad=g) for a, g in zip(arrays, grads)]
    out = fn(*xs)
    if not any(grads):
        return [out]
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    out.backward(dc.tensor(upstream, dtype=out.dtype, device=device))
    return [out, *[x.grad for x, g in zip(xs, grads) if g]]


def check_on_device(fn: Callable[..., dc.Tensor], arrays: Sequence[np.ndarray], dtype: Any,
                    name: str, grads: Sequence[bool], target: Target) -> None:
    """The op's value and gradients on ``target`` live there and equal the CPU's (exactly on
    the stand-in, within ``TOLERANCE`` on a GPU)."""
    here = _run(fn, arrays, dtype, grads, target.device)
    cpu = _run(fn, arrays, dtype, grads, "cpu")
    for i, (ours, theirs) in enumerate(zip(here, cpu)):
        what = "value" if i == 0 else f"gradient {i - 1}"
        target.check(ours, f"{name} [{np.dtype(dtype)}]: the {what}")
        if ours.dtype != theirs.dtype or ours.shape != theirs.shape:
            raise AssertionError(f"{name} [{np.dtype(dtype)}] on {target.name}: the {what} has "
                                 f"{ours.dtype} {ours.shape}, on the CPU {theirs.dtype} "
                                 f"{theirs.shape}")
        if target.exact and not np.array_equal(ours.numpy(), theirs.numpy(), equal_nan=True):
            raise AssertionError(f"{name} [{np.dtype(dtype)}] on {target.name}: the {what} "
                                 "differs from the CPU's")
        if not target.exact:
            _compare(f"{name} on {target.name}", what, ours.numpy(), theirs.numpy(), dtype)
