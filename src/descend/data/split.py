"""train_test_split: hold out part of the samples for testing, as scikit-learn does.

>>> import numpy as np
>>> from descend.data import train_test_split
>>> x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
>>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, seed=0)
>>> x_train.shape, x_test.shape, y_train.shape, y_test.shape
((7, 2), (3, 2), (7,), (3,))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.data.batching import SeedLike, as_generator
from descend.data.validation import as_numeric, check_same_length


def held_out_count(test_size: float | int, n: int) -> int:
    """How many of ``n`` samples go to the test set.

    A float in (0, 1) is a fraction, rounded up (``ceil(test_size * n)``, as scikit-learn; the
    train set is then ``floor((1 - test_size) * n)``, Keras's ``validation_split`` sizes).
    An int is a count. Both sets must end up non-empty.

    >>> held_out_count(0.2, 333), held_out_count(0.3, 10), held_out_count(5, 10)
    (67, 3, 5)
    """
    if isinstance(test_size, bool) or not isinstance(test_size, int | float | np.number):
        raise TypeError(
            f"train_test_split: test_size must be a fraction in (0, 1) or a sample count, "
            f"got {type(test_size).__name__}"
        )
    if isinstance(test_size, int | np.integer):
        count = int(test_size)
    elif 0.0 < test_size < 1.0:
        # round away float noise first: 0.3 * 10 is 3.0000000000000004, which is 3 samples
        count = math.ceil(round(test_size * n, 9))
    else:
        raise ValueError(
            f"train_test_split: test_size={test_size} is not a fraction strictly between 0 and 1"
        )
    if not 1 <= count <= n - 1:
        raise ValueError(
            f"train_test_split: test_size={test_size} puts {count} of {n} samples in the test "
            "set; both the train and the test set need at least one sample"
        )
    return count


def _stratified_order(labels: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Indices with the test rows last; each class gets its share of the test set.

    Class ``c`` with ``n_c`` members gets ``floor(n_test * n_c / n)`` test rows, and the rows
    left over go to the classes with the largest remainders, so every class's test count is
    within one of its exact share.
    """
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        rare = classes[counts.argmin()].item()
        raise ValueError(
            f"train_test_split: class {rare!r} of stratify has only {counts.min()} sample; "
            "every class needs at least 2 to appear in both the train and the test set"
        )
    share = n_test * counts / len(labels)
    per_class = np.floor(share).astype(int)
    leftover = n_test - per_class.sum()
    per_class[np.argsort(-(share - per_class), kind="stable")[:leftover]] += 1
    train, test = [], []
    for c, k in enumerate(per_class):
        members = rng.permutation(np.flatnonzero(inverse == c))
        test.append(members[:k])
        train.append(members[k:])
    return np.concatenate([rng.permutation(np.concatenate(train)),
                           rng.permutation(np.concatenate(test))])


def train_test_split(
    *arrays: Any,
    test_size: float | int = 0.25,
    shuffle: bool = True,
    seed: SeedLike = None,
    stratify: Any = None,
) -> list[np.ndarray]:
    """Split arrays that share a first (sample) axis into a train part and a test part.

    Args:
        *arrays: one or more arrays of shape ``(n, ...)``, e.g. ``x`` ``(n, features)`` and
            ``y`` ``(n,)``; the same rows are picked from each.
        test_size: fraction of the samples in (0, 1) (rounded up) or a number of samples.
        shuffle: pick the test rows at random (True) or take the last rows (False, which is
            how Keras's ``validation_split`` holds data out).
        seed: ``None`` (descend's generator, see ``dc.seed``), an ``int`` or a
            ``np.random.Generator``.
        stratify: class labels ``(n,)``; if given, each class is represented in the test set
            in proportion to its size (to within one sample). Needs ``shuffle=True``.

    Returns:
        ``[a_train, a_test, b_train, b_test, ...]`` for the arrays ``a, b, ...`` in order
        (scikit-learn's order: ``x_train, x_test, y_train, y_test``).

    Raises:
        ValueError: if no array is given, the lengths differ, ``test_size`` leaves a part
            empty, or ``stratify`` is given with ``shuffle=False``.

    >>> import numpy as np
    >>> a_train, a_test = train_test_split(np.arange(5), test_size=2, shuffle=False)
    >>> a_train.tolist(), a_test.tolist()
    ([0, 1, 2], [3, 4])
    """
    if not arrays:
        raise ValueError("train_test_split: expected at least one array to split, got none")
    data = [as_numeric(a, f"argument {i + 1}", "train_test_split") for i, a in enumerate(arrays)]
    if any(a.ndim == 0 for a in data):
        raise ValueError("train_test_split: every array needs a first (sample) axis; got a scalar")
    named = {f"argument {i + 1}": a for i, a in enumerate(data)}
    if stratify is not None:
        named["stratify"] = np.asarray(stratify)
        if named["stratify"].ndim != 1:
            raise ValueError(
                f"train_test_split: stratify must be 1-D class labels of shape (n,), got shape "
                f"{named['stratify'].shape}; for one-hot labels pass labels.argmax(axis=1)"
            )
    n = check_same_length(named, "train_test_split")
    n_test = held_out_count(test_size, n)
    if stratify is not None and not shuffle:
        raise ValueError(
            "train_test_split: stratify needs shuffle=True (a stratified split picks rows "
            "from every class at random)"
        )
    if not shuffle:
        order = np.arange(n)
    else:
        rng = as_generator(seed, where="train_test_split")
        order = (rng.permutation(n) if stratify is None
                 else _stratified_order(named["stratify"], n_test, rng))
    train, test = order[: n - n_test], order[n - n_test :]
    return [part for a in data for part in (a[train], a[test])]
