"""Everything ``fit`` checks before the first step: its arguments and its data.

Bad input fails here, with a message naming the argument, before any callback runs and before
any weight changes. These helpers take plain values and arrays; the trainer calls them in
order: :func:`check_fit_arguments`, :func:`read_fit_data` (before the model is built, so the
first batch can build it), then :func:`fit_datasets` (which needs the built model's output
shape to shape the targets).

>>> from descend.train.plan import check_count
>>> check_count(5, "epochs", "fit")
5
>>> check_count(-1, "epochs", "fit")
Traceback (most recent call last):
...
ValueError: fit: epochs must be a non-negative integer, got -1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.data import Dataset
from descend.data.batching import check_batch_size
from descend.train.adapter import (
    BatchSource,
    class_weights_to_samples,
    make_dataset,
    match_target_shape,
    split_validation,
    validation_dataset,
)
from descend.train.progress import check_verbose

Shape = tuple[int | None, ...]


def check_count(value: Any, name: str, where: str) -> int:
    """``value`` as a non-negative int, or a ValueError naming the argument.

    >>> check_count(3, "initial_epoch", "fit")
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


@dataclass
class FitSettings:
    """The checked scalar arguments of one ``fit`` call.

    Attributes:
        batch_size, epochs, initial_epoch, verbose, shuffle, validation_split: as given.
        seed: the seed given, or None (the trainer then draws one).

    >>> settings = check_fit_arguments(32, 3, 0, 0, True, 0.2, None)
    >>> settings.batch_size, settings.validation_split, settings.seed
    (32, 0.2, None)
    """

    batch_size: int
    epochs: int
    initial_epoch: int
    verbose: int
    shuffle: bool
    validation_split: float
    seed: int | None


def check_fit_arguments(batch_size: Any, epochs: Any, initial_epoch: Any, verbose: Any,
                        shuffle: Any, validation_split: Any, seed: Any) -> FitSettings:
    """Check ``fit``'s scalar arguments; a ValueError/TypeError names the first bad one.

    >>> check_fit_arguments(32, 2, 3, 0, True, 0.0, None)
    Traceback (most recent call last):
    ...
    ValueError: fit: initial_epoch (3) is after epochs (2); epochs is the epoch to stop at, ...
    """
    size = check_batch_size(batch_size, "fit")
    epochs = check_count(epochs, "epochs", "fit")
    initial_epoch = check_count(initial_epoch, "initial_epoch", "fit")
    if initial_epoch > epochs:
        raise ValueError(f"fit: initial_epoch ({initial_epoch}) is after epochs ({epochs}); "
                         "epochs is the epoch to stop at, counting from 0")
    check_verbose(verbose, "fit")
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"fit: shuffle must be True or False, got {shuffle!r}")
    if isinstance(validation_split, bool) or not isinstance(validation_split, int | float) or \
            not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be a fraction in [0, 1), got "
                         f"{validation_split!r}")
    if seed is not None:
        seed = check_count(seed, "seed", "fit")
    return FitSettings(size, epochs, initial_epoch, int(verbose), bool(shuffle),
                       float(validation_split), seed)


def read_fit_data(x: Any, y: Any, sample_weight: Any, class_weight: Any,
                  settings: FitSettings, dtype: np.dtype) -> Dataset | BatchSource:
    """The training data as given (checked, cast to ``dtype``), before the model is built.

    >>> import numpy as np
    >>> settings = check_fit_arguments(4, 1, 0, 0, True, 0.0, None)
    >>> read_fit_data(np.ones((10, 2)), np.ones(9), None, None, settings, np.float32)
    Traceback (most recent call last):
    ...
    ValueError: fit: x has 10 samples but y has 9; all arrays need the same length ...
    """
    data = make_dataset(x, y, sample_weight, "fit", dtype)
    if isinstance(data, Dataset):
        if data.y is None:
            raise ValueError("fit: y is missing; give the targets: fit(x, y, ...)")
        return data
    if settings.validation_split or class_weight is not None:
        raise ValueError("fit: validation_split and class_weight need arrays x and y, not "
                         "an iterable of batches; give validation_data=(x_val, y_val) and "
                         "sample weights inside the batches instead")
    runs = settings.epochs - settings.initial_epoch
    if data.one_shot and runs > 1:
        raise ValueError(f"fit: x is an iterator, which can be read only once, but "
                         f"{runs} epochs need {runs} passes over the data; pass a list of "
                         "batches, a dc.data.Dataset or arrays x and y")
    if data.first() is None:
        raise ValueError("fit: the iterable of batches is empty; expected (x, y) batches")
    return data


def first_inputs(data: Dataset | BatchSource) -> np.ndarray:
    """The inputs of the first batch (a model builds from their shape).

    >>> import numpy as np
    >>> first_inputs(Dataset(np.ones((5, 3)))).shape
    (5, 3)
    """
    return data.x if isinstance(data, Dataset) else data.first()[0]  # type: ignore[index]


def fit_datasets(data: Dataset | BatchSource, validation_data: Any,
                 class_weight: Mapping[int, float] | None, validation_split: float,
                 output_shape: Shape | None,
                 dtype: np.dtype) -> tuple[Dataset | BatchSource, Dataset | None]:
    """The training and validation data, targets shaped like the model's outputs.

    Class weights multiply the sample weights; ``validation_split`` holds out the last samples.

    >>> import numpy as np
    >>> train, val = fit_datasets(Dataset(np.ones((10, 2)), np.ones(10)), None, None, 0.2,
    ...                           (None, 1), np.float32)
    >>> len(train), len(val), train.y.shape
    (8, 2, (8, 1))
    """
    if isinstance(data, BatchSource):
        return data, _validation(validation_data, output_shape, dtype)
    weights, y = data.sample_weight, match_target_shape(data.y, output_shape)
    if class_weight is not None:
        by_class = class_weights_to_samples(data.y, class_weight)
        weights = by_class if weights is None else weights * by_class
    if y is not data.y or weights is not data.sample_weight:
        data = Dataset(data.x, y, weights)  # (checked again: a Dataset always checks)
    if validation_data is None and validation_split:
        return split_validation(data, validation_split)
    return data, _validation(validation_data, output_shape, dtype)


def _validation(validation_data: Any, output_shape: Shape | None,
                dtype: np.dtype) -> Dataset | None:
    if validation_data is None:
        return None
    validation = validation_dataset(validation_data, dtype)
    return Dataset(validation.x, match_target_shape(validation.y, output_shape),
                   validation.sample_weight)
