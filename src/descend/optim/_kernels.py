"""Small in-place array steps the update rules share (NumPy ``out=``, no hidden float64).

Each helper writes into arrays it is given and mirrors the arithmetic of the torch kernel of the
same name (``lerp_``, ``addcmul_``), so descend's trajectories agree with torch.optim's to
rounding. Scalars are Python floats, which NumPy casts to the array's dtype: float32 stays
float32.

>>> import numpy as np
>>> from descend.optim._kernels import lerp_
>>> a = np.zeros(2, np.float32)
>>> lerp_(a, np.ones(2, np.float32), 0.25, np.empty(2, np.float32))
array([0.25, 0.25], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.backend import array_module


def zeros_like(param: np.ndarray) -> np.ndarray:
    """Zeros like ``param``, on its device (an optimizer's state lives beside its parameter).

    >>> import numpy as np
    >>> zeros_like(np.ones(2, np.float32))
    array([0., 0.], dtype=float32)
    """
    return array_module(param).zeros_like(param)


def empty_like(param: np.ndarray) -> np.ndarray:
    """A work array like ``param``, on its device (values undefined)."""
    return array_module(param).empty_like(param)


def coupled_grad(grad: np.ndarray, param: np.ndarray, hparams: Mapping[str, Any]) -> np.ndarray:
    """The gradient a rule follows: ``-grad`` when ``maximize``, plus ``weight_decay · param``.

    This is L2 regularisation folded into the gradient ("coupled" weight decay, as torch's
    ``weight_decay`` for every optimizer except AdamW). Returns ``grad`` itself when neither
    applies, so callers must not write into the result.

    >>> import numpy as np
    >>> coupled_grad(np.array([1.0]), np.array([2.0]), {"weight_decay": 0.5, "maximize": True})
    array([0.])
    """
    weight_decay = hparams.get("weight_decay", 0.0)
    maximize = hparams.get("maximize", False)
    if weight_decay != 0 and not hparams.get("decoupled_weight_decay", False):
        out = np.multiply(param, weight_decay)
        return np.subtract(out, grad, out=out) if maximize else np.add(out, grad, out=out)
    return np.negative(grad) if maximize else grad


def decay_weights_(param: np.ndarray, lr: float, weight_decay: float) -> None:
    """Decoupled weight decay (Loshchilov & Hutter 2019): ``param *= 1 - lr · weight_decay``.

    AdamW, ``decoupled_weight_decay=True`` and Lion shrink the weights directly instead of
    adding ``weight_decay · param`` to the gradient.

    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> decay_weights_(w, 0.1, 0.5)
    >>> w
    array([0.95])
    """
    if weight_decay != 0:
        np.multiply(param, 1.0 - lr * weight_decay, out=param)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray) -> np.ndarray:
    """``start += weight · (end - start)`` in place (torch's ``lerp_``, both of its branches).

    ``scratch`` is a work array of the same shape; returns ``start``.
    """
    np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        return np.add(start, scratch, out=start)
    scratch *= 1.0 - weight
    return np.subtract(end, scratch, out=start)


def add_scaled_square_(acc: np.ndarray, beta: float, values: np.ndarray,
                       scratch: np.ndarray) -> np.ndarray:
    """``acc = beta · acc + (1 - beta) · values²`` in place: an average of squares.

    >>> import numpy as np
    >>> add_scaled_square_(np.ones(1), 0.9, np.full(1, 2.0), np.empty(1))
    array([1.3])
    """
    acc *= beta
    np.multiply(values, 1.0 - beta, out=scratch)
    scratch *= values
    return np.add(acc, scratch, out=acc)


def adam_moments_(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                  hparams: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The start Adam, NAdam and RAdam share, in place: count the step, apply weight decay
    (decoupled or coupled) and update ``exp_avg`` and ``exp_avg_sq``.

    Returns ``(g, scratch)``: the gradient the moments saw and a free work array.

    >>> import numpy as np
    >>> state = {"step": 0, "exp_avg": np.zeros(1), "exp_avg_sq": np.zeros(1)}
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.99), "weight_decay": 0.0,
    ...       "decoupled_weight_decay": False, "maximize": False}
    >>> _ = adam_moments_(np.array([2.0]), state, np.zeros(1), hp)
    >>> state["step"], state["exp_avg"], state["exp_avg_sq"]
    (1, array([0.2]), array([0.04]))
    """
    state["step"] += 1
    beta1, beta2 = hparams["betas"]
    if hparams["decoupled_weight_decay"]:
        decay_weights_(param, hparams["lr"], hparams["weight_decay"])
    g = coupled_grad(grad, param, hparams)
    scratch = empty_like(param)
    lerp_(state["exp_avg"], g, 1.0 - beta1, scratch)
    add_scaled_square_(state["exp_avg_sq"], beta2, g, scratch)
    return g, scratch
