"""Moving a tensor to another device as an op, so gradients flow back to where it came from.

>>> import descend as dc
>>> x = dc.tensor([1.0, 2.0], requires_grad=True)
>>> y = to_device(x, "cpu")
>>> y is x
True
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.autograd.function import Function
from descend.tensors import Tensor


class ToDevice(Function):
    """The same values on another device; the gradient goes back to the source device."""

    name = "to"
    reads_inputs = False

    def __init__(self, device: backend.Device) -> None:
        self.device = device

    def forward(self, x: np.ndarray) -> np.ndarray:
        return backend.to_device(x, self.device)

    def backward(self, gy: Tensor) -> Tensor:
        return to_device(gy, self.inputs[0].device)


def to_device(x: Tensor, device: backend.DeviceLike) -> Tensor:
    """``x`` on ``device`` (``x`` itself when it is there already); see :meth:`Tensor.to`."""
    target = backend.device(device)
    return x if x.device == target else ToDevice.apply(x, device=target)
