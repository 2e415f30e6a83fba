"""Reverse-mode automatic differentiation: grad mode, Functions, the engine, anomaly mode.

``functional`` and ``gradcheck`` are re-exported from ``descend`` itself.
"""

from descend.autograd.anomaly import detect_anomaly, is_anomaly_enabled
from descend.autograd.engine import record_backward
from descend.autograd.function import Function
from descend.autograd.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "record_backward",
    "set_grad_enabled",
]
