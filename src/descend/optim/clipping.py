"""Gradient clipping: rescale (``clip_grad_norm``) or clamp (``clip_grad_value``) the gradients.

Call between ``loss.backward()`` and ``optimizer.step()``. Both work in place on every
``param.grad`` and skip parameters whose ``grad`` is None. In a step compiled with ``dc.jit``
they are replayed as calls; ``clip_grad_norm``'s returned norm is then the traced call's.

>>> import descend as dc
>>> w = dc.tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()                # grad (6, 8), norm 10
>>> dc.optim.clip_grad_norm([w], max_norm=1.0)
10.0
>>> w.grad
tensor([0.6, 0.8])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from descend import backend, tracing
from descend.optim._checks import non_negative
from descend.tensors import Tensor


def _grads(params: Tensor | Iterable[Tensor], where: str) -> list[np.ndarray]:
    """The gradient arrays of ``params`` (a Tensor or an iterable of them) that exist."""
    if isinstance(params, Tensor):
        params = [params]
    grads = []
    for param in params:
        if not isinstance(param, Tensor):
            raise TypeError(f"{where}: params must be Tensors, got {type(param).__name__}")
        if param.grad is not None:
            grads.append(param.grad.data)
    return grads


def clip_grad_norm(params: Tensor | Iterable[Tensor], max_norm: float,
                   norm_type: float = 2.0, *, error_if_nonfinite: bool = False) -> float:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradient entries as one vector
    (:math:`\|g\|_p = (\sum |g_i|^p)^{1/p}`, or :math:`\max |g_i|` for ``inf``); every gradient
    is multiplied by :math:`\min(1, \text{max\_norm} / (\|g\| + 10^{-6}))`, so the direction of
    the step is kept and only its length is capped (Pascanu, Mikolov & Bengio 2013, "On the
    difficulty of training recurrent neural networks"). As ``torch.nn.utils.clip_grad_norm_``.

    Args:
        params: a Tensor or an iterable of Tensors.
        max_norm: the largest norm allowed (``>= 0``).
        norm_type: :math:`p > 0`, or ``float("inf")``.
        error_if_nonfinite: raise if the total norm is NaN or infinite instead of scaling by it.

    Returns:
        The total norm before clipping, as a Python float.

    >>> import descend as dc
    >>> w = dc.tensor([1.0, -2.0], requires_grad=True); w.grad = dc.tensor([1.0, -2.0])
    >>> dc.optim.clip_grad_norm(w, 1.0, norm_type=float("inf"))
    2.0
    >>> w.grad
    tensor([ 0.5, -1. ])
    """
    if tracing.active is not None:  # a compiled step replays the clipping as a call
        params = [params] if isinstance(params, Tensor) else list(params)
        return tracing.active.live_call(
            lambda: clip_grad_norm(params, max_norm, norm_type,
                                   error_if_nonfinite=error_if_nonfinite),
            (), f"clip_grad_norm(params, {max_norm!r})")
    max_norm = non_negative("clip_grad_norm", "max_norm", max_norm)
    if isinstance(norm_type, bool) or not isinstance(norm_type, int | float) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be a positive number or "
                         f"float('inf'), got {norm_type!r}")
    grads = _grads(params, "clip_grad_norm")
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    xp = backend.array_module(grads[0])
    norms = xp.stack([xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total = float(xp.linalg.norm(norms.astype(grads[0].dtype, copy=False), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm: the total {norm_type}-norm of the gradients is "
                           f"{total}, so they cannot be clipped; turn on dc.detect_anomaly() "
                           "to find the op that produced it")
    scale = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= scale
    return total


def clip_grad_value(params: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place.

    Unlike :func:`clip_grad_norm` this changes the direction of the step. As
    ``torch.nn.utils.clip_grad_value_``.

    Args:
        params: a Tensor or an iterable of Tensors.
        clip_value: the largest magnitude allowed (``>= 0``).

    >>> import descend as dc
    >>> w = dc.tensor([1.0, -2.0], requires_grad=True); w.grad = dc.tensor([0.5, -3.0])
    >>> dc.optim.clip_grad_value([w], 1.0)
    >>> w.grad
    tensor([ 0.5, -1. ])
    """
    if tracing.active is not None:  # a compiled step replays the clipping as a call
        params = [params] if isinstance(params, Tensor) else list(params)
        tracing.active.live_call(clip_grad_value, (params, clip_value),
                                 f"clip_grad_value(params, {clip_value!r})")
        return
    clip_value = non_negative("clip_grad_value", "clip_value", clip_value)
    for g in _grads(params, "clip_grad_value"):
        g.clip(-clip_value, clip_value, out=g)
