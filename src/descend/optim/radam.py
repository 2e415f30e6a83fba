"""RAdam: Adam whose adaptive step is switched on gradually, as its variance settles (``RAdam``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import adam_moments_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def radam_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """RAdam's state: ``exp_avg`` and ``exp_avg_sq``, as Adam's.

    >>> import numpy as np
    >>> sorted(radam_init(np.zeros(2), {}))
    ['exp_avg', 'exp_avg_sq', 'step']
    """
    return {"step": 0, "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}


def radam_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                 hparams: Mapping[str, Any]) -> np.ndarray:
    """One RAdam step, in place on ``param`` and the state arrays; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.radam import radam_init, radam_update
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
    ...       "decoupled_weight_decay": False, "maximize": False}
    >>> w = np.array([0.0]); state = radam_init(w, hp)
    >>> radam_update(np.array([2.0]), state, w, hp)    # early steps: SGD with momentum, -lr · m̂
    array([-0.2])
    """
    _, scratch = adam_moments_(grad, state, param, hparams)
    step, (beta1, beta2) = state["step"], hparams["betas"]
    bias_correction2 = 1 - beta2**step
    direction = np.divide(state["exp_avg"], 1 - beta1**step)
    direction *= hparams["lr"]
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * step * beta2**step / bias_correction2
    if rho > 5.0:
        np.sqrt(state["exp_avg_sq"], out=scratch)
        scratch += hparams["eps"]
        np.divide(bias_correction2**0.5, scratch, out=scratch)
        direction *= scratch
        rectification = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
        direction *= rectification**0.5
    return np.subtract(param, direction, out=param)


class RAdam(Optimizer):
    r"""RAdam (Liu et al. 2020, "On the variance of the adaptive learning rate and beyond",
    ICLR), as ``torch.optim.RAdam``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}` unless ``decoupled_weight_decay``):

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}, \quad
        \rho_\infty = \frac{2}{1 - \beta_2} - 1

    .. math::
        \theta_t = \theta_{t-1} - \eta\, \frac{m_t}{1 - \beta_1^t} \cdot
        \begin{cases}
        r_t\, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} & \rho_t > 5 \\
        1 & \text{otherwise}
        \end{cases}, \qquad
        r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\,\rho_\infty}
                         {(\rho_\infty - 4)(\rho_\infty - 2)\,\rho_t}}

    While the variance estimate is unreliable (:math:`\rho_t \le 5`, the first few steps) the
    update is momentum SGD; after that it is Adam scaled by the rectification :math:`r_t`.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`; :math:`\beta_2` also sets :math:`\rho_\infty`.
        eps: :math:`\epsilon`, added to :math:`\sqrt{v_t}` in the adaptive phase.
        weight_decay: added to the gradient times the weights, unless decoupled.
        decoupled_weight_decay: shrink the weights as AdamW does.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.RAdam([w], lr=0.1)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                                  # first step: -lr · g = 0.1 · 6
    tensor([0.6], requires_grad=True)
    """

    rule = UpdateRule(radam_init, radam_update)

    def __init__(self, params: Params | None = None, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize})
