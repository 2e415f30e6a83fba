"""Learning-rate schedules: each rewrites ``param_groups[i]["lr"]`` once per ``step()``.

Make a schedule for an optimizer that has its parameters, call ``optimizer.step()`` then
``schedule.step()`` (``ReduceLROnPlateau``: ``schedule.step(val_loss)``), and read the current
rates with ``get_last_lr()``. Values equal torch.optim.lr_scheduler's step for step.

>>> import descend as dc
>>> opt = dc.optim.SGD([dc.zeros(1, requires_grad=True)], lr=0.1)
>>> sched = dc.optim.schedules.ExponentialLR(opt, gamma=0.9)
>>> opt.step(); sched.step(); round(opt.lr, 6)
0.09
"""

from descend.optim.schedules.base import LRScheduler
from descend.optim.schedules.cosine import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
)
from descend.optim.schedules.decay import (
    ExponentialLR,
    InverseTimeDecay,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from descend.optim.schedules.plateau import ReduceLROnPlateau
from descend.optim.schedules.sequential import SequentialLR

__all__ = [
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR", "InverseTimeDecay",
    "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR", "PolynomialLR",
    "ReduceLROnPlateau", "SequentialLR", "StepLR",
]
