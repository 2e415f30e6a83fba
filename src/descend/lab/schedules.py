"""Decaying learning rates in races: a schedule from text such as ``"exponential:0.95"``.

Any ``dc.optim.schedules`` schedule can drive a racer: give :func:`~descend.lab.races.race` a
factory (``lambda opt: dc.optim.schedules.StepLR(opt, 20, 0.5)``) or one of these names with
its numbers after a colon, as ``descend lab --schedule`` does. The text is parsed strictly:
a known name, then exactly the numbers it takes (whole numbers where the schedule counts
steps), all finite; nothing is evaluated.

>>> import descend as dc
>>> make = parse_schedule("exponential:0.5")
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=1.0)
>>> schedule = make(opt); opt.step(); schedule.step(); opt.lr
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from descend.names import lookup
from descend.optim import schedules

ScheduleFactory = Callable[[Any], Any]
"""Builds a schedule for an optimizer (``lambda opt: ExponentialLR(opt, 0.95)``)."""

SCHEDULES: dict[str, tuple[type, tuple[tuple[str, type], ...], int]] = {
    "exponential": (schedules.ExponentialLR, (("gamma", float),), 1),
    "step": (schedules.StepLR, (("step_size", int), ("gamma", float)), 1),
    "inverse_time": (schedules.InverseTimeDecay, (("decay_rate", float),
                                                  ("decay_steps", int)), 1),
    "cosine": (schedules.CosineAnnealingLR, (("T_max", int), ("eta_min", float)), 1),
    "polynomial": (schedules.PolynomialLR, (("total_iters", int), ("power", float)), 1),
    "plateau": (schedules.ReduceLROnPlateau, (("factor", float), ("patience", int)), 0),
}
"""``name -> (schedule class, its numeric arguments in order, how many are required)``."""

WHERE = "schedule"


def usage() -> str:
    """Every schedule name with the numbers it takes (optional ones in brackets).

    >>> print(usage().splitlines()[0])
    exponential:gamma
    """
    lines = []
    for name, (_, args, required) in SCHEDULES.items():
        names = [a for a, _ in args[:required]] + [f"[{a}]" for a, _ in args[required:]]
        lines.append(f"{name}:{','.join(names)}")
    return "\n".join(lines)


def _number(text: str, kind: type, name: str, spec: str) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        what = "a whole number" if kind is int else "a finite number"
        raise ValueError(f"{WHERE} {spec!r}: {name} must be {what}, got {text.strip()!r}")
    return value


def parse_schedule(spec: str) -> ScheduleFactory:
    """A schedule factory from ``"name"`` or ``"name:number,number"`` (see :data:`SCHEDULES`).

    Raises:
        ValueError: for an unknown name, a missing or extra number, or one that is not a
            (whole, where steps are counted) finite number. The schedule's own checks
            (``gamma`` must be positive, ...) run when it is built.

    >>> parse_schedule("step:20,0.5").__name__
    'StepLR(step_size=20, gamma=0.5)'
    >>> parse_schedule("exponential:0.9,2")
    Traceback (most recent call last):
    ...
    ValueError: schedule 'exponential:0.9,2': exponential takes 1 number (exponential:gamma), got 2
    >>> parse_schedule("step:2.5")
    Traceback (most recent call last):
    ...
    ValueError: schedule 'step:2.5': step_size must be a whole number, got '2.5'
    """
    if not isinstance(spec, str):
        raise TypeError(f"{WHERE}: expected text such as 'exponential:0.95', got "
                        f"{type(spec).__name__}")
    name, _, numbers = spec.partition(":")
    cls, args, required = lookup(WHERE, "schedule", name, SCHEDULES)
    key = name.strip().lower()
    texts = numbers.split(",") if numbers.strip() else []
    if not required <= len(texts) <= len(args):
        count = str(required) if required == len(args) else f"{required} to {len(args)}"
        form = next(line for line in usage().splitlines() if line.startswith(key + ":"))
        raise ValueError(f"{WHERE} {spec!r}: {key} takes {count} number"
                         f"{'' if count == '1' else 's'} ({form}), got {len(texts)}")
    options = {a: _number(t, kind, a, spec) for (a, kind), t in zip(args, texts)}

    def factory(optimizer: Any) -> Any:
        return cls(optimizer, **options)

    factory.__name__ = f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in options.items())})"
    return factory


def schedule_factory(schedule: str | ScheduleFactory | None) -> ScheduleFactory | None:
    """``None``, a factory as given, or :func:`parse_schedule` of the text.

    >>> schedule_factory(None) is None, callable(schedule_factory("cosine:50"))
    (True, True)
    """
    if schedule is None or callable(schedule):
        return schedule
    return parse_schedule(schedule)


def step_schedule(schedule: Any, loss: float) -> None:
    """Move ``schedule`` on by one step (``ReduceLROnPlateau`` is given the loss)."""
    if isinstance(schedule, schedules.ReduceLROnPlateau):
        schedule.step(loss)
    else:
        schedule.step()
