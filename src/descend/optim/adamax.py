"""Adamax: Adam with the infinity norm in place of the root mean square (``Adamax``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import coupled_grad, empty_like, lerp_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def adamax_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Adamax's state: ``exp_avg`` and the decaying maximum ``exp_inf`` of ``|g|``.

    >>> import numpy as np
    >>> sorted(adamax_init(np.zeros(2), {}))
    ['exp_avg', 'exp_inf', 'step']
    """
    return {"step": 0, "exp_avg": zeros_like(param), "exp_inf": zeros_like(param)}


def adamax_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                  hparams: Mapping[str, Any]) -> np.ndarray:
    """One Adamax step, in place on ``param`` and the state arrays; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.adamax import adamax_init, adamax_update
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 0.0, "weight_decay": 0.0,
    ...       "maximize": False}
    >>> w = np.array([0.0, 0.0]); state = adamax_init(w, hp)
    >>> adamax_update(np.array([5.0, -0.01]), state, w, hp)   # the first step is lr · sign(g)
    array([-0.1,  0.1])
    """
    state["step"] += 1
    beta1, beta2 = hparams["betas"]
    g = coupled_grad(grad, param, hparams)
    scratch = empty_like(param)
    exp_avg = lerp_(state["exp_avg"], g, 1.0 - beta1, scratch)
    exp_inf = state["exp_inf"]
    exp_inf *= beta2
    np.abs(g, out=scratch)
    scratch += hparams["eps"]
    np.maximum(exp_inf, scratch, out=exp_inf)
    np.divide(exp_avg, exp_inf, out=scratch)
    scratch *= hparams["lr"] / (1 - beta1 ** state["step"])
    return np.subtract(param, scratch, out=param)


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba 2015, "Adam: a method for stochastic optimization", ICLR, section
    7.1), as ``torch.optim.Adamax``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}`):

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\, \frac{m_t}{u_t}

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`.
        eps: :math:`\epsilon`, keeps the division finite.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Adamax([w], lr=0.1)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w
    tensor([0.1], requires_grad=True)
    """

    rule = UpdateRule(adamax_init, adamax_update)

    def __init__(self, params: Params | None = None, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})
