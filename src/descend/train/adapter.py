"""Turn what users pass to ``fit``/``evaluate``/``predict`` into checked datasets of batches.

Accepted: NumPy arrays or nested lists (``x`` and ``y``), a :class:`descend.data.Dataset`, or a
re-iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches (a list, or an object whose
``__iter__`` starts over). Arrays are checked once, before any training: equal lengths, no
NaN/inf, not empty; floating inputs are cast once to the model's dtype.

>>> import numpy as np
>>> from descend.train.adapter import split_validation
>>> train, val = split_validation(Dataset(np.arange(10.0), np.arange(10.0)), 0.2)
>>> len(train), len(val), val.x.tolist()
(8, 2, [8.0, 9.0])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from descend.data import Dataset

Batch = tuple[np.ndarray, ...]


class BatchSource:
    """A re-iterable of user batches (validated lazily, batch by batch)."""

    def __init__(self, batches: Iterable[Any], where: str) -> None:
        if iter(batches) is batches:
            raise TypeError(
                f"{where}: got an iterator, which can be read only once; pass a list of "
                "batches, a dc.data.Dataset, or arrays x and y"
            )
        self.batches, self.where = batches, where

    def __iter__(self) -> Iterator[Batch]:
        for i, batch in enumerate(self.batches):
            if not isinstance(batch, tuple | list) or not 1 <= len(batch) <= 3:
                raise ValueError(f"{self.where}: batch {i} must be a tuple (x, y) or (x, y, "
                                 f"sample_weight), got {type(batch).__name__}")
            yield tuple(Dataset(*batch).arrays)

    def __len__(self) -> int:
        try:
            return len(self.batches)  # type: ignore[arg-type]
        except TypeError:
            return 0


def as_array(data: Any, name: str, where: str) -> np.ndarray:
    """``data`` (array, list, Tensor) as a NumPy array with a clear error for anything else."""
    from descend.tensor import Tensor

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
    """A checked :class:`Dataset` (or a :class:`BatchSource`) from ``fit``-style arguments."""
    if isinstance(x, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(f"{where}: give y and sample_weight inside the Dataset, not "
                             "beside it")
        return Dataset(cast_inputs(x.x, dtype), cast_targets(x.y, dtype), x.sample_weight)
    if x is None:
        raise ValueError(f"{where}: no data given; pass x and y arrays or a dc.data.Dataset")
    if y is None and not isinstance(x, np.ndarray) and isinstance(x, Iterable) and not \
            _looks_like_rows(x):
        return BatchSource(x, where)
    x_array = as_array(x, "x", where)
    y_array = None if y is None else as_array(y, "y", where)
    try:
        return Dataset(cast_inputs(x_array, dtype), cast_targets(y_array, dtype), sample_weight)
    except (ValueError, TypeError) as err:
        raise type(err)(f"{where}: {err}") from None


def _looks_like_rows(x: Any) -> bool:
    """Whether a list is data rows (numbers or lists of numbers) rather than batches."""
    if not isinstance(x, list | tuple) or not x:
        return True
    return not isinstance(x[0], tuple)


def cast_inputs(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Floating inputs in the model's dtype (integer inputs, e.g. token ids, stay integers)."""
    if x.dtype.kind == "f" and x.dtype != dtype:
        return x.astype(dtype)
    if x.dtype.kind == "b":
        return x.astype(dtype)
    return x


def cast_targets(y: np.ndarray | None, dtype: np.dtype) -> np.ndarray | None:
    """Floating targets in the model's dtype; integer labels stay integers."""
    if y is not None and y.dtype.kind == "f" and y.dtype != dtype:
        return y.astype(dtype)
    return y


def split_validation(data: Dataset, fraction: float) -> tuple[Dataset, Dataset]:
    """Hold out the last ``fraction`` of the samples (before any shuffling, as Keras does)."""
    n = len(data)
    split_at = math.floor(n * (1.0 - fraction))
    if split_at <= 0 or split_at >= n:
        raise ValueError(
            f"fit: validation_split={fraction} of {n} samples leaves "
            f"{split_at} for training and {n - split_at} for validation; both need at least one"
        )
    return data.subset(slice(0, split_at)), data.subset(slice(split_at, None))


def validation_dataset(validation_data: Any, dtype: np.dtype) -> Dataset:
    """``validation_data`` given as ``(x, y)``, ``(x, y, sample_weight)`` or a Dataset."""
    if isinstance(validation_data, Dataset):
        return Dataset(cast_inputs(validation_data.x, dtype),
                       cast_targets(validation_data.y, dtype), validation_data.sample_weight)
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
        raise ValueError("fit: validation_data must be (x_val, y_val), (x_val, y_val, "
                         "sample_weight) or a dc.data.Dataset")
    data = make_dataset(validation_data[0], validation_data[1],
                        validation_data[2] if len(validation_data) == 3 else None,
                        "fit (validation_data)", dtype)
    assert isinstance(data, Dataset)
    return data


def class_weights_to_samples(y: np.ndarray, class_weight: Mapping[int, float]) -> np.ndarray:
    """One weight per sample from ``{class: weight}`` (labels, one-hot rows or 0/1 columns)."""
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
    """A 1-D ``y`` becomes a column when the model has one output per sample (Keras does this)."""
    if y is None or output_shape is None or y.ndim != 1:
        return y
    if len(output_shape) == 2 and output_shape[-1] == 1:
        return y[:, None]
    return y
