"""The learning-rate finder: raise the learning rate exponentially, one batch per step, and watch.

The loss first barely moves (learning rate too small), then falls fastest, then explodes (too
large). The suggestion is the learning rate where the smoothed loss falls fastest against
``log(lr)`` (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017).
:func:`lr_find` does it for a compiled model, :func:`lr_find_params` for parameters and an
optimizer class, :func:`lr_range_test` for any function that trains one batch.

>>> import descend as dc
>>> from descend import optim
>>> w = dc.tensor([4.0], requires_grad=True)
>>> result = dc.lab.lr_find_params([w], lambda: (w * w).sum(), optim.SGD, steps=60)
>>> 0.01 < result.suggestion < 1.0, w.item()          # the weights are restored
(True, 4.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import backend
from descend.data import Dataset
from descend.data.batching import check_batch_size
from descend.models import Model
from descend.tensors import Tensor


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
    >>> r = dc.lab.lr_range_test(lambda lr: 1.0, start_lr=0.1, end_lr=1.0, steps=5)
    >>> len(r.lrs), r.diverged
    (5, False)
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    diverged: bool


def _check_sweep(start_lr: float, end_lr: float, steps: int, beta: float, diverge: float,
                 where: str) -> None:
    if not 0 < start_lr < end_lr:
        raise ValueError(f"{where}: need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 5:
        raise ValueError(f"{where}: steps must be an integer of at least 5, got {steps!r}")
    if not 0 <= beta < 1:
        raise ValueError(f"{where}: beta must be in [0, 1), got {beta}")
    if not diverge > 1:
        raise ValueError(f"{where}: diverge must be greater than 1 (a factor over the best "
                         f"loss), got {diverge}")


def lr_range_test(step_fn: Callable[[float], float], *, start_lr: float = 1e-7,
                  end_lr: float = 10.0, steps: int = 100, beta: float = 0.9,
                  diverge: float = 4.0) -> LRFinderResult:
    """Call ``step_fn(lr)`` for exponentially growing ``lr`` and suggest a learning rate.

    The sweep behind :func:`lr_find`, for any training step you write yourself.

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
    >>> r = dc.lab.lr_range_test(step, start_lr=1e-4, end_lr=10, steps=50)
    >>> r.diverged, 0.01 < r.suggestion < 1.0
    (True, True)
    """
    _check_sweep(start_lr, end_lr, steps, beta, diverge, "lr_range_test")
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
                          _steepest(lrs[:n], np.asarray(smoothed), beta), diverged)


def _steepest(lrs: np.ndarray, smoothed: np.ndarray, beta: float) -> float:
    """The lr where the smoothed loss falls fastest per unit of log(lr), before the blow-up.

    The first ``1 / (1 - beta)`` steps (the average's memory, at most a third of the way to
    the lowest loss) are skipped: there the average rests on a few noisy batches.
    """
    finite = np.isfinite(smoothed)
    end = int(np.argmin(np.where(finite, smoothed, np.inf))) + 1
    if end < 3:
        return float(lrs[0])
    slope = np.gradient(smoothed[:end], np.log(lrs[:end]))
    skip = min(round(1 / (1 - beta)), end // 3)
    return float(lrs[skip + int(np.argmin(slope[skip:]))])


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
    _check_sweep(start_lr, end_lr, steps, 0.9, 4.0, "lr_find_params")
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
        return lr_range_test(step, start_lr=start_lr, end_lr=end_lr, steps=steps)
    finally:
        for p, s in zip(params, saved):
            np.copyto(p.data, s)
            p.grad = None


def lr_find(model: Model, x: Any, y: Any, *, start_lr: float = 1e-7, end_lr: float = 10.0,
            steps: int = 200, batch_size: int = 32, sample_weight: Any = None,
            beta: float = 0.9, diverge: float = 4.0, seed: int | None = None) -> LRFinderResult:
    """The learning-rate finder for a compiled model: one batch per learning rate, then undone.

    Trains ``model`` with its compiled optimizer and loss (``model.train_on_batch``, the same
    step ``fit`` takes) on ``steps`` batches of ``(x, y)``, reshuffled on every pass, while the
    learning rate grows exponentially from ``start_lr`` to ``end_lr``. The sweep stops once the
    smoothed loss exceeds ``diverge`` × its best value. The model trains in training mode
    (dropout on, batch norm on batch statistics). Afterwards the weights, buffers, the
    optimizer's state and hyperparameters and the training/eval mode are put back exactly, so
    ``fit`` starts from where it would have; only the random generator has moved on.

    Args:
        model: a compiled ``dc.Model`` (e.g. ``dc.Sequential``).
        x: inputs ``(n, ...)``.
        y: targets ``(n, ...)``.
        start_lr: the first learning rate.
        end_lr: the last learning rate.
        steps: how many batches (a few hundred; more than one pass over small data is fine).
        batch_size: samples per batch, as you would give ``fit``.
        sample_weight: one weight per sample ``(n,)``, as in ``fit``.
        beta: smoothing factor of the loss (exponential moving average).
        diverge: the blow-up factor that ends the sweep.
        seed: the batch order (default: drawn from ``dc.seed``'s generator).

    Returns:
        An :class:`LRFinderResult`; draw it with ``dc.viz.plot_lr_find``.

    Raises:
        TypeError: if ``model`` is not a ``dc.Model``.
        RuntimeError: if the model has not been compiled.

    >>> import numpy as np, descend as dc
    >>> dc.seed(0)
    >>> x = np.linspace(-1, 1, 256).reshape(-1, 1); y = 3 * x + 2
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> before = model.get_weights()
    >>> result = dc.lab.lr_find(model, x, y, start_lr=1e-4, end_lr=10, steps=100)
    >>> result.diverged, 0.01 < result.suggestion < 1.0
    (True, True)
    >>> all((a == b).all() for a, b in zip(before, model.get_weights()))
    True
    """
    if not isinstance(model, Model):
        raise TypeError(f"lr_find: model must be a compiled dc.Model such as dc.Sequential, "
                        f"got {type(model).__name__}; for parameters and a loss function use "
                        "dc.lab.lr_find_params")
    if model.optimizer is None:
        raise RuntimeError("lr_find: call model.compile(optimizer=..., loss=...) first, so the "
                           "finder knows which optimizer and loss to use")
    _check_sweep(start_lr, end_lr, steps, beta, diverge, "lr_find")
    batch_size = check_batch_size(batch_size, "lr_find")
    data = Dataset(x, y, sample_weight)
    if data.y is None:
        raise ValueError("lr_find: needs targets y as well as inputs x")
    optimizer = model.optimizer
    if not model.built:
        model.build((None, *data.x.shape[1:]))
    if not optimizer.param_groups:
        optimizer.bind(model.parameters())
    seed = int(backend.rng().integers(2**31)) if seed is None else seed
    stream = _endless_batches(data, batch_size, seed)
    saved_weights, saved_state = model.state_dict(), optimizer.state_dict()
    modes = [(module, module.training) for module in model.modules()]
    model.train()                                   # dropout and batch norm as in fit

    def step(lr: float) -> float:
        for group in optimizer.param_groups:
            group["lr"] = lr
        return model.train_on_batch(*next(stream))["loss"]

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return lr_range_test(step, start_lr=start_lr, end_lr=end_lr, steps=steps,
                                 beta=beta, diverge=diverge)
    finally:
        model.load_state_dict(saved_weights)
        optimizer.load_state_dict(saved_state)
        optimizer.zero_grad()
        for module, mode in modes:
            module.training = mode


def _endless_batches(data: Dataset, batch_size: int, seed: int) -> Iterator[tuple[np.ndarray, ...]]:
    """Shuffled batches of ``data``, epoch after epoch (epoch ``k`` ordered by ``(seed, k)``)."""
    for epoch in itertools.count():
        yield from data.batches(batch_size, shuffle=True, seed=seed, epoch=epoch)
