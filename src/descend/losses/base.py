"""What every loss shares: turning its inputs into Tensors, clipping probabilities, reductions.

A loss is computed per element (or per row of the class axis), averaged over every axis but
the first (the batch axis) into one value per sample, then reduced over the batch:

* ``reduction="mean"`` (default): the mean of the per-sample losses, a scalar;
* ``reduction="sum"``: their sum, a scalar;
* ``reduction="none"``: the per-sample losses themselves, shape ``(batch,)`` (a trainer
  weights them by sample or class before reducing).

>>> import descend as dc
>>> y_true = [[0.0, 0.0], [1.0, 1.0]]
>>> y_pred = dc.tensor([[1.0, 3.0], [1.0, 2.0]])
>>> dc.losses.mse(y_true, y_pred, reduction="none").numpy()   # (1 + 9) / 2, (0 + 1) / 2
array([5. , 0.5], dtype=float32)
"""

from __future__ import annotations

from typing import Literal

from descend.backend import get_default_dtype, to_device
from descend.losses.checks import as_array, check_choice, check_probabilities, check_same_shape
from descend.tensors import ArrayLike, Tensor, ensure_tensor
from descend.tracing import check

Reduction = Literal["mean", "sum", "none"]
"""How a loss combines its per-sample values."""

REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")

EPSILON = 1e-7
"""Probabilities are clipped to [EPSILON, 1 − EPSILON] before their log is taken (as Keras)."""


def predictions(op: str, y_pred: ArrayLike, reduction: str) -> Tensor:
    """``y_pred`` as a floating Tensor (kept as is if it already is one), after checking
    ``reduction``.

    >>> predictions("mse", [1, 2], "mean").dtype
    dtype('float32')
    """
    check_choice(op, "reduction", reduction, REDUCTIONS)
    pred = ensure_tensor(y_pred, op)
    if pred.dtype.kind != "f":
        pred = pred.astype(get_default_dtype())
    return pred


def targets(op: str, y_true: ArrayLike, pred: Tensor, hint: str = "") -> Tensor:
    """``y_true`` as a Tensor of ``pred``'s dtype, checked to have ``pred``'s shape.

    A Tensor that requires grad stays in the graph (a Tensor on another device than ``pred``
    is an error in the op that meets it); anything else becomes a constant on ``pred``'s
    device, as a Python number does.

    >>> import descend as dc
    >>> targets("mse", [1, 2], dc.tensor([0.5, 0.5])).numpy()
    array([1., 2.], dtype=float32)
    """
    true = y_true if isinstance(y_true, Tensor) else Tensor._wrap(
        to_device(as_array(y_true, op, "y_true"), pred.device))
    check_same_shape(op, true.shape, pred.shape, hint)
    return true.astype(pred.dtype)


def prepare(op: str, y_true: ArrayLike, y_pred: ArrayLike, reduction: str
            ) -> tuple[Tensor, Tensor]:
    """``(y_true, y_pred)`` as Tensors of one dtype and shape, ``reduction`` checked.

    >>> t, p = prepare("mae", [1.0], [2], "sum")
    >>> t.dtype, p.dtype
    (dtype('float32'), dtype('float32'))
    """
    pred = predictions(op, y_pred, reduction)
    return targets(op, y_true, pred), pred


def probabilities(op: str, pred: Tensor, high: float = 1.0 - EPSILON) -> Tensor:
    """``pred`` clipped to [EPSILON, high], after checking it holds values in [0, 1].

    Values outside [0, 1] are not probabilities; the usual cause is forgetting
    ``from_logits=True`` for a model whose last layer has no sigmoid or softmax.

    >>> import descend as dc
    >>> probabilities("bce", dc.tensor([0.0, 0.5, 1.0])).numpy()
    array([1.000000e-07, 5.000000e-01, 9.999999e-01], dtype=float32)
    """
    check(check_probabilities, op, pred.data)
    return pred.clip(EPSILON, high)


def reduce_loss(losses: Tensor, reduction: str) -> Tensor:
    """Average ``losses`` over every axis but the first, then apply ``reduction``.

    >>> import descend as dc
    >>> reduce_loss(dc.tensor([[1.0, 3.0], [5.0, 7.0]]), "none").numpy()
    array([2., 6.], dtype=float32)
    >>> reduce_loss(dc.tensor([[1.0, 3.0], [5.0, 7.0]]), "sum").item()
    8.0
    """
    if losses.ndim > 1:
        losses = losses.mean(axis=tuple(range(1, losses.ndim)))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()
