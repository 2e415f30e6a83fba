"""Classification losses: binary, categorical and sparse categorical cross-entropy, hinge, KL.

The cross-entropies take probabilities by default (the output of a sigmoid or softmax) and
raw scores with ``from_logits=True``. From logits they are computed in log space by fused ops
(:mod:`descend.ops.losses`), exact and finite for any logit, and faster; prefer a model
without a final sigmoid/softmax and ``from_logits=True``. From probabilities, ``y_pred`` is
clipped to [1e-7, 1 − 1e-7] before the log (as Keras does), so a probability of exactly 0 or 1
costs at most −log(1e-7) ≈ 16.1 and its gradient does not blow up; where the clip is active the
gradient is zero.

>>> import descend as dc
>>> logits = dc.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = dc.losses.sparse_categorical_crossentropy([0], logits, from_logits=True)
>>> round(loss.item(), 4)
0.1698
>>> loss.backward()
>>> logits.grad.numpy().round(4)             # softmax(logits) − one_hot(0)
array([[-0.1563,  0.1142,  0.042 ]], dtype=float32)
"""

from __future__ import annotations

from descend.backend import to_device
from descend.creation import arange
from descend.losses.base import (
    Reduction,
    predictions,
    prepare,
    probabilities,
    reduce_loss,
    targets,
)
from descend.losses.checks import (
    as_array,
    check_sign_labels,
    check_unit_interval,
    sparse_labels,
)
from descend.ops.elementwise import where
from descend.ops.losses import SigmoidCrossEntropy, SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy
from descend.tensors import ArrayLike, Tensor
from descend.tracing import check


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False,
                        reduction: Reduction = "mean") -> Tensor:
    """−[t log p + (1 − t) log(1 − p)] for targets t in [0, 1] and predicted probabilities p.

    Args:
        y_true: targets in [0, 1] (0/1 labels or soft labels), shape ``(batch, ...)``.
        y_pred: probabilities of the same shape (clipped to [1e-7, 1 − 1e-7]), or logits with
            ``from_logits=True`` (then computed as max(z, 0) − z t + log(1 + e^−|z|), no clip).
        from_logits: whether ``y_pred`` holds raw scores rather than probabilities.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    Raises:
        ValueError: shapes differ, ``y_true`` is outside [0, 1], or ``y_pred`` is outside
            [0, 1] without ``from_logits``.

    >>> import descend as dc
    >>> round(dc.losses.binary_crossentropy([1.0, 0.0], dc.tensor([0.9, 0.2])).item(), 4)
    0.1643
    >>> round(dc.losses.bce([1.0], dc.tensor([1000.0]), from_logits=True).item(), 4)
    0.0
    """
    op = "binary_crossentropy"
    true, pred = prepare(op, y_true, y_pred, reduction)
    if not true.requires_grad:  # targets being differentiated (gradcheck) may step outside
        check(check_unit_interval, op, true.data)
    if from_logits:
        return reduce_loss(SigmoidCrossEntropy.apply(pred, true), reduction)
    p = probabilities(op, pred)
    return reduce_loss(-(true * p.log() + (1.0 - true) * (1.0 - p).log()), reduction)


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False,
                             reduction: Reduction = "mean") -> Tensor:
    """−Σ t log p over the class axis (the last), for one-hot or soft targets t.

    Args:
        y_true: target distributions, shape ``(batch, ..., classes)`` (one-hot rows, or soft
            labels summing to 1).
        y_pred: probabilities of the same shape, summing to 1 over the last axis (clipped to
            [1e-7, 1 − 1e-7]), or logits with ``from_logits=True`` (then −Σ t log softmax(z),
            a fused op with backward softmax(z) − t).
        from_logits: whether ``y_pred`` holds raw scores rather than probabilities.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    >>> import descend as dc
    >>> y = [[0.0, 1.0], [1.0, 0.0]]
    >>> dc.losses.categorical_crossentropy(y, dc.tensor([[0.5, 0.5], [1.0, 0.0]]),
    ...                                    reduction="none").numpy().round(4)
    array([0.6931, 0.    ], dtype=float32)
    """
    op = "categorical_crossentropy"
    pred = predictions(op, y_pred, reduction)
    if pred.ndim == 0:
        raise ValueError(f"{op}: y_pred must have a class axis (its last axis), got a scalar")
    hint = ""
    true_shape = as_array(y_true, op, "y_true").shape
    if true_shape in (pred.shape[:-1], (*pred.shape[:-1], 1)):
        hint = "y_true looks like integer class labels: use sparse_categorical_crossentropy"
    true = targets(op, y_true, pred, hint)
    if from_logits:
        return reduce_loss(SoftmaxCrossEntropy.apply(pred, true), reduction)
    return reduce_loss(-(true * probabilities(op, pred).log()).sum(axis=-1), reduction)


def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, *,
                                    from_logits: bool = False, reduction: Reduction = "mean"
                                    ) -> Tensor:
    """−log p[label]: categorical cross-entropy with integer class labels instead of one-hot.

    Args:
        y_true: integer labels in ``[0, classes)``, shape ``(batch, ...)`` (or with a trailing
            axis of 1); whole-number floats are accepted.
        y_pred: probabilities, shape ``(batch, ..., classes)`` (clipped to [1e-7, 1 − 1e-7]),
            or logits with ``from_logits=True`` (a fused op: log-sum-exp minus the label's
            logit, backward softmax(z) − one_hot(label)).
        from_logits: whether ``y_pred`` holds raw scores rather than probabilities.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    Raises:
        ValueError: a label outside ``[0, classes)`` (the message names it and the class
            count), a fractional label, or a label shape that does not fit ``y_pred``.

    >>> import descend as dc
    >>> probs = dc.tensor([[0.25, 0.75], [0.5, 0.5]])
    >>> dc.losses.sparse_categorical_crossentropy([1, 0], probs,
    ...                                           reduction="none").numpy().round(4)
    array([0.2877, 0.6931], dtype=float32)
    """
    op = "sparse_categorical_crossentropy"
    pred = predictions(op, y_pred, reduction)
    labels = to_device(check(sparse_labels, op, y_true, pred.shape), pred.device)
    if from_logits:
        if reduction == "mean":  # the mean over every position, in the op itself
            return SparseSoftmaxCrossEntropy.apply(pred, labels=labels, mean=True)
        return reduce_loss(SparseSoftmaxCrossEntropy.apply(pred, labels=labels), reduction)
    classes = arange(pred.shape[-1], device=pred.device)
    one_hot = Tensor._wrap(labels).reshape(*labels.shape, 1) == classes
    chosen = where(one_hot, probabilities(op, pred), 0.0).sum(axis=-1)
    return reduce_loss(-chosen.log(), reduction)


def hinge(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Reduction = "mean") -> Tensor:
    """max(0, 1 − t · y_pred) for labels t = ±1: the loss of a (soft-margin) linear SVM.

    Labels given as 0 and 1 are turned into −1 and 1 (as Keras does).

    Args:
        y_true: labels −1/1 (or 0/1), shape ``(batch, ...)``.
        y_pred: raw scores of the same shape (positive means class 1).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``).

    >>> import descend as dc
    >>> dc.losses.hinge([1, 0, 1], dc.tensor([2.0, -0.5, 0.25]), reduction="none").numpy()
    array([0.  , 0.5 , 0.75], dtype=float32)
    """
    op = "hinge"
    true, pred = prepare(op, y_true, y_pred, reduction)
    check(check_sign_labels, op, true.data)
    margins = where(true > 0, pred, -pred)  # t · y_pred for t = ±1
    return reduce_loss((1.0 - margins).relu(), reduction)


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Reduction = "mean"
                  ) -> Tensor:
    """Kullback-Leibler divergence Σ t log(t / p) over the class axis (the last).

    How many extra nats a code built for p needs for samples of t; zero when p = t. Terms with
    t = 0 count as 0 (as in torch); p is clipped to [1e-7, 1] (as Keras).

    Args:
        y_true: target distributions t, shape ``(batch, ..., classes)``.
        y_pred: predicted distributions p of the same shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(batch,)``). ``"mean"`` equals
            torch's ``KLDivLoss(reduction="batchmean")`` for ``(batch, classes)`` inputs.

    >>> import descend as dc
    >>> round(dc.losses.kl_divergence([[1.0, 0.0]], dc.tensor([[0.5, 0.5]])).item(), 4)   # log 2
    0.6931
    """
    op = "kl_divergence"
    true, pred = prepare(op, y_true, y_pred, reduction)
    if pred.ndim == 0:
        raise ValueError(f"{op}: y_pred must have a class axis (its last axis), got a scalar")
    log_true = where(true > 0, true, 1.0).log()
    log_pred = probabilities(op, pred, high=1.0).log()
    return reduce_loss((true * (log_true - log_pred)).sum(axis=-1), reduction)
