"""Loss functions: how far predictions are from targets, as a Tensor gradients flow back from.

Every loss takes ``(y_true, y_pred)`` in that order (Keras), where ``y_true`` is a Tensor,
NumPy array or lists and ``y_pred`` usually the model's output Tensor, and a keyword-only
``reduction``: ``"mean"`` (default) and ``"sum"`` give a scalar, ``"none"`` the per-sample
losses of shape ``(batch,)`` (elementwise losses are averaged over every non-batch axis).
Shapes must match exactly: targets ``(n,)`` against predictions ``(n, 1)`` raise a
``ValueError`` rather than silently broadcasting to ``(n, n)``.

* :func:`mean_squared_error` (``"mse"``; object :class:`MeanSquaredError`)
* :func:`mean_absolute_error` (``"mae"``; :class:`MeanAbsoluteError`)
* :func:`huber` with ``delta`` (``"huber"``; :class:`Huber`)
* :func:`log_cosh` (``"log_cosh"``, ``"logcosh"``; :class:`LogCosh`)
* :func:`binary_crossentropy` (``"bce"``; :class:`BinaryCrossentropy`)
* :func:`categorical_crossentropy` (:class:`CategoricalCrossentropy`)
* :func:`sparse_categorical_crossentropy` (:class:`SparseCategoricalCrossentropy`)
* :func:`hinge` (``"hinge"``; :class:`Hinge`)
* :func:`kl_divergence` (``"kld"``; :class:`KLDivergence`)

Each is also reachable by its full name through :func:`get`.
The cross-entropies take ``from_logits=False``; see :mod:`descend.losses.classification`.

>>> import descend as dc
>>> w = dc.tensor([0.5], requires_grad=True)
>>> x, y = dc.tensor([[1.0], [2.0]]), dc.tensor([[1.0], [2.0]])
>>> loss = dc.losses.mse(y, x * w)          # torch style: loss, backward, step
>>> loss.backward()
>>> w.grad.numpy()                          # mean of 2 (x w − y) x = (−1 − 4) / 2
array([-2.5], dtype=float32)
>>> dc.losses.get("mse") is dc.losses.mean_squared_error
True
"""

from __future__ import annotations

from collections.abc import Callable

from descend.losses.base import EPSILON, Reduction
from descend.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from descend.losses.classification import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    kl_divergence,
    sparse_categorical_crossentropy,
)
from descend.losses.regression import huber, log_cosh, mean_absolute_error, mean_squared_error
from descend.names import lookup
from descend.tensors import Tensor

mse = mean_squared_error
mae = mean_absolute_error
bce = binary_crossentropy
kld = kl_divergence

LOSSES: dict[str, Callable[..., Tensor]] = {
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    "huber": huber,
    "log_cosh": log_cosh,
    "logcosh": log_cosh,
    "binary_crossentropy": binary_crossentropy,
    "bce": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "hinge": hinge,
    "kl_divergence": kl_divergence,
    "kld": kl_divergence,
}
"""Every name :func:`get` knows, mapped to its loss function."""


def get(identifier: str | Callable[..., Tensor] | type[Loss]) -> Callable[..., Tensor]:
    """Resolve a loss given by name, function, :class:`Loss` object or class.

    Args:
        identifier: a name from :data:`LOSSES` (case-insensitive), any callable
            ``(y_true, y_pred) -> Tensor`` (returned unchanged), or a :class:`Loss` subclass
            (instantiated with its defaults).

    Returns:
        A callable ``loss(y_true, y_pred, *, reduction=...)`` (for the built-in losses).

    Raises:
        ValueError: an unknown name; the message lists the valid names.
        TypeError: anything else.

    >>> import descend as dc
    >>> dc.losses.get("bce").__name__
    'binary_crossentropy'
    >>> dc.losses.get(dc.losses.Huber(delta=2.0))
    Huber(reduction='mean', delta=2.0)
    """
    if isinstance(identifier, str):
        return lookup("losses.get", "loss", identifier, LOSSES)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"losses.get: expected a loss name, function or Loss object, got "
                    f"{type(identifier).__name__}")


__all__ = [
    "EPSILON", "LOSSES", "BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "Huber",
    "KLDivergence", "LogCosh", "Loss", "MeanAbsoluteError", "MeanSquaredError", "Reduction",
    "SparseCategoricalCrossentropy", "bce", "binary_crossentropy", "categorical_crossentropy",
    "get", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "sparse_categorical_crossentropy",
]
