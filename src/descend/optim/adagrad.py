"""Adagrad: per-coordinate learning rates from the sum of squared gradients (``Adagrad``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.backend import array_module
from descend.optim._kernels import coupled_grad
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def adagrad_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Adagrad's state: ``sum`` of squared gradients, starting at initial_accumulator_value.

    >>> import numpy as np
    >>> adagrad_init(np.zeros(2), {"initial_accumulator_value": 0.1})
    {'step': 0, 'sum': array([0.1, 0.1])}
    """
    start = hparams["initial_accumulator_value"]
    return {"step": 0, "sum": array_module(param).full_like(param, start)}


def adagrad_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                   hparams: Mapping[str, Any]) -> np.ndarray:
    """One Adagrad step, in place on ``param`` and ``state["sum"]``; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.adagrad import adagrad_init, adagrad_update
    >>> hp = {"lr": 0.5, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
    ...       "eps": 0.0, "maximize": False}
    >>> w = np.array([1.0, 1.0]); state = adagrad_init(w, hp)
    >>> adagrad_update(np.array([10.0, 0.1]), state, w, hp)   # both move by lr: g / |g|
    array([0.5, 0.5])
    """
    state["step"] += 1
    g = coupled_grad(grad, param, hparams)
    lr = hparams["lr"] / (1 + (state["step"] - 1) * hparams["lr_decay"])
    total = state["sum"]
    scratch = np.multiply(g, g)
    total += scratch
    np.sqrt(total, out=scratch)
    scratch += hparams["eps"]
    np.divide(g, scratch, out=scratch)
    scratch *= lr
    return np.subtract(param, scratch, out=param)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011, "Adaptive subgradient methods for online learning
    and stochastic optimization", JMLR 12), as ``torch.optim.Adagrad``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}`):

    .. math::
        \eta_t = \frac{\eta}{1 + (t - 1)\,\lambda}, \quad
        s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    where :math:`\lambda` is ``lr_decay`` and :math:`s_0` is ``initial_accumulator_value``.
    Coordinates with large past gradients take small steps; the steps shrink for ever.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        lr_decay: :math:`\lambda`.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: :math:`s_0`.
        eps: :math:`\epsilon`, keeps the division finite.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Adagrad([w], lr=0.5)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                                  # the first step moves every coordinate by lr
    tensor([0.5], requires_grad=True)
    """

    rule = UpdateRule(adagrad_init, adagrad_update)

    def __init__(self, params: Params | None = None, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps, "maximize": maximize})
