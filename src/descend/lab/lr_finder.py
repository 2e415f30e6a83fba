"""The learning-rate finder: raise the learning rate exponentially, one batch per step, and watch.

The loss first barely moves (learning rate too small), then falls fastest, then explodes (too
large). The suggestion is the learning rate where the smoothed loss falls fastest against
``log(lr)`` (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017).

>>> import descend as dc
>>> from descend import optim
>>> w = dc.tensor([4.0], requires_grad=True)
>>> result = dc.lab.lr_find_params([w], lambda: (w * w).sum(), optim.SGD, steps=60)
>>> 0.01 < result.suggestion < 1.0, w.item()          # the weights are restored
(True, 4.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.tensor import Tensor


@dataclass
class LRFinderResult:
    """What :func:`lr_find` measured.

    Attributes:
        lrs: the learning rates tried, one per step.
        losses: the loss returned by each step.
        smoothed: the exponentially smoothed (bias-corrected) losses.
        suggestion: the learning rate where the smoothed loss falls fastest.
        diverged: whether the sweep stopped early because the loss blew up.

    >>> import descend as dc
    >>> r = dc.lab.lr_find(lambda lr: 1.0, start_lr=0.1, end_lr=1.0, steps=5)
    >>> len(r.lrs), r.diverged
    (5, False)
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    diverged: bool


def lr_find(step_fn: Callable[[float], float], *, start_lr: float = 1e-7, end_lr: float = 10.0,
            steps: int = 100, beta: float = 0.9, diverge: float = 4.0) -> LRFinderResult:
    """Call ``step_fn(lr)`` for exponentially growing ``lr`` and suggest a learning rate.

    Args:
        step_fn: trains one batch with learning rate ``lr`` and returns that batch's loss.
        start_lr: the first learning rate.
        end_lr: the last learning rate.
        steps: how many steps (batches), a few hundred for a real model.
        beta: smoothing factor of the loss (exponential moving average).
        diverge: stop once the smoothed loss exceeds ``diverge`` × its best value.

    >>> import descend as dc
    >>> w = [5.0]
    >>> def step(lr):                          # gradient descent on w² by hand
    ...     loss = w[0] ** 2
    ...     w[0] -= lr * 2 * w[0]
    ...     return loss
    >>> r = dc.lab.lr_find(step, start_lr=1e-4, end_lr=10, steps=50)
    >>> r.diverged, 0.01 < r.suggestion < 1.0
    (True, True)
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 5:
        raise ValueError(f"lr_find: steps must be an integer of at least 5, got {steps!r}")
    if not 0 <= beta < 1:
        raise ValueError(f"lr_find: beta must be in [0, 1), got {beta}")
    lrs = np.geomspace(start_lr, end_lr, steps)
    losses: list[float] = []
    smoothed: list[float] = []
    average, best, diverged = 0.0, np.inf, False
    for i, lr in enumerate(lrs):
        loss = float(step_fn(float(lr)))
        losses.append(loss)
        if not np.isfinite(loss):
            smoothed.append(np.inf)
            diverged = True
            break
        average = beta * average + (1 - beta) * loss
        value = average / (1 - beta ** (i + 1))
        smoothed.append(value)
        best = min(best, value)
        if i > 0 and value > diverge * best:
            diverged = True
            break
    n = len(losses)
    return LRFinderResult(lrs[:n], np.asarray(losses), np.asarray(smoothed),
                          _steepest(lrs[:n], np.asarray(smoothed)), diverged)


def _steepest(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    """The lr where the smoothed loss falls fastest per unit of log(lr), before the blow-up."""
    finite = np.isfinite(smoothed)
    end = int(np.argmin(np.where(finite, smoothed, np.inf))) + 1
    if end < 3:
        return float(lrs[0])
    slope = np.gradient(smoothed[:end], np.log(lrs[:end]))
    return float(lrs[int(np.argmin(slope))])


def lr_find_params(params: Sequence[Tensor], loss_fn: Callable[[], Tensor],
                   optimizer: type | Callable[..., Any], *, start_lr: float = 1e-7,
                   end_lr: float = 10.0, steps: int = 100, **options: Any) -> LRFinderResult:
    """The learning-rate finder for parameters, a loss and a ``dc.optim`` optimizer class.

    Each step sets the learning rate, computes ``loss_fn()`` (draw a fresh batch inside it),
    backpropagates and steps. The parameters are restored afterwards, so training can start
    from the same weights with the suggested learning rate.

    Args:
        params: the parameters (``model.parameters()``).
        loss_fn: computes the loss of one batch (no arguments).
        optimizer: an optimizer class (``dc.optim.SGD``, ``dc.optim.Adam``) or a factory
            ``optimizer(params, lr=...)``.
        start_lr: the first learning rate.
        end_lr: the last learning rate.
        steps: how many steps.
        **options: other optimizer options (``momentum=0.9``).

    >>> import descend as dc
    >>> from descend import optim
    >>> w = dc.tensor([3.0], requires_grad=True)
    >>> r = dc.lab.lr_find_params([w], lambda: (w * w).sum(), optim.Adam, steps=20,
    ...                           betas=(0.8, 0.99))
    >>> len(r.losses) <= 20, w.item()
    (True, 3.0)
    """
    params = list(params)
    saved = [np.array(p.data) for p in params]
    opt = optimizer(params, lr=start_lr, **options)

    def step(lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    try:
        return lr_find(step, start_lr=start_lr, end_lr=end_lr, steps=steps)
    finally:
        for p, s in zip(params, saved):
            np.copyto(p.data, s)
            p.grad = None
