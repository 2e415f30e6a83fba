"""Repeatable training: the seed of a ``fit`` and each epoch's random generator.

Epoch ``k`` is repeatable on its own: its sample order comes from ``(seed, k)`` and its random
draws (dropout masks) from ``(seed, k, 1)``, so a run resumed at epoch ``k`` continues exactly.

>>> import numpy as np
>>> lazy = EpochGenerator((3, 1, 1))
>>> float(lazy.random()) == float(np.random.default_rng([3, 1, 1]).random())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import backend


def choose_seed(seed: int | None, initial_epoch: int, previous: int | None) -> int:
    """The seed of a fit: the one given; else, when resuming, the previous fit's; else drawn.

    A drawn seed comes from descend's generator, so ``dc.seed`` makes it repeatable.

    >>> choose_seed(7, 0, None), choose_seed(None, 3, 11)
    (7, 11)
    """
    if seed is not None:
        return seed
    if initial_epoch and previous is not None:
        return previous
    return int(backend.rng().integers(2**31))


class EpochGenerator:
    """The generator of one epoch's random draws, ``default_rng([seed, epoch, 1])``, made
    when a layer first draws from it: seeding one costs as much as a small model's training
    step, and most models (no dropout) draw nothing while training.

    >>> import numpy as np
    >>> lazy = EpochGenerator((3, 1, 1))
    >>> lazy.normal(size=2).shape
    (2,)
    """

    __slots__ = ("_generator", "_key")

    def __init__(self, key: tuple[int, int, int]) -> None:
        self._key = key
        self._generator: np.random.Generator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._generator is None:
            self._generator = np.random.default_rng(list(self._key))
        return getattr(self._generator, name)
