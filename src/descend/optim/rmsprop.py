"""RMSprop: divide by a running root-mean-square of the gradients (``RMSprop``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import add_scaled_square_, coupled_grad, empty_like, lerp_, zeros_like
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def rmsprop_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """RMSprop's state: ``square_avg``, plus ``momentum_buffer`` and ``grad_avg`` when used.

    >>> import numpy as np
    >>> sorted(rmsprop_init(np.zeros(2), {"momentum": 0.9, "centered": True}))
    ['grad_avg', 'momentum_buffer', 'square_avg', 'step']
    """
    state: dict[str, Any] = {"step": 0, "square_avg": zeros_like(param)}
    if hparams["momentum"] > 0:
        state["momentum_buffer"] = zeros_like(param)
    if hparams["centered"]:
        state["grad_avg"] = zeros_like(param)
    return state


def rmsprop_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
                   hparams: Mapping[str, Any]) -> np.ndarray:
    """One RMSprop step, in place on ``param`` and the state arrays; returns ``param``.

    >>> import numpy as np
    >>> from descend.optim.rmsprop import rmsprop_init, rmsprop_update
    >>> hp = {"lr": 0.01, "alpha": 0.99, "eps": 0.0, "weight_decay": 0.0, "momentum": 0.0,
    ...       "centered": False, "maximize": False}
    >>> w = np.array([0.0]); state = rmsprop_init(w, hp)
    >>> rmsprop_update(np.array([1.0]), state, w, hp)      # 0.01 · 1 / sqrt(0.01)
    array([-0.1])
    """
    state["step"] += 1
    g = coupled_grad(grad, param, hparams)
    alpha = hparams["alpha"]
    scratch = empty_like(param)
    square_avg = add_scaled_square_(state["square_avg"], alpha, g, scratch)
    if hparams["centered"]:
        grad_avg = state.setdefault("grad_avg", zeros_like(param))
        lerp_(grad_avg, g, 1.0 - alpha, scratch)
        np.multiply(grad_avg, grad_avg, out=scratch)
        np.subtract(square_avg, scratch, out=scratch)
        np.sqrt(scratch, out=scratch)
    else:
        np.sqrt(square_avg, out=scratch)
    scratch += hparams["eps"]
    np.divide(g, scratch, out=scratch)
    momentum = hparams["momentum"]
    if momentum > 0:
        buf = state.setdefault("momentum_buffer", zeros_like(param))
        buf *= momentum
        buf += scratch
        np.multiply(buf, hparams["lr"], out=scratch)
    else:
        scratch *= hparams["lr"]
    return np.subtract(param, scratch, out=param)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Srivastava & Swersky 2012, "Neural networks for machine learning",
    lecture 6e; centered variant: Graves 2013, "Generating sequences with recurrent neural
    networks", arXiv:1308.0850), as ``torch.optim.RMSprop``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``, plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}`):

    .. math::
        v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \quad
        d_t = \frac{g_t}{\sqrt{v_t - \bar g_t^2} + \epsilon}, \quad
        \theta_t = \theta_{t-1} - \eta\, d_t

    where :math:`\bar g_t = \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t` is subtracted only
    when ``centered`` (the square root then estimates the gradient's standard deviation). With
    ``momentum`` :math:`\mu > 0` the step is :math:`\eta\, b_t` with
    :math:`b_t = \mu\, b_{t-1} + d_t`.

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: :math:`\eta`.
        alpha: :math:`\alpha`, the smoothing constant of the averages.
        eps: :math:`\epsilon`, keeps the division finite.
        weight_decay: L2 penalty added to the gradient.
        momentum: :math:`\mu`.
        centered: divide by the estimated standard deviation instead of the RMS.
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.RMSprop([w], lr=0.01)
    >>> ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                                  # 0.01 · g / sqrt(0.01 g²) = 0.1
    tensor([0.1], requires_grad=True)
    """

    rule = UpdateRule(rmsprop_init, rmsprop_update)

    def __init__(  # noqa: PLR0913 - torch.optim.RMSprop's arguments, in its order
            self, params: Params | None = None, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize})
