"""Metrics over every rank: each rank's streaming metric state summed into the whole epoch's.

A streaming metric keeps sums over the samples it has seen (a weighted total and count, a
confusion matrix, the weight, mean and spread of the targets); the sums of disjoint shards
add up to the sums of the whole data. :func:`combine` replaces each metric's state by the sum
over ranks, so that ``result()`` on every rank is the metric of the whole epoch — call it once
an epoch, before reading the results and resetting.

>>> from descend.distributed import DataParallel
>>> from descend.metrics import MeanAbsoluteError
>>> m = MeanAbsoluteError(); m.update([0.0, 0.0], [1.0, 3.0])
>>> combine([m], DataParallel()); m.result()      # one rank: unchanged
2.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.metrics import ConfusionMatrix, MeanMetric, R2Score


def check_combinable(metrics: Sequence[Any], where: str) -> None:
    """Raise a TypeError naming a metric whose state cannot be summed over ranks."""
    for metric in metrics:
        if not isinstance(metric, MeanMetric | ConfusionMatrix | R2Score) and \
                not isinstance(getattr(metric, "confusion", None), ConfusionMatrix):
            raise TypeError(f"{where}: the metric {metric.name!r} ({type(metric).__name__}) "
                            "cannot be combined over ranks; data-parallel fit supports mean "
                            "metrics, confusion-matrix scores and R²")


def combine(metrics: Sequence[Any], dp: Any) -> None:
    """Replace every metric's state by its sum over the ranks of ``dp``."""
    for metric in metrics:
        if isinstance(metric, MeanMetric):
            metric.total, metric.count = (float(v) for v in dp.sum([metric.total,
                                                                     metric.count]))
        elif isinstance(metric, R2Score):
            _combine_r2(metric, dp)
        else:
            _combine_confusion(getattr(metric, "confusion", metric), dp)


def _combine_confusion(matrix: ConfusionMatrix, dp: Any) -> None:
    size = int(dp.maximum(len(matrix.matrix)))
    padded = np.zeros((size, size))
    padded[:len(matrix.matrix), :len(matrix.matrix)] = matrix.matrix
    matrix.matrix = dp.sum(padded)
    matrix.weighted = dp.any(matrix.weighted)


def _combine_r2(metric: R2Score, dp: Any) -> None:
    """Sum the weight, Σw·y and Σw·y² of every output (and SS_res), then back to mean and m2."""
    outputs = int(dp.maximum(0 if metric.weight is None else len(metric.mean)))
    weight = 0.0 if metric.weight is None else metric.weight
    mean = metric.mean if metric.weight is not None else np.zeros(outputs)
    m2 = metric.m2 if metric.weight is not None else np.zeros(outputs)
    residual = np.broadcast_to(metric.residual, (outputs,))
    sums = dp.sum(np.concatenate([[weight], weight * mean, m2 + weight * mean**2, residual]))
    total = sums[0]
    if total == 0:
        metric.reset()
        metric.residual = sums[1 + 2 * outputs:]
        return
    metric.weight = float(total)
    metric.mean = sums[1:1 + outputs] / total
    metric.m2 = np.maximum(sums[1 + outputs:1 + 2 * outputs] - total * metric.mean**2, 0.0)
    metric.residual = sums[1 + 2 * outputs:]
