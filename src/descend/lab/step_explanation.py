"""``explain_step``: what happened inside the optimizer's last ``step()``, parameter by parameter.

For each parameter it shows the gradient, the optimizer's state (velocity, accumulated squared
gradients, Adam's moments and their bias corrections, ...), the *effective learning rate* of
each coordinate (the factor the rule multiplies its direction by) and the step actually taken —
as a table (``str``) and as a dict (``to_dict()``). Everything is read from the optimizer's own
state after the step; the step taken is reconstructed from it exactly (``update``).

>>> import descend as dc
>>> from descend import optim
>>> w = dc.tensor([1.0, -2.0], dtype="float64", requires_grad=True, name="w")
>>> opt = optim.Adam([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> info = dc.lab.explain_step(opt).to_dict()["params"]["w"]
>>> info["grad"].tolist(), info["update"].round(6).tolist()   # Adam's first step: lr·sign(g)
([2.0, -4.0], [0.1, -0.1])
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.autograd.trace import format_value

ROWS: dict[str, str] = {
    "grad": "gradient dL/dθ (param.grad)",
    "followed_grad": "gradient followed g (with weight decay / maximize)",
    "momentum_buffer": "velocity v = μ·v + g (momentum_buffer)",
    "lookahead": "look-ahead point θ − lr·μ·v (Nesterov)",
    "sum": "accumulated squared gradients Σg² (sum)",
    "square_avg": "running average of g² (square_avg)",
    "grad_avg": "running average of g (grad_avg, centered)",
    "acc_delta": "running average of squared steps (acc_delta)",
    "exp_avg": "first moment m (exp_avg)",
    "exp_avg_sq": "second moment v (exp_avg_sq)",
    "max_exp_avg_sq": "largest v so far (max_exp_avg_sq, amsgrad)",
    "exp_inf": "infinity norm u = max(β2·u, |g| + ε) (exp_inf)",
    "bias_correction1": "bias correction 1 − β1^t",
    "bias_correction2": "bias correction 1 − β2^t",
    "exp_avg_hat": "bias-corrected m̂ = m / (1 − β1^t)",
    "exp_avg_sq_hat": "bias-corrected v̂ = v / (1 − β2^t)",
    "mu": "momentum coefficient μ_t (NAdam's schedule)",
    "mu_product": "product of the μ so far (mu_product)",
    "rho_t": "length of the approximated SMA ρ_t (RAdam)",
    "rectification": "variance rectification r_t (RAdam; 0: plain momentum step)",
    "direction": "interpolation c = β1·m + (1 − β1)·g (Lion takes its sign)",
    "effective_lr": "effective learning rate per coordinate",
    "update": "step taken Δ (θ ← θ − Δ, weight decay included)",
    "previous": "value before the step",
    "value": "value after the step",
}
"""Every quantity ``explain_step`` may report, with how it is described in the table."""

Parts = tuple[Any, Any, dict[str, Any]]
"""``(A, B, quantities)``: the step taken is ``A·g + B``, with g the gradient followed."""


def _sgd(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    lr, mu = hp["lr"], hp["momentum"]
    lr_array = np.full_like(theta, lr)
    if mu == 0:
        return lr, 0.0, {"effective_lr": lr_array}
    buf = state["momentum_buffer"]
    found = {"momentum_buffer": buf, "effective_lr": lr_array}
    if hp["nesterov"]:
        found["lookahead"] = theta - lr * mu * buf
        return lr, lr * mu * buf, found
    return 0.0, lr * buf, found


def _adagrad(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    lr = hp["lr"] / (1 + (state["step"] - 1) * hp["lr_decay"])
    effective = lr / (np.sqrt(state["sum"]) + hp["eps"])
    return effective, 0.0, {"sum": state["sum"], "effective_lr": effective}


def _rmsprop(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    square = state["square_avg"]
    found = {"square_avg": square}
    if hp["centered"]:
        found["grad_avg"] = state["grad_avg"]
        square = square - state["grad_avg"] ** 2
    effective = hp["lr"] / (np.sqrt(square) + hp["eps"])
    found["effective_lr"] = effective
    if hp["momentum"] > 0:
        found["momentum_buffer"] = state["momentum_buffer"]
        return 0.0, hp["lr"] * state["momentum_buffer"], found
    return effective, 0.0, found


def _moments(state: dict, hp: Mapping, second: str = "exp_avg_sq") -> dict[str, Any]:
    t, (beta1, beta2) = state["step"], hp["betas"]
    bc1, bc2 = 1 - beta1**t, 1 - beta2**t
    found = {"exp_avg": state["exp_avg"], second: state[second], "bias_correction1": bc1,
             "exp_avg_hat": state["exp_avg"] / bc1}
    if second == "exp_avg_sq":
        found["bias_correction2"] = bc2
        found["exp_avg_sq_hat"] = state["exp_avg_sq"] / bc2
    return found


def _adam(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    found = _moments(state, hp)
    v = state["max_exp_avg_sq"] if hp["amsgrad"] else state["exp_avg_sq"]
    if hp["amsgrad"]:
        found["max_exp_avg_sq"] = v
    effective = hp["lr"] / (np.sqrt(v / found["bias_correction2"]) + hp["eps"])
    found["effective_lr"] = effective
    return 0.0, effective * found["exp_avg_hat"], found


def _adamax(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    found = _moments(state, hp, "exp_inf")
    effective = hp["lr"] / state["exp_inf"]
    found["effective_lr"] = effective
    return 0.0, effective * found["exp_avg_hat"], found


def _nadam(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    from descend.optim.nadam import _mu

    t, (beta1, _) = state["step"], hp["betas"]
    mu, mu_next = _mu(beta1, t, hp["momentum_decay"]), _mu(beta1, t + 1, hp["momentum_decay"])
    product = state["mu_product"]
    found = _moments(state, hp)
    found.update(mu=mu, mu_product=product)
    denom = np.sqrt(found["exp_avg_sq_hat"]) + hp["eps"]
    found["effective_lr"] = hp["lr"] / denom
    a = hp["lr"] * (1 - mu) / (1 - product) / denom
    b = hp["lr"] * mu_next / (1 - product * mu_next) * state["exp_avg"] / denom
    return a, b, found


def _radam(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    t, (_, beta2) = state["step"], hp["betas"]
    found = _moments(state, hp)
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2**t / found["bias_correction2"]
    found["rho_t"] = rho
    if rho > 5.0:
        rect = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
        effective = (hp["lr"] * rect * found["bias_correction2"] ** 0.5
                     / (np.sqrt(state["exp_avg_sq"]) + hp["eps"]))
    else:
        rect, effective = 0.0, np.full_like(theta, hp["lr"])
    found.update(rectification=rect, effective_lr=effective)
    return 0.0, effective * found["exp_avg_hat"], found


def _adadelta(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    if hp["weight_decay"] != 0:
        raise ValueError("explain_step: Adadelta's step cannot be reconstructed after the fact "
                         "when weight_decay is not 0; explain a step with weight_decay=0")
    grad, rho, eps = g(), hp["rho"], hp["eps"]
    square, acc = state["square_avg"], state["acc_delta"]
    ratio = grad * grad / (square + eps)
    acc_before = (acc - (1 - rho) * eps * ratio) / (rho + (1 - rho) * ratio)
    effective = hp["lr"] * np.sqrt(np.maximum(acc_before, 0) + eps) / np.sqrt(square + eps)
    return effective, 0.0, {"square_avg": square, "acc_delta": acc, "effective_lr": effective}


def _lion(state: dict, hp: Mapping, theta: np.ndarray, g: Callable) -> Parts:
    grad, (beta1, beta2) = g(), hp["betas"]
    m_before = (state["exp_avg"] - (1 - beta2) * grad) / beta2
    direction = beta1 * m_before + (1 - beta1) * grad
    return 0.0, hp["lr"] * np.sign(direction), {
        "exp_avg": state["exp_avg"], "direction": direction,
        "effective_lr": np.full_like(theta, hp["lr"])}


def _families() -> dict[Any, tuple[Callable[..., Parts], bool]]:
    """The known update rules: ``rule.update -> (family, decays the weights directly)``."""
    from descend import optim

    return {
        optim.SGD.rule.update: (_sgd, False), optim.Adagrad.rule.update: (_adagrad, False),
        optim.RMSprop.rule.update: (_rmsprop, False), optim.Adam.rule.update: (_adam, False),
        optim.Adamax.rule.update: (_adamax, False), optim.NAdam.rule.update: (_nadam, False),
        optim.RAdam.rule.update: (_radam, False), optim.Adadelta.rule.update: (_adadelta, False),
        optim.Lion.rule.update: (_lion, True),
    }


@dataclass
class StepExplanation:
    """The last step of an optimizer, per parameter; ``str()`` is the table.

    Attributes:
        optimizer: the optimizer's class name.
        params: ``{parameter name: {quantity: value}}``, quantities as in :data:`ROWS`.
        hyperparameters: ``{parameter name: its group's hyperparameters}``.
        steps: ``{parameter name: how many steps it has taken}``.

    >>> import descend as dc
    >>> from descend import optim
    >>> w = dc.tensor([2.0], requires_grad=True, name="w")
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step()
    >>> print(dc.lab.explain_step(opt))     # doctest: +NORMALIZE_WHITESPACE
    SGD step 1, parameter w (lr 0.1, momentum 0.9, dampening 0.0, weight_decay 0.0,
    nesterov False, maximize False)
      gradient dL/dθ (param.grad)                  4
      velocity v = μ·v + g (momentum_buffer)       4
      effective learning rate per coordinate       0.1
      step taken Δ (θ ← θ − Δ, weight decay included) 0.4
      value before the step                        2
      value after the step                         1.6
    """

    optimizer: str
    params: dict[str, dict[str, Any]]
    hyperparameters: dict[str, dict[str, Any]]
    steps: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain dicts of NumPy arrays and numbers."""
        return {"optimizer": self.optimizer, "params": self.params,
                "hyperparameters": self.hyperparameters, "steps": self.steps}

    def __str__(self) -> str:
        width = max(_width(text) for text in ROWS.values())
        lines = []
        for name, quantities in self.params.items():
            settings = ", ".join(f"{k} {v}" for k, v in self.hyperparameters[name].items())
            lines.append(f"{self.optimizer} step {self.steps[name]}, parameter {name} "
                         f"({settings})")
            for key, value in quantities.items():
                pad = " " * (width - _width(ROWS[key]))
                lines.append(f"  {ROWS[key]}{pad}  {format_value(value)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (combining accents such as m̂'s take none)."""
    return sum(not unicodedata.combining(c) for c in text)


def explain_step(optimizer: Any) -> StepExplanation:
    """Explain the optimizer's last ``step()``: gradient, state, effective lr and step taken.

    Args:
        optimizer: any ``dc.optim`` optimizer right after ``step()`` (before ``zero_grad()``,
            which would forget the gradients).

    Returns:
        A :class:`StepExplanation`: print it for the table, or use ``to_dict()``.

    >>> import descend as dc
    >>> from descend import optim
    >>> w = dc.tensor([1.0, 4.0], requires_grad=True, name="w")
    >>> opt = optim.Adagrad([w], lr=1.0)
    >>> (w * w).sum().backward(); opt.step()
    >>> dc.lab.explain_step(opt).params["w"]["effective_lr"].round(4).tolist()   # 1/|g|
    [0.5, 0.125]
    """
    families = _families()
    rule = getattr(type(optimizer), "rule", None)
    if rule is None or rule.update not in families:
        raise TypeError(f"explain_step: expected a dc.optim optimizer, got "
                        f"{type(optimizer).__name__}")
    family, always_decoupled = families[rule.update]
    params: dict[str, dict[str, Any]] = {}
    settings: dict[str, dict[str, Any]] = {}
    steps: dict[str, int] = {}
    position = 0
    for group in optimizer.param_groups:
        hp = {k: v for k, v in group.items() if k not in ("params", "name", "initial_lr")}
        for param in group["params"]:
            state = optimizer.state.get(position)
            name = param.name or f"param {position}"
            position += 1
            if state is None or param.grad is None:
                continue
            params[name] = _one(family, always_decoupled, state, hp, param)
            settings[name] = hp
            steps[name] = state["step"]
    if not params:
        raise ValueError("explain_step: no parameter has both a gradient and optimizer state; "
                         "call it right after optimizer.step() and before zero_grad()")
    return StepExplanation(type(optimizer).__name__, params, settings, steps)


def _one(family: Callable[..., Parts], always_decoupled: bool, state: dict, hp: Mapping,
         param: Any) -> dict[str, Any]:
    theta = np.asarray(param.data, dtype=np.float64)
    grad = np.asarray(param.grad.data, dtype=np.float64)
    state = {k: np.asarray(v, np.float64) if isinstance(v, np.ndarray) else v
             for k, v in state.items()}
    signed = -grad if hp.get("maximize", False) else grad
    decay = hp.get("weight_decay", 0.0)
    decoupled = always_decoupled or hp.get("decoupled_weight_decay", False)
    coupled = decay != 0 and not decoupled
    a, b, found = family(state, hp, theta, lambda: signed)
    g = (signed + decay * (theta + b)) / (1 - decay * a) if coupled else signed
    before = theta + a * g + b
    if decoupled and decay != 0:
        before = before / (1 - hp["lr"] * decay)
    result: dict[str, Any] = {"grad": grad}
    if coupled or hp.get("maximize", False):
        result["followed_grad"] = g
    result.update(found)
    result.update(update=before - theta, previous=before, value=theta)
    return result
