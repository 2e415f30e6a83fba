"""Adam and AdamW: bias-corrected averages of the gradient and its square (``Adam``, ``AdamW``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import adam_moments_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def adam_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Adam's state: ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

    >>> import numpy as np
    >>> sorted(adam_init(np.zeros(2), {"amsgrad": True}))
    ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']
    """
    state: dict[str, Any] = {"step": 0, "exp_avg": zeros_like(param),
                             "exp_avg_sq": zeros_like(param)}
    if hparams["amsgrad"]:
        state["max_exp_avg_sq"] = zeros_like(param)
    return state


def adam_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                hparams: Mapping[str, Any]) -> np.ndarray:
    """One Adam (or AdamW) step, in place on ``param`` and the state arrays; returns ``param``.

    ``hparams["decoupled_weight_decay"]`` chooses AdamW's decay of the weights over adding
    ``weight_decay · param`` to the gradient.

    >>> import numpy as np
    >>> from descend.optim.adam import adam_init, adam_update
    >>> hp = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 0.0, "weight_decay": 0.0,
    ...       "amsgrad": False, "maximize": False, "decoupled_weight_decay": False}
    >>> w = np.array([0.0, 0.0]); state = adam_init(w, hp)
    >>> adam_update(np.array([5.0, -0.01]), state, w, hp)   # the first step is lr · sign(g)
    array([-0.1,  0.1])
    """
    _, scratch = adam_moments_(grad, state, param, hparams)
    step, (beta1, beta2) = state["step"], hparams["betas"]
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    if hparams["amsgrad"]:
        exp_avg_sq = state.setdefault("max_exp_avg_sq", zeros_like(param))
        np.maximum(exp_avg_sq, state["exp_avg_sq"], out=exp_avg_sq)
    step_size = hparams["lr"] / (1 - beta1**step)
    np.sqrt(exp_avg_sq, out=scratch)
    scratch /= (1 - beta2**step) ** 0.5
    scratch += hparams["eps"]
    np.divide(exp_avg, scratch, out=scratch)
    scratch *= step_size
    return np.subtract(param, scratch, out=param)


_UPDATE_RULE = r"""

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``):

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\,
                   \frac{m_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}

    ``amsgrad`` (Reddi, Kale & Kumar 2018, "On the convergence of Adam and beyond", ICLR)
    divides by the running maximum of :math:`v_t` instead, so steps never grow back.
"""


class Adam(Optimizer):
    __doc__ = r"""Adam (Kingma & Ba 2015, "Adam: a method for stochastic optimization", ICLR),
    as ``torch.optim.Adam``.""" + _UPDATE_RULE + r"""
    ``weight_decay`` adds :math:`\lambda\, \theta_{t-1}` to :math:`g_t` (L2 regularisation),
    or with ``decoupled_weight_decay=True`` shrinks the weights directly, as :class:`AdamW`.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`, the smoothing constants of the two averages.
        eps: :math:`\epsilon`, keeps the division finite.
        weight_decay: :math:`\lambda`.
        amsgrad: use the maximum of past :math:`v_t`.
        maximize: climb the objective instead of descending it.
        decoupled_weight_decay: decay the weights as AdamW does.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.Adam([w], lr=0.1)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                                  # Adam's first step is lr in every coordinate
    tensor([0.1], requires_grad=True)
    """

    rule = UpdateRule(adam_init, adam_update)

    def __init__(  # noqa: PLR0913 - torch.optim.Adam's arguments, in its order
            self, params: Params | None = None, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay})


class AdamW(Adam):
    __doc__ = r"""AdamW (Loshchilov & Hutter 2019, "Decoupled weight decay regularization", ICLR),
    as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights,
    :math:`\theta \leftarrow \theta\,(1 - \eta\lambda)`, before the Adam step, instead of
    entering the averages through the gradient.""" + _UPDATE_RULE + r"""
    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`.
        eps: :math:`\epsilon`.
        weight_decay: :math:`\lambda` (0.01 by default, as in torch).
        amsgrad: use the maximum of past :math:`v_t`.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([1.0], requires_grad=True)
    >>> opt = dc.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0).sum().backward(); opt.step()     # zero gradient: only the decay acts
    >>> w
    tensor([0.95], requires_grad=True)
    """

    def __init__(self, params: Params | None = None, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
