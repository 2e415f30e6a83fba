"""``ReduceLROnPlateau``: lower the learning rate when a watched metric stops improving.

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = dc.optim.schedules.ReduceLROnPlateau(opt, factor=0.5, patience=1)
>>> for val_loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
...     sched.step(val_loss)
>>> sched.get_last_lr()                  # two bad epochs in a row, twice
[0.25]
"""

from __future__ import annotations

import math
from typing import Literal, SupportsFloat

from descend import tracing
from descend.optim.optimizer import Optimizer
from descend.optim.schedules.base import LRScheduler, current_lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` after ``patience`` steps without improvement.

    As torch's ``ReduceLROnPlateau``: feed it the metric each epoch with ``step(metric)``. A
    value improves on the best so far when it is lower (``mode="min"``) or higher
    (``"max"``) by more than ``threshold`` (relative, or absolute with
    ``threshold_mode="abs"``). After a reduction, ``cooldown`` steps pass before counting
    again; no group goes below its ``min_lr``, and changes smaller than ``eps`` are skipped.

    Args:
        optimizer: the optimizer to schedule.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        factor: the multiplier, in [0, 1).
        patience: how many steps without improvement are tolerated.
        threshold: how much better counts as better.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: steps to wait after a reduction.
        min_lr: the floor, one number or one per parameter group (a list must be extended
            by hand, in ``min_lrs``, when groups are added).
        eps: the smallest change worth making.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = dc.optim.schedules.ReduceLROnPlateau(opt, mode="max", patience=0)
    >>> sched.step(0.9); sched.step(0.8); round(opt.lr, 6)
    0.01
    """

    def __init__(  # noqa: PLR0913 - torch ReduceLROnPlateau's arguments, in its order
            self, optimizer: Optimizer, mode: Literal["min", "max"] = "min",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: Literal["rel", "abs"] = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a descend optimizer, got "
                            f"{type(optimizer).__name__}")
        if isinstance(factor, bool) or not isinstance(factor, int | float) \
                or not 0 <= factor < 1:
            raise ValueError(f"{name}: factor must be in [0, 1), got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        for key, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {key} must be a whole number >= 0, got {value!r}")
        groups = optimizer.param_groups
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(groups):
                raise ValueError(f"{name}: min_lr has {len(min_lr)} values but the optimizer "
                                 f"has {len(groups)} parameter groups")
            self.default_min_lr = None
            self.min_lrs = [float(v) for v in min_lr]
        else:
            self.default_min_lr = float(min_lr)
            self.min_lrs = [float(min_lr)] * len(groups)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, float(factor), patience
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.eps = cooldown, float(eps)
        self.last_epoch = 0
        self._last_lr = current_lrs(optimizer)
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record this step's metric and lower the learning rates if it has stalled.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = dc.optim.schedules.ReduceLROnPlateau(opt, patience=0)
        >>> sched.step(1.0); sched.step(1.0); sched.best, sched.get_last_lr()
        (1.0, [0.1])
        """
        if tracing.active is not None:  # the metric is a value each call reads anew
            tracing.active.refuse(f"{type(self).__name__}.step(metrics) reads its metric")
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = current_lrs(self.optimizer)

    def _is_better(self, value: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1.0 - threshold) if self.threshold_mode == "rel"
                            else best - threshold)
        return value > (best * (threshold + 1.0) if self.threshold_mode == "rel"
                        else best + threshold)

    def _reduce(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups) and self.default_min_lr is not None:
            self.min_lrs = [self.default_min_lr] * len(groups)
        if len(self.min_lrs) != len(groups):
            raise RuntimeError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} "
                               f"parameter groups but min_lrs has {len(self.min_lrs)}; set "
                               "scheduler.min_lrs to one floor per group")
        for group, floor in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new
