"""Reverse-mode automatic differentiation: grad mode, the engine, Functions, transformations.

``functional`` and ``gradcheck`` import ``descend.tensor`` and are re-exported from
``descend`` itself; this package's import stays light so ``tensor.py`` can use the engine.
"""

from descend.autograd.engine import record_backward
from descend.autograd.function import Function
from descend.autograd.mode import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)

__all__ = [
    "Function",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "record_backward",
]
