"""``LRScheduler``: the base of every learning-rate schedule (torch's protocol and values).

A schedule owns an optimizer and rewrites ``group["lr"]`` of each of its parameter groups once
per :meth:`LRScheduler.step` (call it after ``optimizer.step()``, once per epoch or per batch
as the schedule intends). Constructing a schedule sets each group's ``initial_lr`` (kept in the
group, as torch does) and applies the schedule's value for step 0. The formulas are torch's
own recurrences, so descend's learning rates equal torch.optim.lr_scheduler's step for step,
also when schedules are chained or sequenced.

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = dc.optim.schedules.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
>>> lrs
[1.0, 0.5, 0.5, 0.25, 0.25]
"""

from __future__ import annotations

from typing import Any

from descend import tracing
from descend.optim.optimizer import Optimizer


def positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` if it is an integer >= 1, else a ``ValueError`` naming ``owner`` and ``name``.

    >>> positive_int("StepLR", "step_size", 0)
    Traceback (most recent call last):
    ...
    ValueError: StepLR: step_size must be a whole number >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a whole number >= 1, got {value!r}")
    return value


def positive_number(owner: str, name: str, value: Any) -> float:
    """``value`` as a float if it is a number > 0, else a ``ValueError``.

    >>> positive_number("ExponentialLR", "gamma", 1)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")
    return float(value)


def current_lrs(optimizer: Optimizer) -> list[float]:
    """The learning rate of each parameter group, in order.

    >>> import descend as dc
    >>> current_lrs(dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.5))
    [0.5]
    """
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: subclasses give the next learning rates in :meth:`_compute_lr`.

    Attributes:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` the schedule sets.
        base_lrs: each group's ``initial_lr``.
        last_epoch: how many times :meth:`step` has run (0 right after construction).

    >>> import descend as dc
    >>> class Halve(dc.optim.schedules.LRScheduler):
    ...     def _compute_lr(self):
    ...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = Halve(opt); sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    _unsaved: tuple[str, ...] = ("optimizer",)
    _initial = False
    """True while the constructor applies the value of step 0 (:meth:`_initial_step`)."""

    def __init__(self, optimizer: Optimizer, *, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a descend optimizer, got "
                            f"{type(optimizer).__name__}")
        if not optimizer.param_groups:
            raise ValueError(f"{name}: the optimizer has no parameters yet; make the schedule "
                             "after giving them (optimizer.bind(params) or model.compile)")
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"{name}: resuming with last_epoch={last_epoch} needs "
                                 f"param_groups[{i}]['initial_lr'], which is missing; load the "
                                 "optimizer's state_dict first")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Apply the value for step 0 (also used by :class:`SequentialLR` to restart one)."""
        self._step_count = 0
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False

    def step(self) -> None:
        """Move the schedule one step on and write the new learning rates into the groups.

        Called inside a compiled step (``dc.jit``), it is replayed as a call, so a schedule
        stepped once per batch in the step moves on at every batch (see :meth:`_replayed`).

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = dc.optim.schedules.ExponentialLR(opt, gamma=0.1)
        >>> sched.step(); opt.param_groups[0]["lr"]
        0.1
        """
        if self._replayed():
            return
        self._step_count += 1
        self._update_lr()

    def _replayed(self) -> bool:
        """Whether ``dc.jit`` is tracing a step that calls :meth:`step`: the tracer then makes
        the call and records it, and each replay makes it again. (A replay runs array
        operations only: Python code it did not record, such as this arithmetic on the
        learning rates, would run at the trace alone.)"""
        if tracing.active is None or self._initial:
            return False
        tracing.active.live_call(self.step, (), f"{type(self).__name__}.step()")
        return True

    def _update_lr(self, epoch: int | None = None) -> None:
        """Step on (``epoch`` None) or jump to ``epoch`` with the closed form."""
        if epoch is None:
            self.last_epoch += 1
            values = self._compute_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = current_lrs(self.optimizer)

    def _compute_lr(self) -> list[float]:
        """The learning rates for ``last_epoch`` (which ``step`` has just advanced)."""
        raise NotImplementedError

    def _closed_form_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` from ``base_lrs`` (default: the recurrence)."""
        return self._compute_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the latest step.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.3)
        >>> dc.optim.schedules.StepLR(opt, step_size=2).get_last_lr()
        [0.3]

        Inside a compiled step (``dc.jit``) each rate is read anew on every replay (a
        recorded call per group), so a step may return them: each call returns its own.
        """
        if tracing.active is None:
            return list(self._last_lr)
        return [tracing.on_host(self.last_lr_of, group) for group in range(len(self._last_lr))]

    def last_lr_of(self, group: int) -> float:
        """The learning rate of parameter group ``group`` after the latest step.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.3)
        >>> dc.optim.schedules.StepLR(opt, step_size=2).last_lr_of(0)
        0.3
        """
        return self._last_lr[group]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and settings as plain data (JSON-ready); no optimizer.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.3)
        >>> state = dc.optim.schedules.StepLR(opt, step_size=2).state_dict()
        >>> state["step_size"], state["last_epoch"], state["base_lrs"]
        (2, 0, [0.3])
        """
        return {key: _copy(value) for key, value in vars(self).items()
                if key not in self._unsaved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` (of a schedule of the same kind).

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = dc.optim.schedules.StepLR(opt, step_size=2)
        >>> sched.load_state_dict({"last_epoch": 5}); sched.step(); sched.last_epoch
        6
        """
        for key, value in state_dict.items():
            if key not in self._unsaved:
                setattr(self, key, _copy(value))

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                             if not k.startswith("_") and k not in ("optimizer", "base_lrs"))
        return f"{type(self).__name__}({settings})"


def _copy(value: Any) -> Any:
    """Lists and dicts copied one level down, so a saved state does not change afterwards."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
