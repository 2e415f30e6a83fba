"""The streaming metric interface and the weighted running mean most metrics are.

A metric is updated batch by batch and gives the value over everything it has seen, exactly
the value it would give on all the data at once (uneven last batch included):

* ``update(y_true, y_pred, sample_weight=None)`` adds a batch (arrays, lists or Tensors;
  Tensors are read without their graph);
* ``result()`` is the value so far, a Python float (an array for the confusion matrix);
* ``reset()`` forgets everything (a trainer calls it at the start of each epoch);
* ``name`` is what a trainer's history calls it.

``sample_weight`` gives one non-negative weight per sample, shape ``(batch,)`` (or a single
number for all); a weighted mean divides by the total weight.

>>> from descend.metrics import MeanAbsoluteError
>>> m = MeanAbsoluteError()
>>> m.update([1.0, 2.0], [1.5, 2.0])
>>> m.update([3.0], [5.0])               # an uneven last batch
>>> m.result()                           # (0.5 + 0 + 2) / 3 samples
0.8333333333333334
>>> m.reset(); m.result()
0.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend import tracing
from descend.backend import to_host
from descend.losses.checks import as_array, check_same_shape
from descend.tensors import ArrayLike, Tensor


def batch_arrays(op: str, y_true: ArrayLike, y_pred: ArrayLike, *, same_shape: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)`` as NumPy arrays with a batch axis (a scalar becomes one sample).

    Metrics keep float64 running sums on the host, so values on a GPU are copied here.

    >>> batch_arrays("mae", 1.0, 2.0)
    (array([1.]), array([2.]))
    """
    if tracing.active is not None:  # (a step's call to update_state is recorded whole)
        tracing.active.refuse(f"{op}: a metric reading a batch outside update_state (a "
                              "subclass overriding update instead of update_state)")
    true = to_host(as_array(y_true, op, "y_true"))
    pred = to_host(as_array(y_pred, op, "y_pred"))
    if same_shape:
        check_same_shape(op, true.shape, pred.shape)
    return np.atleast_1d(true), np.atleast_1d(pred)


def per_sample(op: str, values: np.ndarray, batch: int) -> np.ndarray:
    """Values of shape ``(batch, ...)`` averaged over every axis but the first, as float64.

    >>> per_sample("mae", np.array([[1.0, 3.0], [0.0, 0.0]]), 2)
    array([2., 0.])
    """
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if values.shape[0] != batch:
        raise ValueError(f"{op}: expected one value per sample ({batch}), got an array of "
                         f"shape {values.shape}")
    return values.reshape(batch, -1).mean(axis=1) if values.ndim > 1 else values


def sample_weights(op: str, sample_weight: ArrayLike | None, batch: int) -> np.ndarray:
    """``sample_weight`` as float64 of shape ``(batch,)``: ones when None, one number spread.

    >>> sample_weights("mae", None, 2), sample_weights("mae", 0.5, 2)
    (array([1., 1.]), array([0.5, 0.5]))
    """
    if sample_weight is None:
        return np.ones(batch)
    weights = to_host(as_array(sample_weight, op, "sample_weight")).astype(np.float64)
    if weights.ndim == 0:
        weights = np.full(batch, float(weights))
    elif weights.shape == (batch, 1):
        weights = weights.reshape(batch)
    if weights.shape != (batch,):
        raise ValueError(f"{op}: sample_weight has shape {weights.shape} but the batch has "
                         f"{batch} samples; give one weight per sample, shape ({batch},)")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"{op}: sample weights must be finite and non-negative, got "
                         f"{weights[~(weights >= 0) | ~np.isfinite(weights)][0]}")
    return weights


def divide(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator, 0 where the denominator is 0 (an empty metric is 0).

    >>> divide(np.array([1.0, 1.0]), np.array([2.0, 0.0]))
    array([0.5, 0. ])
    >>> divide(3.0, 2.0), divide(3.0, 0.0)
    (1.5, 0.0)
    """
    if type(numerator) is float and type(denominator) is float:  # a running mean's two sums
        return numerator / denominator if denominator != 0 else 0.0
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out if out.ndim else float(out)


class Metric:
    """Base class of streaming metrics: ``update``, ``result``, ``reset`` and a ``name``.

    Subclasses set ``default_name`` and implement ``update_state``, ``result`` and
    ``reset``.

    Args:
        name: what a trainer's history calls the metric (default: ``default_name``).

    >>> from descend.metrics import Accuracy
    >>> Accuracy(name="acc").name
    'acc'
    """

    default_name = "metric"

    def __init__(self, *, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset()

    def update(self, y_true: ArrayLike, y_pred: ArrayLike,
               sample_weight: ArrayLike | None = None) -> None:
        """Add one batch of targets and predictions (optionally weighted per sample): calls
        :meth:`update_state`, a Tensor given as its array. Inside a compiled step
        (``dc.jit``) every replay makes the call again with its own batch, as it does the
        step's calls to ``result`` and ``reset`` (:mod:`descend.compiler.metrics`)."""
        self.update_state(*tracing.arrays((y_true, y_pred, sample_weight)))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> None:
        """What :meth:`update` does (Keras' name): subclasses implement it."""
        raise NotImplementedError

    def result(self) -> Any:
        """The metric over every batch since the last reset."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every batch seen so far."""
        raise NotImplementedError

    def compute(self, y_true: ArrayLike, y_pred: ArrayLike,
                sample_weight: ArrayLike | None = None) -> Any:
        """Reset, update with one batch and return the result (the plain functions use this).

        >>> from descend.metrics import MeanSquaredError
        >>> MeanSquaredError().compute([0.0, 0.0], [1.0, 3.0])
        5.0
        """
        self.reset()
        self.update(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MeanMetric(Metric):
    """The weighted mean of a per-sample value over every sample seen.

    Args:
        fn: ``fn(y_true, y_pred)`` on NumPy arrays returning one value per sample, shape
            ``(batch,)`` (values of shape ``(batch, ...)`` are averaged over the other axes);
            subclasses override :meth:`values` instead.
        name: the metric's name (default: ``fn.__name__``).

    >>> import numpy as np
    >>> from descend.metrics import MeanMetric
    >>> m = MeanMetric(lambda t, p: np.abs(t - p) ** 3, name="cubed")
    >>> m.update([0.0, 0.0], [1.0, 2.0]); m.result()
    4.5
    """

    def __init__(self, fn: Callable[[np.ndarray, np.ndarray], Any] | None = None, *,
                 name: str | None = None) -> None:
        self.fn = fn
        super().__init__(name=name or getattr(fn, "__name__", None))

    same_shape = True
    """Whether ``y_true`` and ``y_pred`` must have the same shape."""

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> Any:
        """The per-sample values for one batch (calls ``fn``)."""
        if self.fn is None:
            raise NotImplementedError(f"{type(self).__name__}: give fn or override values()")
        out = self.fn(y_true, y_pred)
        return out.data if isinstance(out, Tensor) else out

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> None:
        """Add one batch: its weighted per-sample values and its total weight."""
        true, pred = batch_arrays(self.name, y_true, y_pred, same_shape=self.same_shape)
        values = per_sample(self.name, self.values(true, pred), len(true))
        weights = sample_weights(self.name, sample_weight, len(values))
        self.total += float(weights @ values)
        self.count += float(weights.sum())

    def result(self) -> float:
        """The weighted mean so far (0.0 before any sample)."""
        return divide(self.total, self.count)

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self.total = 0.0
        self.count = 0.0
