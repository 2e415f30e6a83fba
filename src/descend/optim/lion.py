"""Lion: step by the sign of an interpolated momentum (``Lion``), beyond torch.optim.

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import decay_weights_, lerp_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def lion_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Lion's state: the momentum ``exp_avg``.

    >>> import numpy as np
    >>> lion_init(np.zeros(2), {})
    {'step': 0, 'exp_avg': array([0., 0.])}
    """
    return {"step": 0, "exp_avg": zeros_like(param)}


def lion_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                hparams: Mapping[str, Any]) -> np.ndarray:
    """One Lion step, in place on ``param`` and ``state["exp_avg"]``; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.lion import lion_init, lion_update
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.99), "weight_decay": 0.0, "maximize": False}
    >>> w = np.array([0.0, 0.0]); state = lion_init(w, hp)
    >>> lion_update(np.array([5.0, -0.01]), state, w, hp)   # every coordinate moves by lr
    array([-0.1,  0.1])
    """
    state["step"] += 1
    lr, (beta1, beta2) = hparams["lr"], hparams["betas"]
    g = np.negative(grad) if hparams["maximize"] else grad
    exp_avg = state["exp_avg"]
    scratch = np.multiply(g, 1.0 - beta1)
    interpolated = np.multiply(exp_avg, beta1)
    interpolated += scratch
    np.sign(interpolated, out=scratch)
    scratch *= lr
    decay_weights_(param, lr, hparams["weight_decay"])
    param -= scratch
    lerp_(exp_avg, g, 1.0 - beta2, scratch)
    return param


class Lion(Optimizer):
    r"""Lion, "EvoLved Sign Momentum" (Chen et al. 2023, "Symbolic discovery of optimization
    algorithms", NeurIPS, Algorithm 2). Not in torch.optim.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``):

    .. math::
        c_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        \theta_t = \theta_{t-1} - \eta\,\big(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\big),
        \quad m_t = \beta_2 m_{t-1} + (1 - \beta_2)\, g_t

    Every coordinate moves by exactly :math:`\eta` (plus the decoupled weight decay
    :math:`\lambda`), so Lion wants a learning rate 3-10× smaller than AdamW's and a weight
    decay 3-10× larger. The momentum it keeps (:math:`\beta_2`) is longer than the one it steps
    with (:math:`\beta_1`).

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`.
        weight_decay: :math:`\lambda`, decoupled (shrinks the weights, as AdamW).
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Lion([w], lr=0.1)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w
    tensor([0.1], requires_grad=True)
    """

    rule = UpdateRule(lion_init, lion_update)

    def __init__(self, params: Params | None = None, lr: float = 1e-4,
                 betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay,
                                  "maximize": maximize})
