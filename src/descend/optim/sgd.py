"""Stochastic gradient descent, with momentum and Nesterov momentum (``SGD``).

The update rule as plain functions on NumPy arrays, and the torch-style class around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.optim._kernels import coupled_grad
from descend.optim.optimizer import Optimizer, Params, UpdateRule


def sgd_init(param: np.ndarray, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """SGD's state: only the step count; ``momentum_buffer`` appears at the first step.

    >>> import numpy as np
    >>> sgd_init(np.zeros(2), {})
    {'step': 0}
    """
    return {"step": 0}


def sgd_update(grad: np.ndarray, state: dict[str, Any], param: np.ndarray,
               hparams: Mapping[str, Any]) -> np.ndarray:
    """One SGD step, in place on ``param`` and ``state["momentum_buffer"]``; returns ``param``.

    Args:
        grad, param: arrays of the same shape (and dtype).
        state: from :func:`sgd_init`.
        hparams: ``lr``, ``momentum``, ``dampening``, ``weight_decay``, ``nesterov``,
            ``maximize`` (as :class:`SGD` takes them).

    >>> import numpy as np
    >>> from descend.optim.sgd import sgd_init, sgd_update
    >>> w = np.array([0.0]); hp = {"lr": 0.1, "momentum": 0.0, "dampening": 0.0,
    ...                             "weight_decay": 0.0, "nesterov": False, "maximize": False}
    >>> state = sgd_init(w, hp)
    >>> sgd_update(2 * (w - 3), state, w, hp)       # one step on (w - 3)²
    array([0.6])
    """
    state["step"] += 1
    g = coupled_grad(grad, param, hparams)
    direction = g
    momentum = hparams["momentum"]
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.copy()
        else:
            buf *= momentum
            dampening = hparams["dampening"]
            buf += g if dampening == 0 else np.multiply(g, 1.0 - dampening)
        if hparams["nesterov"]:
            direction = np.multiply(buf, momentum)
            direction += g
        else:
            direction = buf
    param -= direction * param.dtype.type(hparams["lr"])  # lr in param's dtype (torch's alpha)
    return param


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Update rule, with :math:`g_t` the gradient (negated when ``maximize``) plus
    ``weight_decay`` :math:`\cdot\,\theta_{t-1}`:

    .. math::
        b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t \quad (b_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \eta\, d_t

    with :math:`d_t = g_t` without momentum, :math:`d_t = b_t` with momentum :math:`\mu`,
    and :math:`d_t = g_t + \mu\, b_t` with ``nesterov=True``; :math:`\tau` is ``dampening``.
    Plain gradient descent is SGD on the full batch. Momentum: Polyak 1964, "Some methods of
    speeding up the convergence of iteration methods"; Nesterov momentum: Sutskever et al.
    2013, "On the importance of initialization and momentum in deep learning" (ICML).

    Args:
        params: Tensors or parameter-group dicts; omit to bind later (``model.compile``).
        lr: the learning rate :math:`\eta`.
        momentum: :math:`\mu` (0 turns momentum off).
        dampening: :math:`\tau`, how much of each new gradient the buffer leaves out.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: climb the objective instead of descending it.

    >>> import descend as dc
    >>> w = dc.tensor([0.0], requires_grad=True)
    >>> opt = dc.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); ((w - 3) ** 2).sum().backward(); opt.step()
    >>> w                       # 0.6, then 0.6 + 0.1·(0.9·6 + 4.8)
    tensor([1.62], requires_grad=True)
    """

    rule = UpdateRule(sgd_init, sgd_update)

    def __init__(self, params: Params | None = None, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize})

    def _check_group(self, group: Mapping[str, Any]) -> None:
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r} and "
                             f"dampening={group['dampening']!r}")
