"""NAdam: Adam with Nesterov momentum and a momentum schedule (``Nadam``, also ``NAdam``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import adam_moments_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def nadam_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """NAdam's state: ``exp_avg``, ``exp_avg_sq`` and ``mu_product``, the product of the mus.

    >>> import numpy as np
    >>> nadam_init(np.zeros(1), {})["mu_product"]
    1.0
    """
    return {"step": 0, "mu_product": 1.0, "exp_avg": zeros_like(param),
            "exp_avg_sq": zeros_like(param)}


def _mu(beta1: float, step: int, momentum_decay: float) -> float:
    """The scheduled momentum coefficient of step ``step`` (Dozat's warming schedule)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))


def nadam_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                 hparams: Mapping[str, Any]) -> np.ndarray:
    """One NAdam step, in place on ``param`` and the state arrays; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.nadam import nadam_init, nadam_update
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
    ...       "momentum_decay": 4e-3, "decoupled_weight_decay": False, "maximize": False}
    >>> w = np.array([0.0]); state = nadam_init(w, hp)
    >>> nadam_update(np.array([1.0]), state, w, hp).round(4)
    array([-0.1056])
    """
    g, scratch = adam_moments_(grad, state, param, hparams)
    step, lr, (beta1, beta2) = state["step"], hparams["lr"], hparams["betas"]
    mu = _mu(beta1, step, hparams["momentum_decay"])
    mu_next = _mu(beta1, step + 1, hparams["momentum_decay"])
    mu_product = state["mu_product"] = state["mu_product"] * mu
    denom = np.divide(state["exp_avg_sq"], 1 - beta2**step)
    np.sqrt(denom, out=denom)
    denom += hparams["eps"]
    np.divide(g, denom, out=scratch)
    scratch *= lr * (1.0 - mu) / (1.0 - mu_product)
    param -= scratch
    np.divide(state["exp_avg"], denom, out=scratch)
    scratch *= lr * mu_next / (1.0 - mu_product * mu_next)
    return np.subtract(param, scratch, out=param)


class Nadam(Optimizer):
    r"""NAdam (Dozat 2016, "Incorporating Nesterov momentum into Adam", ICLR workshop), as
    ``torch.optim.NAdam``; also reachable as ``NAdam``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}` unless ``decoupled_weight_decay``) and the
    momentum schedule :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \quad
        \hat v_t = \frac{v_t}{1 - \beta_2^t},

    .. math::
        \theta_t = \theta_{t-1}
            - \eta\, \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i}\,
              \frac{g_t}{\sqrt{\hat v_t} + \epsilon}
            - \eta\, \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i}\,
              \frac{m_t}{\sqrt{\hat v_t} + \epsilon}

    where :math:`\psi` is ``momentum_decay``: the Nesterov look-ahead uses next step's momentum.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`.
        eps: :math:`\epsilon`, keeps the division finite.
        weight_decay: L2 penalty (or decoupled decay, see below).
        momentum_decay: :math:`\psi`.
        decoupled_weight_decay: shrink the weights as AdamW does (NAdamW).
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Nadam([w], lr=0.1)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w
    tensor([0.1056452], requires_grad=True)
    """

    rule = UpdateRule(nadam_init, nadam_update)

    def __init__(  # noqa: PLR0913 - torch.optim.NAdam's arguments, in its order
            self, params: Params | None = None, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize})


NAdam = Nadam
