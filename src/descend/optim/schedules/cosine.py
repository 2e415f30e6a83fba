"""Cosine schedules: annealing, annealing with warm restarts, and the one-cycle policy.

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = dc.optim.schedules.CosineAnnealingLR(opt, T_max=2)
>>> [round((opt.step(), sched.step(), opt.lr)[2], 6) for _ in range(2)]
[0.5, 0.0]
"""

from __future__ import annotations

import math
from typing import Any, Literal

from descend.optim.optimizer import Optimizer
from descend.optim.schedules.base import LRScheduler, current_lrs, positive_int


def _cosine(base: float, eta_min: float, t: float, period: float) -> float:
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    r"""Follow half a cosine from the initial learning rate down to ``eta_min`` over ``T_max``.

    :math:`\eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos(\pi t / T_{max}))`
    (Loshchilov & Hutter 2017, "SGDR: stochastic gradient descent with warm restarts", ICLR),
    computed with torch's recurrence, so past ``T_max`` it climbs back up as torch's does.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    >>> for _ in range(2):
    ...     opt.step(); sched.step()
    >>> round(opt.lr, 6)                     # halfway: (1 + 0.1) / 2
    0.55
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, *,
                 last_epoch: int = -1) -> None:
        self.T_max = positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = float(eta_min)
        super().__init__(optimizer, last_epoch=last_epoch)

    def _compute_lr(self) -> list[float]:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return current_lrs(self.optimizer)
        if (t - 1 - period) % (2 * period) == 0:
            return [lr + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base in zip(current_lrs(self.optimizer), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - low) + low for lr in current_lrs(self.optimizer)]

    def _closed_form_lr(self) -> list[float]:
        return [_cosine(base, self.eta_min, self.last_epoch, self.T_max)
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing that restarts from the initial rate every cycle (SGDR).

    The first cycle lasts ``T_0`` steps, each next one ``T_mult`` times longer; within a cycle
    :math:`\eta = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur} / T_i))`
    (Loshchilov & Hutter 2017, "SGDR: stochastic gradient descent with warm restarts", ICLR;
    torch's ``CosineAnnealingWarmRestarts``).

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dc.optim.schedules.CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> [round((opt.step(), sched.step(), opt.lr)[2], 6) for _ in range(4)]
    [0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 *, last_epoch: int = -1) -> None:
        self.T_0 = positive_int("CosineAnnealingWarmRestarts", "T_0", T_0)
        self.T_i = self.T_0
        self.T_mult = positive_int("CosineAnnealingWarmRestarts", "T_mult", T_mult)
        self.eta_min = float(eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch=last_epoch)

    def step(self) -> None:
        """Move one step along the current cycle, restarting when it ends.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = dc.optim.schedules.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        >>> for _ in range(3):
        ...     sched.step()
        >>> sched.T_cur, sched.T_i, opt.lr       # restarted: a cycle twice as long
        (0, 6, 1.0)
        """
        if self._replayed():
            return
        self._step_count += 1
        if self.last_epoch < 0:
            self.T_cur, self.T_i = 0, self.T_0
        else:
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        self._update_lr(self.last_epoch + 1)

    def _compute_lr(self) -> list[float]:
        return [_cosine(base, self.eta_min, self.T_cur, self.T_i) for base in self.base_lrs]


def _total_steps(name: str, total_steps: int | None, epochs: int | None,
                 steps_per_epoch: int | None) -> int:
    """``total_steps``, or ``epochs · steps_per_epoch`` when it is not given."""
    if total_steps is not None:
        return positive_int(name, "total_steps", total_steps)
    if epochs is None or steps_per_epoch is None:
        raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
    return positive_int(name, "epochs", epochs) * positive_int(name, "steps_per_epoch",
                                                                steps_per_epoch)


class OneCycleLR(LRScheduler):
    r"""The one-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    The learning rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then falls to ``max_lr / (div_factor ·
    final_div_factor)``; momentum (or Adam's :math:`\beta_1`) moves the opposite way between
    ``max_momentum`` and ``base_momentum`` (Smith & Topin 2019, "Super-convergence: very fast
    training of neural networks using large learning rates"; torch's ``OneCycleLR``). Step it
    once per batch; stepping past ``total_steps`` is an error.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = dc.optim.schedules.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> opt.lr, opt.param_groups[0]["momentum"]
    (0.04, 0.95)
    """

    def __init__(  # noqa: PLR0913 - torch OneCycleLR's arguments, in its order
            self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, *,
                 last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a descend optimizer, got "
                            f"{type(optimizer).__name__}")
        self.total_steps = _total_steps(name, total_steps, epochs, steps_per_epoch)
        if isinstance(pct_start, bool) or not isinstance(pct_start, int | float) \
                or not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: pct_start must be a fraction in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.phases = self._phases(float(pct_start), three_phase)
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group(name, "max_lr", max_lr, groups)):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum "
                                 f"or betas; {type(optimizer).__name__} has neither (pass "
                                 "cycle_momentum=False)")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                tops = _per_group(name, "max_momentum", max_momentum, groups)
                bottoms = _per_group(name, "base_momentum", base_momentum, groups)
                for group, top, bottom in zip(groups, tops, bottoms):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, bottom
        super().__init__(optimizer, last_epoch=last_epoch)

    def _phases(self, pct_start: float, three_phase: bool) -> list[dict[str, Any]]:
        """Each phase: the step it ends at and the group keys it goes from and to."""
        up = {"end_step": pct_start * self.total_steps - 1, "start_lr": "initial_lr",
              "end_lr": "max_lr", "start_momentum": "max_momentum",
              "end_momentum": "base_momentum"}
        if not three_phase:
            return [up, {"end_step": self.total_steps - 1, "start_lr": "max_lr",
                         "end_lr": "min_lr", "start_momentum": "base_momentum",
                         "end_momentum": "max_momentum"}]
        return [up,
                {"end_step": 2 * pct_start * self.total_steps - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr",
                 "end_lr": "min_lr", "start_momentum": "max_momentum",
                 "end_momentum": "max_momentum"}]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _compute_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, but total_steps is "
                             f"{self.total_steps}; make the schedule with the number of "
                             "batches you train for")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self.phases):
                end_step = phase["end_step"]
                if t <= end_step or i == len(self.phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]],
                                            pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct))
                    break
                start_step = end_step
        return lrs


def _per_group(owner: str, name: str, value: Any, groups: list[dict[str, Any]]) -> list[float]:
    """``value`` once per parameter group: a list of that length, or one number repeated."""
    if isinstance(value, list | tuple):
        if len(value) != len(groups):
            raise ValueError(f"{owner}: {name} has {len(value)} values but the optimizer has "
                             f"{len(groups)} parameter groups")
        return [float(v) for v in value]
    return [float(value)] * len(groups)
