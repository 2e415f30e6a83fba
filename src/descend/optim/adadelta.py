"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients (``Adadelta``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import add_scaled_square_, coupled_grad, empty_like, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def adadelta_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Adadelta's state: ``square_avg`` of gradients and ``acc_delta`` of updates.

    >>> import numpy as np
    >>> sorted(adadelta_init(np.zeros(2), {}))
    ['acc_delta', 'square_avg', 'step']
    """
    return {"step": 0, "square_avg": zeros_like(param), "acc_delta": zeros_like(param)}


def adadelta_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                    hparams: Mapping[str, Any]) -> np.ndarray:
    """One Adadelta step, in place on ``param`` and the state arrays; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.adadelta import adadelta_init, adadelta_update
    >>> hp = {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "maximize": False}
    >>> w = np.array([0.0]); state = adadelta_init(w, hp)
    >>> adadelta_update(np.array([1.0]), state, w, hp).round(6)   # sqrt(1e-6) / sqrt(0.1)
    array([-0.003162])
    """
    state["step"] += 1
    g = coupled_grad(grad, param, hparams)
    rho, eps = hparams["rho"], hparams["eps"]
    scratch = empty_like(param)
    square_avg = add_scaled_square_(state["square_avg"], rho, g, scratch)
    np.add(square_avg, eps, out=scratch)
    np.sqrt(scratch, out=scratch)
    acc_delta = state["acc_delta"]
    delta = np.add(acc_delta, eps)
    np.sqrt(delta, out=delta)
    delta /= scratch
    delta *= g
    add_scaled_square_(acc_delta, rho, delta, scratch)
    delta *= hparams["lr"]
    return np.subtract(param, delta, out=param)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012, "ADADELTA: an adaptive learning rate method",
    arXiv:1212.5701), as ``torch.optim.Adadelta``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}`):

    .. math::
        v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t, \quad
        u_t = \rho\, u_{t-1} + (1 - \rho)\, \Delta_t^2, \quad
        \theta_t = \theta_{t-1} - \eta\, \Delta_t

    :math:`v` is ``square_avg`` and :math:`u` is ``acc_delta``: the step has the units of the
    parameter, so the learning rate :math:`\eta` is usually left at 1.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`, scales the step.
        rho: :math:`\rho`, the smoothing constant of both averages, in [0, 1].
        eps: :math:`\epsilon`, starts the steps and keeps the division finite.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Adadelta([w])
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                                  # a tiny first step: sqrt(eps) / sqrt(0.1)
    tensor([0.0031623], requires_grad=True)
    """

    rule = UpdateRule(adadelta_init, adadelta_update)

    def __init__(self, params: Params | None = None, lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})
