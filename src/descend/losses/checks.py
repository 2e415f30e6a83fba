"""Argument checks shared by losses and metrics: arrays, matching shapes, class labels, names.

Every check raises a ``ValueError`` (or ``TypeError``) whose message starts with the loss or
metric's name and says what was given and what was expected.

>>> from descend.losses.checks import check_same_shape
>>> check_same_shape("mse", (4,), (4, 1))
Traceback (most recent call last):
...
ValueError: mse: y_true has shape (4,) but y_pred has shape (4, 1); they must be equal ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np

from descend.backend import array_module
from descend.tensors import ArrayLike, Tensor

T = TypeVar("T")


def check_choice(op: str, argument: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise a ``ValueError`` unless ``value`` is one of ``choices``.

    >>> check_choice("mse", "reduction", "mean", ("mean", "sum", "none"))
    """
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {argument} must be one of {listed}, got {value!r}")


def as_array(value: ArrayLike, op: str, what: str) -> np.ndarray:
    """``value`` (a Tensor, an array, a number or nested lists) as an array of numbers.

    Tensors give their array (no copy, no graph); other values keep their dtype.

    >>> as_array([1, 2], "mae", "y_true")
    array([1, 2])
    """
    if isinstance(value, Tensor):
        return value.data
    if array_module(value) is not np:  # an array on a GPU stays there
        return value
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{op}: {what} must be an array of numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(f"{op}: {what} must be a rectangular array (every row the same "
                         "length)") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{op}: {what} must hold numbers, got dtype {array.dtype}")
    return array


def check_same_shape(op: str, true_shape: tuple[int, ...], pred_shape: tuple[int, ...],
                     hint: str = "") -> None:
    """Raise a ``ValueError`` naming both shapes unless they are equal.

    The classic trap, targets ``(n,)`` against predictions ``(n, 1)``, gets its own
    explanation: broadcasting would silently compare every sample with every other one.

    Args:
        op: the loss or metric's name, which starts the message.
        true_shape, pred_shape: the shapes of ``y_true`` and ``y_pred``.
        hint: a sentence appended to the message.

    >>> check_same_shape("mae", (3, 2), (3, 2))
    """
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if true_shape == pred_shape:
        return
    message = (f"{op}: y_true has shape {true_shape} but y_pred has shape {pred_shape}; "
               "they must be equal")
    if (*true_shape, 1) == pred_shape or (*pred_shape, 1) == true_shape:
        both = np.broadcast_shapes(true_shape, pred_shape)
        message += (f" (broadcasting them would give shape {both}, comparing every sample "
                    "with every other one); reshape one of them, e.g. y_true.reshape(y_pred.shape)")
    raise ValueError(message + (f"; {hint}" if hint else ""))


def _outside(ints: np.ndarray, num_classes: int | None) -> bool:
    """Whether any label is negative or (given a class count) ``>= num_classes``: one pass,
    reading the labels as unsigned, where a negative label is larger than any class count."""
    if num_classes is None:
        return bool(ints.min() < 0)
    return bool(ints.view(np.uint64).max() >= num_classes)


def check_labels(op: str, labels: np.ndarray, num_classes: int | None, what: str = "label"
                 ) -> np.ndarray:
    """Integer class labels as an ``int64`` array, each checked to lie in ``[0, num_classes)``.

    Floats are accepted when they are whole numbers (labels read from a float file).

    Args:
        op: the loss or metric's name, which starts the message.
        labels: the labels, any shape.
        num_classes: the class count, or ``None`` to check only that labels are non-negative.
        what: how the message calls one label.

    >>> check_labels("sparse_categorical_accuracy", np.array([0.0, 2.0]), 3)
    array([0, 2])
    """
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.round(labels))
        if bad.any():
            raise ValueError(f"{op}: class {what}s must be whole numbers (0, 1, 2, ...), got "
                             f"{labels[bad].ravel()[0].item()!r}")
    ints = labels if labels.dtype == np.int64 else labels.astype(np.int64)
    if ints.size and _outside(ints, num_classes):
        outside = ints < 0 if num_classes is None else (ints < 0) | (ints >= num_classes)
        bad_label = int(ints[outside].ravel()[0])
        if num_classes is None:
            raise ValueError(f"{op}: class {what}s must be non-negative, got {bad_label}")
        raise ValueError(f"{op}: {what} {bad_label} is outside the valid range 0..{num_classes - 1}"
                         f" for {num_classes} classes (the size of y_pred's last axis)")
    return ints


def sparse_labels(op: str, y_true: ArrayLike, pred_shape: tuple[int, ...]) -> np.ndarray:
    """Integer labels for predictions of shape ``(..., classes)``, as ``int64`` of shape ``(...)``.

    Labels of shape ``(..., 1)`` are accepted too (a column of labels).

    >>> sparse_labels("sparse_categorical_crossentropy", [[2], [0]], (2, 3))
    array([2, 0])
    """
    if len(pred_shape) == 0:
        raise ValueError(f"{op}: y_pred must have a class axis (its last axis), got a scalar")
    labels = as_array(y_true, op, "y_true")
    batch = tuple(pred_shape[:-1])
    if labels.shape == (*batch, 1):
        labels = labels.reshape(batch)
    if labels.shape != batch:
        hint = ("; y_true has y_pred's shape, so it looks one-hot: use the categorical (not "
                "sparse) variant for one-hot targets") if labels.shape == tuple(pred_shape) else ""
        raise ValueError(
            f"{op}: y_true has shape {labels.shape} but y_pred has shape {tuple(pred_shape)}; "
            f"integer class labels need shape {batch}, one label per row of y_pred{hint}"
        )
    return check_labels(op, labels, pred_shape[-1])


def check_sign_labels(op: str, labels: np.ndarray) -> None:
    """Raise a ``ValueError`` unless ``labels`` hold only -1 and 1, or only 0 and 1.

    >>> check_sign_labels("hinge", np.array([0.0, 1.0, 1.0]))
    >>> check_sign_labels("hinge", np.array([0.0, 2.0]))
    Traceback (most recent call last):
    ...
    ValueError: hinge: y_true must hold labels -1 and 1 (or 0 and 1), got values [0.0, 2.0]
    """
    values = set(array_module(labels).unique(labels).tolist())
    if not (values <= {-1.0, 1.0} or values <= {0.0, 1.0}):
        raise ValueError(f"{op}: y_true must hold labels -1 and 1 (or 0 and 1), got values "
                         f"{sorted(values)[:5]}")


def check_unit_interval(op: str, values: np.ndarray, what: str = "y_true") -> None:
    """Raise a ``ValueError`` naming the first value outside [0, 1] (or NaN).

    Binary cross-entropy reads its targets as probabilities; a target of 2 would train
    silently towards a meaningless optimum.

    >>> check_unit_interval("binary_crossentropy", np.array([0.0, 0.5, 1.0]))
    >>> check_unit_interval("binary_crossentropy", np.array([0.0, 2.0]))
    Traceback (most recent call last):
    ...
    ValueError: binary_crossentropy: y_true must hold probabilities in [0, 1] (0/1 labels or ...
    """
    if values.size and not (values.min() >= 0 and values.max() <= 1):
        bad = values[~((values >= 0) & (values <= 1))].ravel()[0].item()
        raise ValueError(f"{op}: {what} must hold probabilities in [0, 1] (0/1 labels or soft "
                         f"labels), got {bad!r}; for class labels 0..k-1 use "
                         "sparse_categorical_crossentropy, for -1/1 labels the hinge loss")


def check_probabilities(op: str, values: np.ndarray) -> None:
    """Raise a ``ValueError`` giving the range of predictions ``values`` unless it lies in
    [0, 1] (a loss that takes probabilities was given logits).

    >>> check_probabilities("binary_crossentropy", np.array([0.0, 0.5, 1.0]))
    >>> check_probabilities("binary_crossentropy", np.array([0.5, 3.0]))
    Traceback (most recent call last):
    ...
    ValueError: binary_crossentropy: y_pred holds values from 0.5 to 3, but probabilities lie ...
    """
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"{op}: y_pred holds values from {values.min():.4g} to {values.max():.4g}, "
            "but probabilities lie in [0, 1]; if these are raw scores (logits), pass "
            "from_logits=True"
        )


class LossResultError(TypeError):
    """A loss returned something other than a Tensor (its message says what a loss must
    return; trainers pass it on unchanged)."""


def check_loss_value(name: str, value: Any, y_pred: Tensor) -> Tensor:
    """``value``, a custom loss's result, checked to be a Tensor computed from ``y_pred``.

    A float, a NumPy number or a Tensor made from NumPy values cannot be differentiated:
    the gradient must flow back through ``y_pred`` to the weights.

    Args:
        name: the loss's name, which starts the message.
        value: what the loss returned.
        y_pred: the predictions it was given (``requires_grad`` while training).

    >>> import descend as dc
    >>> check_loss_value("my_loss", 0.5, dc.tensor([1.0], requires_grad=True))
    Traceback (most recent call last):
    ...
    descend.losses.checks.LossResultError: the loss my_loss returned float, not a Tensor; a ...
    """
    rule = ("a loss must return a Tensor computed from y_pred with descend operations (e.g. "
            "((y_pred - y_true) ** 2).mean()), so that gradients flow back to the weights")
    if not isinstance(value, Tensor):
        raise LossResultError(f"the loss {name} returned {type(value).__name__}, not a Tensor; "
                              f"{rule}")
    if y_pred.requires_grad and not value.requires_grad:
        raise ValueError(f"the loss {name} returned a Tensor that is not computed from y_pred "
                         f"(it was built from NumPy values or constants); {rule}")
    return value
