"""Dataset: inputs, targets and sample weights kept aligned, checked once, served in batches.

>>> import numpy as np
>>> from descend.data import Dataset
>>> ds = Dataset(np.arange(10.0).reshape(5, 2), np.arange(5))
>>> len(ds)
5
>>> for xb, yb in ds.batches(2):
...     print(xb.shape, yb.tolist())
(2, 2) [0, 1]
(2, 2) [2, 3]
(1, 2) [4]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from descend.data.batching import SeedLike, batch_indices, num_batches
from descend.data.validation import as_samples, check_same_length


def _weights(sample_weight: Any) -> np.ndarray:
    weights = as_samples(sample_weight, "sample_weight", "Dataset")
    if weights.ndim != 1:
        raise ValueError(
            f"Dataset: sample_weight must be 1-D, one weight per sample, got shape {weights.shape}"
        )
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        raise ValueError(
            f"Dataset: sample_weight must be non-negative; row {negative[0]} has "
            f"{weights[negative[0]]}"
        )
    return weights


class Dataset:
    """NumPy arrays that share a first (sample) axis: ``x``, optionally ``y`` and ``sample_weight``.

    The arrays are checked when the dataset is made: numeric, non-empty, the same number of
    samples, and no NaN or infinity. They are not copied, and keep their dtype.

    Args:
        x: inputs, shape ``(n, ...)``, e.g. ``(n, features)`` or ``(n, channels, h, w)``.
        y: targets, shape ``(n, ...)``, e.g. ``(n,)`` class labels or ``(n, outputs)``.
        sample_weight: one non-negative weight per sample, shape ``(n,)``.

    Raises:
        TypeError: if an array is not numeric.
        ValueError: if an array is empty, holds NaN/inf, or the lengths differ.

    Attributes:
        x, y, sample_weight: the arrays (``y`` and ``sample_weight`` may be None).
        arrays: the arrays that were given, in the order ``(x, y, sample_weight)``.

    >>> import numpy as np
    >>> Dataset(np.ones((3, 2)), np.ones(4))
    Traceback (most recent call last):
    ...
    ValueError: Dataset: x has 3 samples but y has 4; all arrays need the same length ...
    """

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None) -> None:
        named = {"x": as_samples(x, "x", "Dataset")}
        if y is not None:
            named["y"] = as_samples(y, "y", "Dataset")
        if sample_weight is not None:
            named["sample_weight"] = _weights(sample_weight)
        self._length = check_same_length(named, "Dataset")
        self.x: np.ndarray = named["x"]
        self.y: np.ndarray | None = named.get("y")
        self.sample_weight: np.ndarray | None = named.get("sample_weight")
        self.arrays: tuple[np.ndarray, ...] = tuple(named.values())

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        """The rows at ``index`` (an int, a slice, an index array or a mask) of every array.

        >>> import numpy as np
        >>> Dataset(np.arange(6).reshape(3, 2), np.array([7, 8, 9]))[1]
        (array([2, 3]), np.int64(8))
        """
        return tuple(array[index] for array in self.arrays)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{name}={array.shape} {array.dtype}"
            for name, array in zip(("x", "y", "sample_weight"), self.arrays)
        )
        return f"Dataset({len(self)} samples: {parts})"

    def subset(self, index: Any) -> Dataset:
        """A dataset of the rows at ``index`` (e.g. the last 20% held out for validation).

        >>> import numpy as np
        >>> Dataset(np.arange(10.0), np.arange(10)).subset(slice(8, None))
        Dataset(2 samples: x=(2,) float64, y=(2,) int64)
        """
        return Dataset(*self[index])

    def num_batches(self, batch_size: int, *, drop_last: bool = False) -> int:
        """How many batches :meth:`batches` yields per epoch.

        >>> import numpy as np
        >>> Dataset(np.zeros((333, 12))).num_batches(40)
        9
        """
        return num_batches(len(self), batch_size, drop_last=drop_last)

    def batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: SeedLike = None,
        epoch: int = 0,
        drop_last: bool = False,
    ) -> Iterator[tuple[np.ndarray, ...]]:
        """One epoch of mini-batches: tuples like :attr:`arrays`, each cut to ``batch_size`` rows.

        Args:
            batch_size: samples per batch, a positive integer. The last batch holds the
                remainder unless ``drop_last``.
            shuffle: visit the samples in a random order (a new one every epoch).
            seed: where the order comes from. ``None``: descend's generator (``dc.seed``).
                An ``int``: epoch ``k`` uses ``np.random.default_rng([seed, k])``, so its
                order depends only on ``(seed, epoch)`` and a resumed run repeats it. A
                ``np.random.Generator``: drawn from, its state advancing epoch by epoch.
            epoch: the epoch number mixed into an ``int`` seed (only allowed with one).
            drop_last: skip a final batch smaller than ``batch_size``.

        Returns:
            An iterator of tuples ``(x_batch,)``, ``(x_batch, y_batch)`` or
            ``(x_batch, y_batch, weight_batch)``: row ``i`` of each is the same sample.

        Raises:
            ValueError: if ``batch_size`` is not a positive integer (raised on the call).

        >>> import numpy as np
        >>> ds = Dataset(np.arange(6), np.arange(6) * 10)
        >>> [yb.tolist() for _, yb in ds.batches(4, shuffle=True, seed=0, epoch=1)]
        [[10, 40, 30, 0], [20, 50]]
        """
        indices = batch_indices(
            len(self), batch_size, shuffle=shuffle, seed=seed, epoch=epoch, drop_last=drop_last
        )
        return (self[index] for index in indices)
