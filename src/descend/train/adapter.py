"""Turn what users pass to ``fit``/``evaluate``/``predict`` into checked datasets of batches.

Accepted: NumPy arrays or nested lists (``x`` and ``y``), a :class:`descend.data.Dataset`, or
an iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches: a list (or an object whose
``__iter__`` starts over) serves every epoch, a one-shot iterator (a generator) one epoch.
Arrays are checked once, before any training: equal lengths, no NaN/inf, not empty; floating
inputs are cast once to the model's dtype.

>>> import numpy as np
>>> from descend.train.adapter import split_validation
>>> train, val = split_validation(Dataset(np.arange(10.0), np.arange(10.0)), 0.2)
>>> len(train), len(val), val.x.tolist()
(8, 2, [8.0, 9.0])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from descend.data import Dataset
from descend.tensors import Tensor
from descend.train.checks import check_like_first

Batch = tuple[np.ndarray, ...]


class BatchSource:
    """The user's own batches: a re-iterable (a list: read every epoch) or a one-shot iterator.

    Each batch is ``(x, y)``, ``(x, y, sample_weight)`` or ``(x,)``, checked (numeric, finite,
    equal lengths, the first batch's parts and shapes past the batch axis) and cast to the
    model's dtype like arrays are: the batches of a list or tuple all at once, here, before
    any training; those of other iterables as they are read, each before its own step.
    A one-shot iterator (a generator) can feed one epoch only: ``fit`` refuses it for more.

    What a generator can and cannot promise: ``fit`` cannot read a generator ahead, so a bad
    batch is found only when it is read. It is then refused before its step, so it changes no
    weight, but the good batches before it have trained (and callbacks have seen them). To
    have every batch checked before any training, pass a list of batches, a
    ``dc.data.Dataset`` or arrays.

    >>> import numpy as np
    >>> source = BatchSource(iter([(np.ones((2, 3)), np.zeros(2))]), "fit", np.float32)
    >>> source.one_shot, source.first()[0].dtype, len(list(source))
    (True, dtype('float32'), 1)
    """

    def __init__(self, batches: Iterable[Any], where: str, dtype: np.dtype) -> None:
        self.where, self.dtype = where, dtype
        # A list or tuple is checked (and cast) whole, now; other iterables batch by batch.
        self.batches: Iterable[Any] = list(self._checked(iter(batches))) if isinstance(
            batches, list | tuple) else batches
        self.one_shot = iter(self.batches) is self.batches
        self._first: Batch | None = None
        self._read = False

    def _checked(self, batches: Iterator[Any], start: int = 0) -> Iterator[Batch]:
        first = getattr(self, "_first", None)  # (None while the first batch is read)
        for i, batch in enumerate(batches, start):
            if not isinstance(batch, tuple | list) or not 1 <= len(batch) <= 3:
                raise ValueError(f"{self.where}: batch {i} must be a tuple (x, y) or (x, y, "
                                 f"sample_weight), got {type(batch).__name__}")
            try:
                data = Dataset(*batch)
            except (ValueError, TypeError) as err:
                raise type(err)(f"{self.where}: batch {i}: {_plain(err)}") from None
            checked = (cast_inputs(data.x, self.dtype), cast_targets(data.y, self.dtype),
                       data.sample_weight)[:len(batch)]
            first = check_like_first(first, checked, i, self.where)
            yield checked

    def first(self) -> Batch | None:
        """The first batch (None if there is none); a one-shot iterator still yields it.

        >>> import numpy as np
        >>> BatchSource([(np.zeros((2, 1)), np.ones(2))], "fit", np.float32).first()[1]
        array([1., 1.], dtype=float32)
        """
        if self._first is None:
            source = self._checked(iter(self.batches)) if self.one_shot else iter(self)
            self._first = next(source, None)
        return self._first

    def __iter__(self) -> Iterator[Batch]:
        if isinstance(self.batches, list):
            return iter(self.batches)
        if not self.one_shot:
            return self._checked(iter(self.batches))
        if self._read:
            raise ValueError(f"{self.where}: the iterator of batches has been read to the end "
                             "already; pass a list of batches or a dc.data.Dataset to use it "
                             "again")
        self._read = True
        first = self.first()
        return itertools.chain(() if first is None else (first,),
                               self._checked(self.batches, start=1))

    def __len__(self) -> int:
        """The number of batches when known (a list), else 0."""
        try:
            return len(self.batches)  # type: ignore[arg-type]
        except TypeError:
            return 0


def _plain(err: Exception) -> str:
    """An error message without the ``Dataset: `` prefix (the caller names itself instead)."""
    return str(err).removeprefix("Dataset: ")


def as_array(data: Any, name: str, where: str) -> np.ndarray:
    """``data`` (array, list, Tensor) as a NumPy array with a clear error for anything else.

    >>> as_array([[1, 2], [3, 4]], "x", "fit").shape
    (2, 2)
    >>> as_array({"a": 1}, "x", "fit")
    Traceback (most recent call last):
    ...
    TypeError: fit: x must be an array or a list of numbers, got dict
    """
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, str | bytes | dict):
        raise TypeError(f"{where}: {name} must be an array or a list of numbers, got "
                        f"{type(data).__name__}")
    try:
        return np.asarray(data)
    except ValueError:
        raise ValueError(f"{where}: {name} must be rectangular (every row the same length)"
                         ) from None


def make_dataset(x: Any, y: Any, sample_weight: Any, where: str,
                 dtype: np.dtype) -> Dataset | BatchSource:
    """A checked :class:`Dataset` (or a :class:`BatchSource`) from ``fit``-style arguments.

    >>> import numpy as np
    >>> make_dataset([[1.0], [2.0]], [0, 1], None, "fit", np.dtype("float32"))
    Dataset(2 samples: x=(2, 1) float32, y=(2,) int64)
    >>> type(make_dataset([(np.ones((2, 1)), np.ones(2))], None, None, "fit",
    ...                   np.dtype("float32"))).__name__
    'BatchSource'
    """
    if isinstance(x, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(f"{where}: give y and sample_weight inside the Dataset, not "
                             "beside it")
        return Dataset(cast_inputs(x.x, dtype), cast_targets(x.y, dtype), x.sample_weight)
    if x is None:
        raise ValueError(f"{where}: no data given; pass x and y arrays or a dc.data.Dataset")
    if _is_batches(x):
        if y is not None or sample_weight is not None:
            raise ValueError(f"{where}: x is an iterable of batches, so y and sample_weight "
                             "belong inside each batch: (x, y) or (x, y, sample_weight)")
        return BatchSource(x, where, dtype)
    x_array = as_array(x, "x", where)
    y_array = None if y is None else as_array(y, "y", where)
    try:
        return Dataset(cast_inputs(x_array, dtype), cast_targets(y_array, dtype), sample_weight)
    except (ValueError, TypeError) as err:
        raise type(err)(f"{where}: {_plain(err)}") from None


def _is_batches(x: Any) -> bool:
    """Whether ``x`` is an iterable of batches (tuples) rather than data rows."""
    if isinstance(x, np.ndarray | Tensor | str | bytes | dict):
        return False
    if isinstance(x, list | tuple):
        return bool(x) and isinstance(x[0], tuple)
    return isinstance(x, Iterable)


def cast_inputs(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Floating inputs in the model's dtype (integer inputs, e.g. token ids, stay integers).

    >>> cast_inputs(np.array([1.5]), np.float32).dtype, cast_inputs(np.array([3]), np.float32).dtype
    (dtype('float32'), dtype('int64'))
    """
    if x.dtype.kind == "f" and x.dtype != dtype:
        return x.astype(dtype)
    if x.dtype.kind == "b":
        return x.astype(dtype)
    return x


def cast_targets(y: np.ndarray | None, dtype: np.dtype) -> np.ndarray | None:
    """Floating targets in the model's dtype; integer labels stay integers.

    >>> cast_targets(np.array([0.5]), np.float32).dtype, cast_targets(None, np.float32)
    (dtype('float32'), None)
    """
    if y is not None and y.dtype.kind == "f" and y.dtype != dtype:
        return y.astype(dtype)
    return y


def validation_start(n: int, fraction: float) -> int:
    """Where the held-out rows begin: the last ``fraction`` of ``n`` rows validate (Keras's
    ``validation_split`` rule, ``floor(n · (1 − fraction))`` rows train).

    >>> validation_start(333, 0.2)
    266
    """
    return math.floor(n * (1.0 - fraction))


def split_validation(data: Dataset, fraction: float) -> tuple[Dataset, Dataset]:
    """Hold out the last ``fraction`` of the samples (before any shuffling, as Keras does).

    >>> train, held_out = split_validation(Dataset(np.arange(5.0), np.arange(5.0)), 0.4)
    >>> train.x.tolist(), held_out.x.tolist()
    ([0.0, 1.0, 2.0], [3.0, 4.0])
    """
    n = len(data)
    split_at = validation_start(n, fraction)
    if split_at <= 0 or split_at >= n:
        raise ValueError(
            f"fit: validation_split={fraction} of {n} samples leaves "
            f"{split_at} for training and {n - split_at} for validation; both need at least one"
        )
    return data.subset(slice(0, split_at)), data.subset(slice(split_at, None))


def validation_dataset(validation_data: Any, dtype: np.dtype) -> Dataset:
    """``validation_data`` given as ``(x, y)``, ``(x, y, sample_weight)`` or a Dataset.

    >>> validation_dataset(([[1.0]], [2.0], [0.5]), np.float32).sample_weight
    array([0.5])
    """
    if isinstance(validation_data, Dataset):
        return Dataset(cast_inputs(validation_data.x, dtype),
                       cast_targets(validation_data.y, dtype), validation_data.sample_weight)
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
        raise ValueError("fit: validation_data must be (x_val, y_val), (x_val, y_val, "
                         "sample_weight) or a dc.data.Dataset")
    x_val = as_array(validation_data[0], "x", "fit (validation_data)")
    data = make_dataset(x_val, validation_data[1],
                        validation_data[2] if len(validation_data) == 3 else None,
                        "fit (validation_data)", dtype)
    if not isinstance(data, Dataset) or data.y is None:
        raise ValueError("fit: validation_data needs targets: (x_val, y_val)")
    return data


def class_weights_to_samples(y: np.ndarray, class_weight: Mapping[int, float]) -> np.ndarray:
    """One weight per sample from ``{class: weight}`` (labels, one-hot rows or 0/1 columns).

    >>> class_weights_to_samples(np.array([0, 1, 1]), {0: 1.0, 1: 3.0})
    array([1., 3., 3.])
    """
    if not isinstance(class_weight, Mapping) or not class_weight:
        raise ValueError("fit: class_weight must be a non-empty dict {class index: weight}")
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = y.reshape(-1, y.shape[-1]).argmax(axis=-1)
    else:
        labels = np.rint(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    weights = np.ones(len(labels), dtype=np.float64)
    present = set(np.unique(labels).tolist())
    for label, weight in class_weight.items():
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"fit: class_weight[{label}] must be a non-negative number, "
                             f"got {weight!r}")
        weights[labels == int(label)] = weight
    unknown = present - {int(k) for k in class_weight}
    if unknown:
        raise ValueError(f"fit: class_weight has no weight for class(es) {sorted(unknown)} "
                         "that appear in y")
    return weights


def match_target_shape(y: np.ndarray | None, output_shape: tuple | None) -> np.ndarray | None:
    """A 1-D ``y`` becomes a column when the model has one output per sample (Keras does this).

    >>> match_target_shape(np.zeros(4), (None, 1)).shape, match_target_shape(np.zeros(4),
    ...                                                                      (None, 3)).shape
    ((4, 1), (4,))
    """
    if y is None or output_shape is None or y.ndim != 1:
        return y
    if len(output_shape) == 2 and output_shape[-1] == 1:
        return y[:, None]
    return y
