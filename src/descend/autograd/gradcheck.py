"""``gradcheck``: compare backward's gradients with central finite differences in float64.

For each input element, the numeric derivative (f(x + ε) − f(x − ε)) / 2ε of a fixed random
projection of the output is compared with the analytic one from ``backward``. A mismatch raises
:class:`GradcheckError` naming the input, the element, and both values.

>>> import descend as dc
>>> dc.gradcheck(lambda x: (x.sin() * x).sum(), [dc.randn(3)])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from descend.autograd.engine import run_backward
from descend.autograd.mode import no_grad
from descend.tensors import ArrayLike, Tensor, to_array


class GradcheckError(AssertionError):
    """The analytic gradient of a function disagrees with its finite-difference estimate."""


def _as_inputs(inputs: ArrayLike | Sequence[ArrayLike]) -> list[Tensor]:
    items = [inputs] if isinstance(inputs, Tensor | np.ndarray) else list(inputs)
    if not items:
        raise ValueError("gradcheck: give at least one input")
    return [Tensor._wrap(to_array(x, np.float64, where="gradcheck")).requires_grad_(True)
            for x in items]


def gradcheck(
    f: Callable[..., Tensor],
    inputs: ArrayLike | Sequence[ArrayLike],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    projections: int = 2,
    seed: int = 0,
) -> bool:
    """Check ``f``'s gradients with respect to every input against finite differences.

    Args:
        f: a function of the inputs returning a Tensor of any shape.
        inputs: one input or a list of them; each is copied to float64.
        eps: the finite-difference step.
        atol, rtol: a value passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
        projections: how many random output weightings to check (each one backward).
        seed: seeds the random weightings (not descend's generator).

    Returns:
        True; on a mismatch raises :class:`GradcheckError`.

    >>> import descend as dc
    >>> dc.gradcheck(lambda a, b: a @ b, [dc.randn(2, 3), dc.randn(3)])
    True
    """
    xs = _as_inputs(inputs)
    out = f(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    rng = np.random.default_rng(seed)
    for k in range(projections):
        weights = rng.standard_normal(out.shape) if out.size > 1 or k else np.ones(out.shape)
        _check_projection(f, xs, weights, eps, atol, rtol)
    return True


def _check_projection(f: Callable[..., Tensor], xs: list[Tensor], weights: np.ndarray,
                      eps: float, atol: float, rtol: float) -> None:
    def projected() -> float:
        return float(np.sum(f(*xs).data.astype(np.float64) * weights))

    out = f(*xs)
    analytic = [np.zeros_like(x.data) for x in xs]
    if out.requires_grad:
        seed = Tensor._wrap(weights.astype(out.dtype))
        found = run_backward(out, seed, keep=xs)
        for i, x in enumerate(xs):
            if x in found:
                analytic[i] = found[x].data
    with no_grad():
        for i, x in enumerate(xs):
            flat = x.data.reshape(-1)
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                up = projected()
                flat[j] = original - eps
                down = projected()
                flat[j] = original
                numeric = (up - down) / (2 * eps)
                value = float(analytic[i].reshape(-1)[j])
                if not abs(value - numeric) <= atol + rtol * abs(numeric):
                    raise GradcheckError(_mismatch(i, x, j, value, numeric, out))


def _mismatch(i: int, x: Tensor, j: int, analytic: float, numeric: float, out: Tensor) -> str:
    where = np.unravel_index(j, x.shape) if x.ndim else ()
    op = out.grad_fn.name if out.grad_fn is not None else "<no graph>"
    return (
        f"gradcheck: gradient mismatch for input {i} (shape {x.shape}) at element "
        f"{tuple(int(w) for w in where)}: analytic {analytic!r} vs numeric {numeric!r} "
        f"(difference {abs(analytic - numeric):.3g}); the output came from '{op}'"
    )

