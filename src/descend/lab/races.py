"""Races and sweeps: run the library's own optimizers side by side on a toy problem.

Each runner is a real ``dc.optim`` optimizer stepping two real parameters, so a race shows
exactly what training with descend does. A :class:`Race` maps each runner's name to its
:class:`Trajectory` (parameters and loss at every step, steps to reach the tolerance, whether it
diverged). Beside the optimizers, ``"random"`` races random search with the same budget of loss
evaluations, and a ``schedule`` decays every optimizer's learning rate as it goes.

>>> import descend as dc
>>> r = dc.lab.race("sigmoid", ["gd", "momentum"], steps=50)
>>> [round(t.final_loss, 3) for t in r.values()]      # the plateau, and momentum past it
[0.407, 0.016]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from descend.lab.problems import Problem, get_problem
from descend.lab.schedules import ScheduleFactory, schedule_factory, step_schedule
from descend.lab.search import LABEL as RANDOM_LABEL
from descend.lab.search import random_search
from descend.lab.trajectory import Trajectory, blew_up
from descend.names import lookup
from descend.tensors import Tensor

OptimizerFactory = Callable[[list[Tensor]], Any]
"""Something that builds an optimizer for a list of parameters (``lambda p: SGD(p, lr=1)``)."""

PRESETS: dict[str, tuple[str, str, dict[str, Any], bool]] = {
    "gd": ("GD", "SGD", {}, False),
    "momentum": ("Momentum", "SGD", {"momentum": 0.9}, False),
    "nag": ("NAG", "SGD", {"momentum": 0.9, "nesterov": True}, False),
    "adagrad": ("Adagrad", "Adagrad", {}, True),
    "rmsprop": ("RMSProp", "RMSprop", {}, True),
    "adam": ("Adam", "Adam", {}, True),
    "adamw": ("AdamW", "AdamW", {}, True),
    "adamax": ("Adamax", "Adamax", {}, True),
    "nadam": ("Nadam", "NAdam", {}, True),
    "radam": ("RAdam", "RAdam", {}, True),
    "adadelta": ("Adadelta", "Adadelta", {"lr": 1.0}, True),
    "lion": ("Lion", "Lion", {}, True),
}
"""Named optimizer settings: ``name -> (label, dc.optim class, options, adaptive)``.

``gd``/``momentum``/``nag`` use the problem's ``lr``; the adaptive ones its ``adaptive_lr``
(Adadelta keeps torch's default ``lr=1``); momentum and NAG use γ = 0.9.
"""

RANDOM = "random"
"""The preset name of random search (:func:`~descend.lab.search.random_search`), no optimizer."""

DEFAULT_RACE = ("gd", "momentum", "nag", "adagrad", "rmsprop", "adam")
"""The runners of a race when none are named."""


def preset(name: str, problem: Problem | str = "sigmoid", *, lr: float | None = None
           ) -> OptimizerFactory:
    """A factory for the named optimizer setting (see :data:`PRESETS`), tuned to ``problem``.

    Args:
        name: ``"gd"``, ``"momentum"``, ``"nag"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ...
        problem: the problem whose learning rates to use.
        lr: use this learning rate instead.

    >>> import descend as dc
    >>> opt = dc.lab.preset("momentum")([dc.tensor(0.0, requires_grad=True)])
    >>> type(opt).__name__, opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
    ('SGD', 1.0, 0.9)
    """
    from descend import optim

    _, class_name, options, adaptive = _preset(name)
    problem = get_problem(problem)
    settings = {"lr": problem.adaptive_lr if adaptive else problem.lr, **options}
    if lr is not None:
        settings["lr"] = lr
    cls = getattr(optim, class_name)
    return lambda params: cls(params, **settings)


class Race(dict[str, Trajectory]):
    """The trajectories of a race by runner name, with the problem they ran on.

    Attributes:
        problem: the :class:`~descend.lab.problems.Problem`.
        steps: the number of steps asked for.

    >>> import descend as dc
    >>> r = dc.lab.race("quadratic", ["gd", "adam"], steps=5)
    >>> list(r), r.steps, type(r.problem).__name__
    (['GD', 'Adam'], 5, 'Quadratic')
    """

    def __init__(self, problem: Problem, steps: int, trajectories: Iterable[Trajectory]) -> None:
        super().__init__((t.name, t) for t in trajectories)
        self.problem = problem
        self.steps = steps

    @property
    def best(self) -> Trajectory:
        """The runner that ended with the lowest loss (diverged runs last).

        >>> import descend as dc
        >>> dc.lab.race("sigmoid", ["gd", "momentum"], steps=50).best.name
        'Momentum'
        """
        if not self:
            raise ValueError("Race.best: the race has no runners")
        return min(self.values(), key=lambda t: (t.diverged, t.final_loss))

    def summary(self) -> str:
        """A table: final loss, steps to the tolerance and divergence for every runner.

        >>> import descend as dc
        >>> print(dc.lab.race("quadratic", ["gd"], steps=40).summary())
        optimizer   final loss   steps to loss-min <= 0.001
        GD          0.0001469    34
        """
        tol = next(iter(self.values())).tol if self else self.problem.tol
        head = f"steps to loss-min <= {tol:g}"
        width = max([9, *(len(k) for k in self)])
        lines = [f"{'optimizer':<{width}}   final loss   {head}"]
        for name, t in self.items():
            hit = "diverged" if t.diverged else (t.steps_to_tol or "not reached")
            lines.append(f"{name:<{width}}   {t.final_loss:<10.4g}   {hit}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Race({self.problem!r}, steps={self.steps}, runners={list(self)})"


def run(problem: Problem | str, make_optimizer: OptimizerFactory, *, name: str = "run",
        steps: int | None = None, start: Sequence[float] | None = None,
        tol: float | None = None, schedule: str | ScheduleFactory | None = None
        ) -> Trajectory:
    """Run one optimizer on ``problem`` from ``start`` for ``steps`` steps.

    Args:
        problem: a :class:`Problem` or its short name.
        make_optimizer: builds the optimizer from the list of the two parameter tensors.
        name: the label of the run.
        steps: how many optimizer steps (default: the problem's).
        start: the starting ``(a, b)`` (default: the problem's).
        tol: the tolerance for ``steps_to_tol`` (default: the problem's).
        schedule: a learning-rate schedule stepped after every optimizer step: text such as
            ``"exponential:0.95"`` (see :mod:`descend.lab.schedules`) or a factory building
            any ``dc.optim.schedules`` schedule from the optimizer. The rates used are kept
            in the trajectory's ``lrs``.

    >>> import descend as dc
    >>> from descend import optim
    >>> t = dc.lab.run("quadratic", lambda p: optim.SGD(p, lr=0.1), steps=3)
    >>> t.params.shape, t.losses.shape, t.diverged
    ((4, 2), (4,), False)
    >>> dc.lab.run("quadratic", lambda p: optim.SGD(p, lr=0.1), steps=3,
    ...            schedule="exponential:0.5").lrs.tolist()
    [0.1, 0.05, 0.025]
    """
    problem = get_problem(problem)
    steps = problem.steps if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"lab: steps must be a non-negative integer, got {steps!r}")
    start = problem.start if start is None else tuple(start)
    if len(start) != 2:
        raise ValueError(f"lab: start must be two numbers (a, b), got {start!r}")
    a, b = (Tensor([float(v)], dtype=np.float64, requires_grad=True, name=n)
            for v, n in zip(start, problem.param_names))
    optimizer = make_optimizer([a, b])
    make_schedule = schedule_factory(schedule)
    scheduler = None if make_schedule is None else make_schedule(optimizer)
    params, losses, lrs = [], [], []
    diverged = False
    for _ in range(steps + 1):
        loss = problem.loss(a, b)
        params.append((a.item(), b.item()))
        losses.append(loss.item())
        if blew_up(losses, problem.min_loss):
            diverged = True
            break
        if len(losses) > steps:
            break
        optimizer.zero_grad()
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler is not None:
            step_schedule(scheduler, losses[-1])
    tol = problem.tol if tol is None else tol
    return Trajectory(name, np.asarray(params), np.asarray(losses), diverged, tol,
                      problem.min_loss, optimizer,
                      None if scheduler is None else np.asarray(lrs, dtype=np.float64))


def race(
    problem: Problem | str = "sigmoid",
    optimizers: Sequence[str] | Mapping[str, str | OptimizerFactory] = DEFAULT_RACE,
    *,
    steps: int | None = None,
    start: Sequence[float] | None = None,
    tol: float | None = None,
    lr: float | None = None,
    schedule: str | ScheduleFactory | None = None,
    seed: int = 0,
) -> Race:
    """Run several optimizers on one problem from the same start.

    Args:
        problem: a :class:`Problem` or its short name (``"sigmoid"``, ``"rosenbrock"``, ...).
        optimizers: preset names (``["gd", "momentum", "adam"]``, see :data:`PRESETS`), or a
            mapping from label to a preset name or to a factory building a ``dc.optim``
            optimizer from the parameter list, e.g.
            ``{"GD": lambda p: dc.optim.SGD(p, lr=1.0)}``.
        steps: optimizer steps per runner (default: the problem's).
        start: the common starting point (default: the problem's).
        tol: the tolerance for each trajectory's ``steps_to_tol``.
        lr: a learning rate for every preset runner instead of the problem's.
        schedule: a learning-rate schedule for every optimizer (see :func:`run`); random
            search has no learning rate and ignores it.
        seed: the seed of random search's guesses.

    Returns:
        A :class:`Race`: label -> :class:`Trajectory`.

    ``"random"`` runs :func:`~descend.lab.search.random_search`, evaluating the loss as many
    times as gradient descent does:

    >>> import descend as dc
    >>> r = dc.lab.race("quadratic", ["gd", "random"], steps=20)
    >>> [t.evaluations for t in r.values()], list(r)
    ([21, 21], ['GD', 'Random search'])

    >>> import descend as dc
    >>> r = dc.lab.race("rosenbrock", {"Adam": "adam"}, steps=10)
    >>> r["Adam"].params.shape
    (11, 2)
    """
    problem = get_problem(problem)
    if isinstance(optimizers, str):
        optimizers = [s.strip() for s in optimizers.split(",") if s.strip()]
    if not isinstance(optimizers, Mapping):
        optimizers = {_label(name): name for name in optimizers}
    if not optimizers:
        raise ValueError("race: give at least one optimizer")
    runs = []
    for label, spec in optimizers.items():
        if isinstance(spec, str) and spec.strip().lower() == RANDOM:
            runs.append(random_search(problem, steps=steps, start=start, tol=tol, seed=seed,
                                      name=label))
            continue
        factory = preset(spec, problem, lr=lr) if isinstance(spec, str) else spec
        if not callable(factory):
            raise TypeError(f"race: the optimizer for {label!r} must be a preset name or a "
                            f"callable taking the parameter list, got {type(spec).__name__}")
        runs.append(run(problem, factory, name=label, steps=steps, start=start, tol=tol,
                        schedule=schedule))
    return Race(problem, problem.steps if steps is None else steps, runs)


def _preset(name: str) -> tuple:
    if not isinstance(name, str):
        raise TypeError(f"lab: an optimizer preset is a name such as 'adam', got "
                        f"{type(name).__name__}")
    return lookup("lab", "optimizer", name, PRESETS)


def _label(name: str) -> str:
    if isinstance(name, str) and name.strip().lower() == RANDOM:
        return RANDOM_LABEL
    return _preset(name)[0]


def lr_sweep(
    problem: Problem | str = "quadratic",
    lrs: Sequence[float] | None = None,
    *,
    optimizer: str = "gd",
    steps: int | None = None,
    start: Sequence[float] | None = None,
    schedule: str | ScheduleFactory | None = None,
) -> Race:
    """Run one optimizer with several learning rates: too small, about right, too large.

    A run that blows up is stopped and marked ``diverged`` (pictures draw it with a cross)
    instead of crashing.

    Args:
        problem: a :class:`Problem` or its short name.
        lrs: the learning rates (default: the problem's ``lr`` times 0.1, 1 and 2; on the
            quadratic the last one diverges).
        optimizer: a preset name (see :data:`PRESETS`).
        steps: optimizer steps per run.
        start: the common starting point.
        schedule: a learning-rate schedule for every run (see :func:`run`).

    >>> import descend as dc
    >>> sweep = dc.lab.lr_sweep("quadratic", [0.01, 0.18, 0.5], steps=30)
    >>> [t.diverged for t in sweep.values()]
    [False, False, True]
    """
    problem = get_problem(problem)
    base = problem.adaptive_lr if PRESETS.get(optimizer, ("", "", {}, False))[3] else problem.lr
    lrs = [base * f for f in (0.1, 1.0, 2.0)] if lrs is None else list(lrs)
    if not lrs or not all(isinstance(v, int | float) and v > 0 for v in lrs):
        raise ValueError(f"lr_sweep: lrs must be positive numbers, got {lrs!r}")
    return race(problem, {f"lr={v:.3g}": preset(optimizer, problem, lr=v) for v in lrs},
                steps=steps, start=start, schedule=schedule)
