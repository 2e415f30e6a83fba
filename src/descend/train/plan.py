"""Everything ``fit`` checks and decides before the first step: arguments, data, split, seed.

Bad input fails here, with a message naming the argument, before any callback runs and before
any weight changes. The last check runs the model once (eval mode, no graph) on the first
training batch and the first validation batch, with the loss and the metrics, so targets that
do not fit the model's outputs are also reported before training starts.

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
from typing import TYPE_CHECKING, Any

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
from descend.train.steps import check_batch

if TYPE_CHECKING:
    from descend.train.compiled import Compiled
    from descend.train.model import Model


def check_count(value: Any, name: str, where: str) -> int:
    """``value`` as a non-negative int, or a ValueError naming the argument.

    >>> check_count(3, "initial_epoch", "fit")
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


@dataclass
class FitPlan:
    """Everything one ``fit`` call will do, decided and checked before training starts.

    Attributes:
        train: the training data (a Dataset, or the user's batches).
        validation: the validation Dataset, or None.
        batch_size, epochs, initial_epoch, shuffle, verbose: as given to ``fit``.
        seed: the fit seed: epoch ``k`` shuffles from ``(seed, k)`` and draws dropout masks
            from ``(seed, k, 1)``.
        regularized: whether the model has regularisers (their penalty joins the loss).

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
    >>> plan = plan_fit(model, model.compiled, np.ones((10, 2)), np.ones(10), batch_size=4,
    ...                 epochs=3, verbose=0, validation_split=0.2, validation_data=None,
    ...                 shuffle=True, initial_epoch=0, sample_weight=None, class_weight=None,
    ...                 seed=7)
    >>> len(plan.train), len(plan.validation), plan.train.y.shape, plan.seed
    (8, 2, (8, 1), 7)
    """

    train: Dataset | BatchSource
    validation: Dataset | None
    batch_size: int
    epochs: int
    initial_epoch: int
    shuffle: bool
    seed: int
    verbose: int
    regularized: bool


def plan_fit(model: Model, compiled: Compiled, x: Any, y: Any, *, batch_size: Any, epochs: Any,
             verbose: Any, validation_split: Any, validation_data: Any, shuffle: Any,
             initial_epoch: Any, sample_weight: Any, class_weight: Mapping[int, float] | None,
             seed: int | None) -> FitPlan:
    """Check the arguments of ``fit``, load and split the data, build and try the model.

    Arguments as for :meth:`descend.train.model.Model.fit`; see :class:`FitPlan` for a
    plan. Raises ``ValueError``/``TypeError`` naming the argument, before any training.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
    >>> plan_fit(model, model.compiled, np.ones((10, 2)), np.ones(9), batch_size=4, epochs=1,
    ...          verbose=0, validation_split=0.0, validation_data=None, shuffle=True,
    ...          initial_epoch=0, sample_weight=None, class_weight=None, seed=None)
    Traceback (most recent call last):
    ...
    ValueError: fit: x has 10 samples but y has 9; all arrays need the same length ...
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
    data = make_dataset(x, y, sample_weight, "fit", model.dtype)
    if isinstance(data, BatchSource):
        train, validation = _batch_source(model, data, epochs - initial_epoch,
                                          validation_split, validation_data, class_weight)
    else:
        train, validation = _arrays(model, data, validation_split, validation_data,
                                    class_weight)
    first = train[:size] if isinstance(train, Dataset) else train.first()
    check_batch(model, compiled, first, "fit")
    if validation is not None:
        check_batch(model, compiled, validation[:size], "fit (validation data)")
    if seed is None:
        seed = model.fit_seed if initial_epoch and model.fit_seed is not None else \
            model._draw_seed()
    model.fit_seed = seed
    return FitPlan(train, validation, size, epochs, initial_epoch, bool(shuffle), seed,
                   int(verbose), model.has_regularizers())


def _batch_source(model: Model, data: BatchSource, runs: int, validation_split: float,
                  validation_data: Any, class_weight: Any) -> tuple[BatchSource, Dataset | None]:
    if validation_split or class_weight is not None:
        raise ValueError("fit: validation_split and class_weight need arrays x and y, not "
                         "an iterable of batches; give validation_data=(x_val, y_val) and "
                         "sample weights inside the batches instead")
    if data.one_shot and runs > 1:
        raise ValueError(f"fit: x is an iterator, which can be read only once, but "
                         f"{runs} epochs need {runs} passes over the data; pass a list of "
                         "batches, a dc.data.Dataset or arrays x and y")
    first = data.first()
    if first is None:
        raise ValueError("fit: the iterable of batches is empty; expected (x, y) batches")
    model._ensure_built(first[0].shape)
    return data, _validation(model, validation_data)


def _arrays(model: Model, data: Dataset, validation_split: float, validation_data: Any,
            class_weight: Any) -> tuple[Dataset, Dataset | None]:
    if data.y is None:
        raise ValueError("fit: y is missing; give the targets: fit(x, y, ...)")
    model._ensure_built(data.x.shape)
    weights, y = data.sample_weight, match_target_shape(data.y, model.output_shape)
    if class_weight is not None:
        by_class = class_weights_to_samples(data.y, class_weight)
        weights = by_class if weights is None else weights * by_class
    if y is not data.y or weights is not data.sample_weight:
        data = Dataset(data.x, y, weights)  # (checked again: a Dataset always checks)
    if validation_data is None and validation_split:
        return split_validation(data, float(validation_split))
    return data, _validation(model, validation_data)


def _validation(model: Model, validation_data: Any) -> Dataset | None:
    if validation_data is None:
        return None
    validation = validation_dataset(validation_data, model.dtype)
    return Dataset(validation.x, match_target_shape(validation.y, model.output_shape),
                   validation.sample_weight)
