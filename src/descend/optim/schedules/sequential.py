"""``SequentialLR``: run schedules one after another (warm-up, then decay).

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> S = dc.optim.schedules
>>> sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.5, total_iters=2),
...                              S.ExponentialLR(opt, gamma=0.5)], milestones=[2])
>>> [opt.lr] + [(opt.step(), sched.step(), opt.lr)[2] for _ in range(4)]
[0.5, 0.75, 1.0, 0.5, 0.25]
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from descend.optim.optimizer import Optimizer
from descend.optim.schedules.base import LRScheduler, positive_int
from descend.optim.schedules.plateau import ReduceLROnPlateau


class SequentialLR(LRScheduler):
    """Hand the learning rate from one schedule to the next at each milestone (torch's).

    Args:
        optimizer: the optimizer every schedule in ``schedulers`` was made for.
        schedulers: the schedules, in the order they run.
        milestones: the steps at which the next schedule takes over (one fewer than
            schedules); each new schedule starts from its own step 0.

    >>> import descend as dc
    >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
    >>> S = dc.optim.schedules
    >>> sched = S.SequentialLR(opt, [S.ExponentialLR(opt, gamma=0.5),
    ...                              S.StepLR(opt, step_size=5)], milestones=[1])
    >>> sched.get_last_lr()
    [1.0]
    """

    _unsaved = ("optimizer", "_schedulers")

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], *, last_epoch: int = -1) -> None:
        name = "SequentialLR"
        if not schedulers:
            raise ValueError(f"{name}: expected at least one schedule, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, ReduceLROnPlateau):
                raise TypeError(f"{name}: schedulers[{i}] must be a step-driven schedule, got "
                                f"{type(scheduler).__name__} (ReduceLROnPlateau cannot be "
                                "sequenced: its step needs the metric)")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] belongs to a different optimizer; "
                                 "make every schedule for the optimizer given here")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name}: expected {len(schedulers) - 1} milestone(s) for "
                             f"{len(schedulers)} schedules, got {len(milestones)}")
        self._milestones = [positive_int(name, "milestones[i]", m) for m in milestones]
        self._schedulers = list(schedulers)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            _rewind(scheduler)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Step the schedule whose turn it is (starting it afresh at its milestone).

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = dc.optim.schedules
        >>> sched = S.SequentialLR(opt, [S.ExponentialLR(opt, gamma=0.5),
        ...                              S.ExponentialLR(opt, gamma=0.1)], milestones=[2])
        >>> [(sched.step(), opt.lr)[1] for _ in range(3)]
        [0.5, 1.0, 0.1]
        """
        if self._replayed():
            return
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """This schedule's position and each inner schedule's state dict.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = dc.optim.schedules
        >>> sched = S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[])
        >>> [s["step_size"] for s in sched.state_dict()["_schedulers"]]
        [2]
        """
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`, inner schedules included.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = dc.optim.schedules
        >>> first = S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[]); first.step()
        >>> second = S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[])
        >>> second.load_state_dict(first.state_dict()); second.last_epoch
        1
        """
        super().load_state_dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(saved)


def _rewind(scheduler: LRScheduler) -> None:
    """Undo the construction-time step of ``scheduler`` (and of schedules nested in it)."""
    inner = getattr(scheduler, "_schedulers", None)
    if inner is None:
        scheduler.last_epoch -= 1
        return
    for nested in inner:
        _rewind(nested)
