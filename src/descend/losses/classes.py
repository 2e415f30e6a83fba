"""Loss objects: a loss function with its options bound, for ``compile(loss=...)`` (Keras style).

``dc.losses.BinaryCrossentropy(from_logits=True)`` is called like the function it wraps,
``loss(y_true, y_pred)``, and remembers its options and default reduction; a trainer may
override the reduction per call (``loss(y_true, y_pred, reduction="none")``).

>>> import descend as dc
>>> loss = dc.losses.Huber(delta=2.0)
>>> loss([0.0, 0.0], dc.tensor([1.0, 4.0])).item()      # (0.5 + 6) / 2
3.25
>>> loss.get_config()
{'name': 'huber', 'reduction': 'mean', 'delta': 2.0}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from descend.losses.base import REDUCTIONS, Reduction
from descend.losses.checks import check_choice
from descend.losses.classification import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    kl_divergence,
    sparse_categorical_crossentropy,
)
from descend.losses.regression import huber, log_cosh, mean_absolute_error, mean_squared_error
from descend.tensors import ArrayLike, Tensor


class Loss:
    """Base class: calls ``function(y_true, y_pred, reduction=..., **options)``.

    Args:
        reduction: the default reduction, ``"mean"``, ``"sum"`` or ``"none"``.
        name: the loss's name (defaults to the function's name).
        options: keyword options passed to the function (``from_logits``, ``delta``).

    Attributes:
        function: the loss function this class wraps (set by each subclass).
        name, reduction, options: as given.

    >>> import descend as dc
    >>> dc.losses.MeanAbsoluteError(reduction="sum")([1.0, 1.0], dc.tensor([2.0, 4.0])).item()
    4.0
    """

    function: ClassVar[Callable[..., Tensor]]

    def __init__(self, *, reduction: Reduction = "mean", name: str | None = None,
                 **options: Any) -> None:
        check_choice(type(self).__name__, "reduction", reduction, REDUCTIONS)
        self.reduction = reduction
        self.name = name or type(self).function.__name__
        self.options = options

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, *,
                 reduction: Reduction | None = None) -> Tensor:
        """The loss of ``y_pred`` against ``y_true`` (see the wrapped function)."""
        return type(self).function(y_true, y_pred, reduction=reduction or self.reduction,
                                   **self.options)

    def get_config(self) -> dict[str, Any]:
        """The name, reduction and options, as JSON-friendly values (to save a model)."""
        return {"name": self.name, "reduction": self.reduction, **self.options}

    def __repr__(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(reduction={self.reduction!r}{options})"


class _LogitsLoss(Loss):
    """A loss with a ``from_logits`` option."""

    def __init__(self, *, from_logits: bool = False, reduction: Reduction = "mean",
                 name: str | None = None) -> None:
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits))


class MeanSquaredError(Loss):
    """:func:`~descend.losses.mean_squared_error` as an object.

    >>> import descend as dc
    >>> dc.losses.MeanSquaredError()([0.0, 0.0], dc.tensor([1.0, 3.0])).item()
    5.0
    """

    function = staticmethod(mean_squared_error)


class MeanAbsoluteError(Loss):
    """:func:`~descend.losses.mean_absolute_error` as an object.

    >>> import descend as dc
    >>> dc.losses.MeanAbsoluteError()([0.0, 0.0], dc.tensor([1.0, -3.0])).item()
    2.0
    """

    function = staticmethod(mean_absolute_error)


class Huber(Loss):
    """:func:`~descend.losses.huber` as an object, holding ``delta``.

    >>> import descend as dc
    >>> dc.losses.Huber(delta=1.0)([0.0], dc.tensor([3.0])).item()
    2.5
    """

    function = staticmethod(huber)

    def __init__(self, delta: float = 1.0, *, reduction: Reduction = "mean",
                 name: str | None = None) -> None:
        super().__init__(reduction=reduction, name=name, delta=float(delta))


class LogCosh(Loss):
    """:func:`~descend.losses.log_cosh` as an object.

    >>> import descend as dc
    >>> dc.losses.LogCosh()([0.0], dc.tensor([0.0])).item()
    0.0
    """

    function = staticmethod(log_cosh)


class BinaryCrossentropy(_LogitsLoss):
    """:func:`~descend.losses.binary_crossentropy` as an object, holding ``from_logits``.

    >>> import descend as dc
    >>> round(dc.losses.BinaryCrossentropy(from_logits=True)([1.0], dc.tensor([0.0])).item(), 4)
    0.6931
    """

    function = staticmethod(binary_crossentropy)


class CategoricalCrossentropy(_LogitsLoss):
    """:func:`~descend.losses.categorical_crossentropy` as an object, holding ``from_logits``.

    >>> import descend as dc
    >>> loss = dc.losses.CategoricalCrossentropy(from_logits=True)
    >>> round(loss([[1.0, 0.0]], dc.tensor([[0.0, 0.0]])).item(), 4)
    0.6931
    """

    function = staticmethod(categorical_crossentropy)


class SparseCategoricalCrossentropy(_LogitsLoss):
    """:func:`~descend.losses.sparse_categorical_crossentropy` as an object.

    >>> import descend as dc
    >>> loss = dc.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(loss([1], dc.tensor([[0.0, 0.0]])).item(), 4)
    0.6931
    """

    function = staticmethod(sparse_categorical_crossentropy)


class Hinge(Loss):
    """:func:`~descend.losses.hinge` as an object.

    >>> import descend as dc
    >>> dc.losses.Hinge()([1.0], dc.tensor([0.5])).item()
    0.5
    """

    function = staticmethod(hinge)


class KLDivergence(Loss):
    """:func:`~descend.losses.kl_divergence` as an object.

    >>> import descend as dc
    >>> dc.losses.KLDivergence()([[0.5, 0.5]], dc.tensor([[0.5, 0.5]])).item()
    0.0
    """

    function = staticmethod(kl_divergence)
