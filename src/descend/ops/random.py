"""Random draws as ops, so that a compiled step (``dc.jit``) draws afresh on every replay.

>>> import descend as dc
>>> dc.seed(0)
>>> DropoutMask.apply(shape=(4,), rate=0.5, dtype="float32").numpy()
array([2., 0., 0., 0.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import backend
from descend.autograd.function import Function


class DropoutMask(Function):
    """Inverted dropout's mask: 0 with probability ``rate``, else 1/(1 − rate) (no inputs).

    It draws from ``descend.backend.rng()`` when applied, so ``dc.seed`` repeats it, and the
    mask is copied to ``device``: the same seed drops the same elements on every device.
    """

    name = "dropout_mask"

    def __init__(self, shape: tuple[int, ...], rate: float, dtype: Any,
                 device: backend.DeviceLike = "cpu") -> None:
        self.shape, self.rate, self.dtype = shape, rate, np.dtype(dtype)
        self.device = device

    def forward(self) -> np.ndarray:
        keep = backend.rng().random(self.shape) >= self.rate
        mask = keep * np.asarray(1.0 / (1.0 - self.rate), dtype=self.dtype)
        return backend.to_device(mask, self.device)
