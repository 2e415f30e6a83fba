"""Page 3's computations: a problem's loss contours and the optimizers' paths over it.

The paths come from :func:`descend.lab.races.run`, so every step is taken by a real
``dc.optim`` optimizer (the objects ``fit`` uses), optionally with a ``dc.optim.schedules``
learning-rate schedule stepped after every update.

>>> spec = parse_race({"problem": "quadratic", "kappa": 10, "steps": 20,
...                    "racers": [{"optimizer": "sgd", "lr": 0.1, "momentum": 0.9}]})
>>> result = race(spec)
>>> racer = result["racers"][0]
>>> racer["label"], len(racer["params"]), racer["losses"][-1] < racer["losses"][0]
('SGD lr=0.1 momentum=0.9', 21, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend import optim
from descend.lab import problems as lab
from descend.lab.races import run
from descend.serve.validation import Form, RequestError
from descend.tensors import Tensor

PROBLEMS: dict[str, tuple[str, type[lab.Problem]]] = {
    "linear": ("Line fit kernel·x + bias", lab.LinearRegression),
    "sigmoid": ("Sigmoid neuron on two points", lab.SigmoidNeuron),
    "quadratic": ("Quadratic bowl (condition number κ)", lab.Quadratic),
    "rosenbrock": ("Rosenbrock's valley", lab.Rosenbrock),
    "beale": ("Beale's function", lab.Beale),
    "double_well": ("Double well: a local minimum that is not global", lab.DoubleWell),
}
"""Each playground problem: its title and its class."""

MODELS = {"linear": "line", "sigmoid": "sigmoid"}
"""The problems that fit a curve to points, and the curve the page draws."""

SCHEDULES = ("none", "exponential", "step", "inverse_time")
"""Learning-rate decays a racer may use: ``ExponentialLR(gamma)``, ``StepLR(step_size=25,
gamma)``, ``InverseTimeDecay(decay_rate=1 - gamma)``."""

MAX_RACERS, MAX_STEPS = 6, 2000
RACE_FIELDS = ("problem", "kappa", "start", "steps", "racers")
RACER_FIELDS = ("optimizer", "lr", "momentum", "nesterov", "beta1", "beta2", "schedule",
                "gamma")
MOMENTUM = ("sgd", "rmsprop")
BETAS = ("adam", "adamw", "adamax", "nadam", "radam", "lion")


def make_problem(name: str, kappa: float = 10.0) -> lab.Problem:
    """The problem ``name`` (the quadratic bowl with condition number ``kappa``).

    >>> make_problem("quadratic", 50).condition_number, make_problem("beale").name
    (50.0, 'beale')
    """
    cls = PROBLEMS[name][1]
    return cls(condition_number=kappa) if cls is lab.Quadratic else cls()


def _problem(form: Form) -> lab.Problem:
    name = form.choice("problem", "sigmoid", PROBLEMS)
    kappa = form.number("kappa", 10.0, low=1, high=1000, low_inclusive=True)
    return make_problem(name, kappa)


def describe(name: str, kappa: float = 10.0) -> dict[str, Any]:
    """What the page needs to draw a problem: window, start, minimum, learning rates, data.

    >>> d = describe("sigmoid")
    >>> d["start"], d["lr"], d["model"], len(d["data"]["x"])
    ([-2.0, -2.0], 1.0, 'sigmoid', 2)
    """
    problem = make_problem(name, kappa)
    data = problem.data
    return {
        "name": name, "title": PROBLEMS[name][0], "bounds": [list(b) for b in problem.bounds],
        "start": list(problem.start), "minimum": problem.minimum and list(problem.minimum),
        "min_loss": problem.min_loss, "lr": problem.lr, "adaptive_lr": problem.adaptive_lr,
        "steps": problem.steps, "param_names": list(problem.param_names),
        "model": MODELS.get(name),
        "data": None if data is None else {"x": data[0].tolist(), "y": data[1].tolist()},
    }


def parse_surface(values: Mapping[str, Any]) -> dict[str, Any]:
    """``problem`` and ``kappa`` from a request, checked.

    >>> parse_surface({"problem": "quadratic", "kappa": "5"})
    {'problem': 'quadratic', 'kappa': 5.0}
    """
    form = Form(values, known=("problem", "kappa"))
    problem = _problem(form)
    return {"problem": problem.name, "kappa": getattr(problem, "condition_number", 10.0)}


def surface(spec: dict[str, Any], n: int = 81, levels: int = 16) -> dict[str, Any]:
    """The problem's description and its contour lines: per level, segments ``[x0, y0, x1, y1]``.

    >>> s = surface({"problem": "quadratic", "kappa": 10.0})
    >>> len(s["contours"]) > 5 and len(s["contours"][0]["segments"][0])
    4
    """
    problem = make_problem(spec["problem"], spec["kappa"])
    A, B, L = problem.surface(n)
    finite = L[np.isfinite(L)]
    heights = np.unique(np.quantile(finite, np.linspace(0.015, 0.9, levels) ** 1.5))
    contours = [{"level": float(h), "segments": np.round(contour_segments(A[0], B[:, 0], L, h),
                                                         5).tolist()} for h in heights]
    return {**describe(spec["problem"], spec["kappa"]), "contours": contours}


def contour_segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float) -> np.ndarray:
    """Marching squares: the line segments where ``z`` (rows over ``ys``, columns over ``xs``)
    crosses ``level``, as an array ``(k, 4)`` of ``x0, y0, x1, y1``.

    >>> xs = ys = np.linspace(-1, 1, 3)
    >>> z = xs[None, :] ** 2 + ys[:, None] ** 2
    >>> contour_segments(xs, ys, z, 0.5).shape
    (4, 4)
    """
    above = z > level
    x0, x1, y0, y1 = xs[None, :-1], xs[None, 1:], ys[:-1, None], ys[1:, None]
    corners = [(z[:-1, :-1], above[:-1, :-1], x0, y0), (z[:-1, 1:], above[:-1, 1:], x1, y0),
               (z[1:, 1:], above[1:, 1:], x1, y1), (z[1:, :-1], above[1:, :-1], x0, y1)]
    cross, px, py = [], [], []
    for k in range(4):  # edges: bottom, right, top, left (corner k to corner k+1)
        (za, sa, xa, ya), (zb, sb, xb, yb) = corners[k], corners[(k + 1) % 4]
        hit = sa != sb
        with np.errstate(all="ignore"):
            t = np.clip(np.where(hit, (level - za) / np.where(hit, zb - za, 1.0), 0.0), 0, 1)
        cross.append(hit)
        px.append(np.broadcast_to(xa + t * (xb - xa), hit.shape))
        py.append(np.broadcast_to(ya + t * (yb - ya), hit.shape))
    cross, px, py = np.stack(cross), np.stack(px), np.stack(py)
    count = cross.sum(axis=0)
    pairs = []
    two = count == 2
    order = np.argsort(~cross, axis=0, kind="stable")
    first, second = order[0][two], order[1][two]
    rows, cols = np.nonzero(two)
    pairs.append((first, second, rows, cols))
    rows, cols = np.nonzero(count == 4)
    for a, b in ((0, 3), (1, 2)):
        pairs.append((np.full(rows.shape, a), np.full(rows.shape, b), rows, cols))
    segments = [np.stack([px[a, r, c], py[a, r, c], px[b, r, c], py[b, r, c]], axis=1)
                for a, b, r, c in pairs]
    return np.concatenate(segments) if segments else np.zeros((0, 4))


def parse_race(values: Mapping[str, Any]) -> dict[str, Any]:
    """A race request, checked: problem, ``kappa``, ``start`` (inside the window), ``steps``
    and 1 to 6 racers (optimizer, lr, momentum, nesterov, beta1, beta2, schedule, gamma).

    >>> parse_race({"problem": "sigmoid", "start": [99, 0]})
    Traceback (most recent call last):
    ...
    descend.serve.validation.RequestError: start must be two numbers inside the window: ...
    """
    form = Form(values, known=RACE_FIELDS)
    problem = _problem(form)
    start = form.values.get("start", list(problem.start))
    (a0, a1), (b0, b1) = problem.bounds
    try:
        a, b = (float(v) for v in start)
        inside = a0 <= a <= a1 and b0 <= b <= b1
    except (TypeError, ValueError):
        inside = False
    if not inside:
        names = problem.param_names
        raise RequestError(f"start must be two numbers inside the window: {names[0]} from {a0:g} "
                         f"to {a1:g} and {names[1]} from {b0:g} to {b1:g}; got {start!r}.")
    racers = form.values.get("racers", [{"optimizer": "sgd"}])
    if not isinstance(racers, list) or not 1 <= len(racers) <= MAX_RACERS:
        raise RequestError(f"racers must be a list of 1 to {MAX_RACERS} optimizers.")
    return {"problem": problem.name, "kappa": getattr(problem, "condition_number", 10.0),
            "start": [a, b],
            "steps": form.integer("steps", problem.steps, low=1, high=MAX_STEPS),
            "racers": [_racer(r, problem) for r in racers]}


def _racer(values: Any, problem: lab.Problem) -> dict[str, Any]:
    form = Form(values, known=RACER_FIELDS)
    name = form.choice("optimizer", "sgd", optim.OPTIMIZERS)
    default_lr = problem.lr if name == "sgd" else problem.adaptive_lr
    return {
        "optimizer": name,
        "lr": form.number("lr", default_lr, low=0, high=100),
        "momentum": form.number("momentum", 0.0, low=0, high=0.999, low_inclusive=True),
        "nesterov": form.flag("nesterov", False),
        "beta1": form.number("beta1", 0.9, low=0, high=0.999, low_inclusive=True),
        "beta2": form.number("beta2", 0.999, low=0, high=0.9999, low_inclusive=True),
        "schedule": form.choice("schedule", "none", SCHEDULES),
        "gamma": form.number("gamma", 0.99, low=0, high=1),
    }


def label(racer: dict[str, Any]) -> str:
    """A racer's name: its optimizer and the settings that matter for it.

    >>> label({"optimizer": "adam", "lr": 0.1, "beta1": 0.9, "beta2": 0.999,
    ...        "schedule": "exponential", "gamma": 0.98})
    'Adam lr=0.1 betas=(0.9, 0.999) exponential γ=0.98'
    """
    name = racer["optimizer"]
    parts = [optim.OPTIMIZERS[name].__name__, f"lr={racer['lr']:g}"]
    if name in MOMENTUM and racer["momentum"]:
        parts.append(f"momentum={racer['momentum']:g}" + (" nesterov" * racer["nesterov"]))
    if name in BETAS:
        parts.append(f"betas=({racer['beta1']:g}, {racer['beta2']:g})")
    if racer["schedule"] != "none":
        parts.append(f"{racer['schedule']} γ={racer['gamma']:g}")
    return " ".join(parts)


def _schedule(racer: dict[str, Any]) -> Any:
    """The racer's decaying learning rate as a factory of a ``dc.optim.schedules`` schedule
    (what ``lab.run`` steps after every update), or None."""
    gamma, schedules = racer["gamma"], optim.schedules
    return {
        "none": None,
        "exponential": lambda opt: schedules.ExponentialLR(opt, gamma=gamma),
        "step": lambda opt: schedules.StepLR(opt, step_size=25, gamma=gamma),
        "inverse_time": lambda opt: schedules.InverseTimeDecay(opt, decay_rate=1 - gamma),
    }[racer["schedule"]]


def _rates(path: Any) -> list[float]:
    """The learning rate at every point of ``path``: the one each step used, then the next."""
    current = float(path.optimizer.param_groups[0]["lr"])
    if path.lrs is None:
        return [current] * len(path.losses)
    return [*map(float, path.lrs), current][:len(path.losses)]


def _optimizer(racer: dict[str, Any], params: list[Tensor]) -> optim.Optimizer:
    name = racer["optimizer"]
    options: dict[str, Any] = {"lr": racer["lr"]}
    if name in MOMENTUM:
        options["momentum"] = racer["momentum"]
    if name == "sgd":
        options["nesterov"] = racer["nesterov"]
    if name in BETAS:
        options["betas"] = (racer["beta1"], racer["beta2"])
    try:
        return optim.OPTIMIZERS[name](params, **options)
    except ValueError as err:
        raise RequestError(f"{label(racer)}: {err}.") from None


def gradients(problem: lab.Problem, points: np.ndarray) -> np.ndarray:
    """The loss's gradient ``(dL/da, dL/db)`` at each of ``points`` ``(k, 2)``.

    >>> gradients(make_problem("quadratic", 10), np.array([[1.0, 1.0]])).tolist()
    [[1.0, 10.0]]
    """
    a = Tensor(points[:, 0], dtype=np.float64, requires_grad=True)
    b = Tensor(points[:, 1], dtype=np.float64, requires_grad=True)
    problem.loss(a, b).sum().backward()
    return np.stack([a.grad.numpy(), b.grad.numpy()], axis=1)


def race(spec: dict[str, Any]) -> dict[str, Any]:
    """Every racer's path from ``spec`` (see :func:`parse_race`): per racer its ``label``,
    ``params`` ``[[a, b], ...]``, ``losses``, ``grads``, learning rates ``lrs`` and whether it
    ``diverged`` (its path then ends where the loss blew up)."""
    problem = make_problem(spec["problem"], spec["kappa"])
    racers = []
    for racer in spec["racers"]:
        with np.errstate(all="ignore"):
            path = run(problem, lambda params, racer=racer: _optimizer(racer, params),
                       name=label(racer), steps=spec["steps"], start=spec["start"],
                       schedule=_schedule(racer))
            grads = gradients(problem, path.params)
        racers.append({"label": path.name, "settings": racer, "params": path.params.tolist(),
                       "losses": path.losses.tolist(), "grads": grads.tolist(),
                       "lrs": _rates(path), "diverged": path.diverged})
    return {"problem": spec["problem"], "steps": spec["steps"], "start": spec["start"],
            "racers": racers}
