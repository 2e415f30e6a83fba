"""Anomaly mode: name the first op whose value or gradient is not finite, and where it was made.

:class:`detect_anomaly` adds two hooks while it is on: one after each recorded op's forward
(it notes the user's line that made the op and checks the value) and one after each op's
backward (it checks the gradients passed back). Nothing else in the core knows about it.
"""

from __future__ import annotations

import contextlib
import os
import traceback

import numpy as np

from descend.autograd import engine, function
from descend.autograd.function import Function
from descend.tensors import Tensor

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - torch's name
    """Check every op's output and gradient for NaN/inf and name the first op that made one.

    Slower (each op records where it was created and checks its arrays); use it to debug.

    >>> import descend as dc
    >>> x = dc.tensor([0.0], requires_grad=True)
    >>> with dc.detect_anomaly():
    ...     try:
    ...         (x.log() * 0).sum().backward()
    ...     except FloatingPointError as err:
    ...         print(str(err).splitlines()[0])
    anomaly: the forward value of 'log' is not finite (1 of 1 values are NaN/inf)
    """

    def __enter__(self) -> detect_anomaly:
        function.forward_hooks.append(check_forward)
        engine.backward_hooks.append(check_backward)
        return self

    def __exit__(self, *exc: object) -> None:
        function.forward_hooks.remove(check_forward)
        engine.backward_hooks.remove(check_backward)


def is_anomaly_enabled() -> bool:
    """Whether :class:`detect_anomaly` is active.

    >>> import descend as dc
    >>> dc.autograd.is_anomaly_enabled()
    False
    """
    return check_backward in engine.backward_hooks


def check_forward(fn: Function, out: Tensor) -> None:
    """Note where a recorded op was made and check its value (the forward hook)."""
    if fn.inputs is not None:
        fn.created_at = user_frame()
        check_finite(out.data, f"the forward value of '{fn.name}'", fn)


def check_backward(fn: Function, output: Tensor, gy: Tensor,
                   gxs: tuple[Tensor | None, ...]) -> None:
    """Check the gradients an op's backward passes back (the backward hook)."""
    for gx in gxs:
        if gx is not None:
            check_finite(gx.data, f"the gradient that '{fn.name}' passes back", fn)


def user_frame() -> str:
    """``file:line in function`` of the innermost stack frame outside the descend package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return "<unknown>"


def check_finite(data: np.ndarray, what: str, fn: Function) -> None:
    """Raise ``FloatingPointError`` naming ``what`` and where ``fn`` was created, if NaN/inf."""
    if data.dtype.kind != "f" or np.isfinite(data).all():
        return
    bad = int(data.size - np.isfinite(data).sum())
    raise FloatingPointError(
        f"anomaly: {what} is not finite ({bad} of {data.size} values are NaN/inf)\n"
        f"  the op '{fn.name}' was created at {fn.created_at or '<unknown>'}"
    )
