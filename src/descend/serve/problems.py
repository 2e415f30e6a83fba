"""A toy problem the lab does not have yet: a double well, whose nearer minimum is not the
lowest.

Kept here until :mod:`descend.lab.problems` has one; it is a :class:`~descend.lab.Problem`
like the others, so races and pictures treat it the same way.

>>> p = DoubleWell()
>>> p.value(*p.minimum) < p.value(*p.local_minimum)
True
"""

from __future__ import annotations

from descend.lab.problems import Problem
from descend.tensors import Tensor


class DoubleWell(Problem):
    """``(x² − 1)² + 0.3·x + ½·y²``: two valleys, the left one lower.

    The minimum is near ``(−1.04, 0)`` (loss −0.31); a local minimum near ``(0.96, 0)`` (loss
    0.29) catches plain gradient descent started on the right, while momentum can roll over
    the ridge between them.

    >>> round(DoubleWell().value(0.0, 0.0), 2)
    1.0
    """

    name = "doublewell"
    bounds = ((-2.0, 2.0), (-1.6, 1.6))
    start = (1.9, 1.2)
    minimum = (-1.0356, 0.0)
    local_minimum = (0.9602, 0.0)
    min_loss = -0.3054
    lr = 0.05
    adaptive_lr = 0.1
    steps = 150

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        return (a * a - 1.0) ** 2 + 0.3 * a + 0.5 * (b * b)
