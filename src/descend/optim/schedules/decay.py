"""Decaying schedules: steps, exponential, inverse-time, polynomial, linear warm-up, lambdas.

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = dc.optim.schedules.InverseTimeDecay(opt, decay_rate=1.0)
>>> for _ in range(3):
...     opt.step(); sched.step()
>>> sched.get_last_lr()                      # 1 / (1 + 3)
[0.25]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable

from descend.optim.optimizer import Optimizer
from descend.optim.schedules.base import (
    LRScheduler,
    current_lrs,
    positive_int,
    positive_number,
)


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` steps (torch's ``StepLR``).

    :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}`.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.StepLR(opt, step_size=10, gamma=0.5)
    >>> for _ in range(10):
    ...     opt.step(); sched.step()
    >>> opt.lr
    0.5
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, *,
                 last_epoch: int = -1) -> None:
        self.step_size = positive_int("StepLR", "step_size", step_size)
        self.gamma = positive_number("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return current_lrs(self.optimizer)
        return [lr * self.gamma for lr in current_lrs(self.optimizer)]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` at each milestone (torch's ``MultiStepLR``).

    :math:`\eta_t = \eta_0\, \gamma^{\#\{\text{milestones} \le t\}}`.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    >>> [(opt.step(), sched.step(), round(opt.lr, 6))[2] for _ in range(5)]
    [1.0, 0.1, 0.1, 0.01, 0.01]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, *,
                 last_epoch: int = -1) -> None:
        self.milestones = sorted(positive_int("MultiStepLR", "milestones[i]", m)
                                 for m in milestones)
        self.gamma = positive_number("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return current_lrs(self.optimizer)
        return [lr * self.gamma**hits for lr in current_lrs(self.optimizer)]

    def _closed_form_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every step (torch's ``ExponentialLR``).

    :math:`\eta_t = \eta_0\, \gamma^t`.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); sched.step(); opt.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float, *, last_epoch: int = -1) -> None:
        self.gamma = positive_number("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        if self._initial:
            return current_lrs(self.optimizer)
        return [lr * self.gamma for lr in current_lrs(self.optimizer)]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class InverseTimeDecay(LRScheduler):
    r"""The classic decaying learning rate :math:`\eta_t = \eta_0 / (1 + d\, t / s)`.

    ``d`` is ``decay_rate`` and ``s`` is ``decay_steps``; with ``staircase=True`` the ratio
    :math:`t / s` is rounded down, so the rate drops every ``decay_steps`` steps (Keras's
    ``InverseTimeDecay``; a step size of order :math:`1/t` satisfies the Robbins-Monro
    conditions, Robbins & Monro 1951, "A stochastic approximation method").

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = dc.optim.schedules.InverseTimeDecay(opt, decay_rate=0.5)
    >>> opt.step(); sched.step(); opt.step(); sched.step(); opt.lr   # 0.1 / (1 + 0.5 · 2)
    0.05
    """

    def __init__(self, optimizer: Optimizer, decay_rate: float, decay_steps: int = 1, *,
                 staircase: bool = False, last_epoch: int = -1) -> None:
        if isinstance(decay_rate, bool) or not isinstance(decay_rate, int | float) \
                or not decay_rate >= 0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be a number >= 0, got "
                             f"{decay_rate!r}")
        self.decay_rate = float(decay_rate)
        self.decay_steps = positive_int("InverseTimeDecay", "decay_steps", decay_steps)
        self.staircase = bool(staircase)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        t = self.last_epoch / self.decay_steps
        if self.staircase:
            t = math.floor(t)
        return [base / (1 + self.decay_rate * t) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay to zero over ``total_iters`` steps as a power (torch's ``PolynomialLR``).

    :math:`\eta_t = \eta_0\, (1 - \min(t, T) / T)^p` with :math:`T` = ``total_iters`` and
    :math:`p` = ``power``; ``power=1`` is a straight line down.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.PolynomialLR(opt, total_iters=4, power=1.0)
    >>> [(opt.step(), sched.step(), opt.lr)[2] for _ in range(5)]
    [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, *,
                 last_epoch: int = -1) -> None:
        self.total_iters = positive_int("PolynomialLR", "total_iters", total_iters)
        self.power = positive_number("PolynomialLR", "power", power)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        if self._initial or self.last_epoch > self.total_iters:
            return current_lrs(self.optimizer)
        t, total = self.last_epoch, self.total_iters
        factor = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * factor for lr in current_lrs(self.optimizer)]

    def _closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left**self.power for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Warm-up: scale the learning rate linearly from ``start_factor`` to ``end_factor``.

    :math:`\eta_t = \eta_0\, (f_0 + (f_1 - f_0) \min(t, T) / T)` over ``total_iters`` = T
    steps, then constant (torch's ``LinearLR``; Goyal et al. 2017, "Accurate, large minibatch
    SGD: training ImageNet in 1 hour", for the gradual warm-up).

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> [opt.lr] + [(opt.step(), sched.step(), opt.lr)[2] for _ in range(4)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, *,
                 last_epoch: int = -1) -> None:
        if isinstance(start_factor, bool) or not isinstance(start_factor, int | float) \
                or not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if isinstance(end_factor, bool) or not isinstance(end_factor, int | float) \
                or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        lrs = current_lrs(self.optimizer)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._initial or self.last_epoch > self.total_iters:
            return lrs
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor
                                 + (self.last_epoch - 1) * change)
        return [lr * factor for lr in lrs]

    def _closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * done)
                for base in self.base_lrs]


class LambdaLR(LRScheduler):
    r"""The learning rate is ``initial_lr · lr_lambda(t)`` (torch's ``LambdaLR``).

    Args:
        optimizer: the optimizer to schedule.
        lr_lambda: a function of the step count ``t``, or one function per parameter group.
            Functions are not saved by :meth:`state_dict`; pass the same ones when resuming.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.LambdaLR(opt, lambda t: 0.5 ** t)
    >>> opt.step(); sched.step(); opt.lr
    0.5
    """

    _unsaved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | list[Callable[[int], float]], *,
                 last_epoch: int = -1) -> None:
        count = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * count
        if len(lambdas) != count:
            raise ValueError(f"LambdaLR: expected one lr_lambda per parameter group ({count}), "
                             f"got {len(lambdas)}")
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the step count, "
                                f"got {type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]
