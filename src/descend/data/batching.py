"""Cutting ``n`` samples into mini-batches, shuffled reproducibly.

Where a shuffle's randomness comes from is decided by ``seed``:

* ``None`` -- draw from descend's generator (:func:`descend.backend.rng`), so ``dc.seed(n)``
  repeats the whole run;
* an ``int`` -- the order of epoch ``k`` is ``np.random.default_rng([seed, k]).permutation(n)``.
  It depends only on ``(seed, epoch)``, not on what ran before, so a run resumed at epoch
  ``k`` sees exactly the batches an uninterrupted run would have seen;
* a ``np.random.Generator`` -- draw from it (its state advances); save
  ``generator.bit_generator.state`` to resume the same sequence later.

>>> from descend.data.batching import batch_indices
>>> [b.tolist() for b in batch_indices(5, 2)]
[[0, 1], [2, 3], [4]]
>>> [b.tolist() for b in batch_indices(5, 2, shuffle=True, seed=0, epoch=3)]
[[3, 0], [2, 1], [4]]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from descend import backend

SeedLike = int | np.random.Generator | None


def _non_negative_int(value: object, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def as_generator(seed: SeedLike, *, where: str = "shuffle") -> np.random.Generator:
    """The generator a shuffle draws from: descend's for ``None``, a fresh one for an ``int``.

    Args:
        seed: ``None``, a non-negative ``int`` or a ``np.random.Generator`` (returned as is).
        where: the caller's name, for error messages.

    >>> import numpy as np
    >>> int(as_generator(7).integers(100)) == int(np.random.default_rng(7).integers(100))
    True
    """
    if seed is None:
        return backend.rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"{where}: seed must be None, a non-negative int or a np.random.Generator, "
            f"got {type(seed).__name__}"
        )
    return np.random.default_rng(_non_negative_int(seed, "seed", where))


def sample_order(
    n: int, *, shuffle: bool = False, seed: SeedLike = None, epoch: int = 0
) -> np.ndarray:
    """The order in which an epoch visits ``n`` samples: ``arange(n)`` or a permutation of it.

    Args:
        n: number of samples.
        shuffle: permute (True) or keep the stored order (False).
        seed: where the permutation comes from (see the module docstring).
        epoch: mixed into an ``int`` seed so that every epoch gets its own order; only
            allowed with an ``int`` seed.

    Returns:
        An int64 array of shape ``(n,)``.

    >>> sample_order(4, shuffle=True, seed=1).tolist() == sample_order(
    ...     4, shuffle=True, seed=1, epoch=0).tolist()
    True
    """
    epoch = _non_negative_int(epoch, "epoch", "batches")
    if epoch and not (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        raise ValueError(
            f"batches: epoch={epoch} only applies to an int seed (the order of epoch k is "
            "default_rng([seed, k]).permutation(n)); with a Generator or seed=None the "
            "generator's own state carries the sequence from epoch to epoch"
        )
    if not shuffle:
        return np.arange(n)
    if isinstance(seed, np.random.Generator) or seed is None:
        return as_generator(seed, where="batches").permutation(n)
    _non_negative_int(seed, "seed", "batches")
    return np.random.default_rng([int(seed), epoch]).permutation(n)


def check_batch_size(batch_size: object, where: str = "batches") -> int:
    """``batch_size`` as an int, or a ``ValueError`` unless it is a positive integer.

    >>> check_batch_size(0)
    Traceback (most recent call last):
    ...
    ValueError: batches: batch_size must be a positive integer (samples per batch), got 0
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or (
        batch_size <= 0
    ):
        raise ValueError(
            f"{where}: batch_size must be a positive integer (samples per batch), "
            f"got {batch_size!r}"
        )
    return int(batch_size)


def num_batches(n: int, batch_size: int, *, drop_last: bool = False) -> int:
    """How many batches :func:`batch_indices` yields for ``n`` samples.

    >>> num_batches(10, 4), num_batches(10, 4, drop_last=True)
    (3, 2)
    """
    batch_size = check_batch_size(batch_size)
    return n // batch_size if drop_last else -(-n // batch_size)


def batch_indices(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: SeedLike = None,
    epoch: int = 0,
    drop_last: bool = False,
) -> Iterator[np.ndarray]:
    """The sample indices of each mini-batch of one epoch, in order.

    Arguments are checked and the order is drawn when this is called, not on first iteration.

    Args:
        n: number of samples.
        batch_size: samples per batch (a positive integer); the last batch may be smaller.
        shuffle: visit the samples in a random order.
        seed: where the order comes from: ``None``, an ``int`` or a ``np.random.Generator``
            (see the module docstring).
        epoch: the epoch number, mixed into an ``int`` seed.
        drop_last: skip a final batch smaller than ``batch_size``.

    Returns:
        An iterator over int64 arrays of shape ``(batch_size,)`` (the last one possibly shorter).

    >>> [b.tolist() for b in batch_indices(5, 2, drop_last=True)]
    [[0, 1], [2, 3]]
    """
    batch_size = check_batch_size(batch_size)
    order = sample_order(n, shuffle=shuffle, seed=seed, epoch=epoch)
    stop = num_batches(n, batch_size, drop_last=drop_last) * batch_size
    return (order[start : start + batch_size] for start in range(0, stop, batch_size))
