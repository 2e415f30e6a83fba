"""Optimizers, learning-rate schedules and gradient clipping.

Every optimizer is a pure update rule (``SGD.rule.init`` / ``SGD.rule.update`` on NumPy arrays)
wrapped by a torch-style :class:`Optimizer`; names, defaults and results follow torch.optim.

>>> import descend as dc
>>> w = dc.tensor([0.0], requires_grad=True)
>>> opt = dc.optim.SGD([w], lr=0.1)
>>> ((w - 3) ** 2).sum().backward(); opt.step()
>>> w
tensor([0.6], requires_grad=True)
"""

from descend.optim import schedules
from descend.optim.adadelta import Adadelta
from descend.optim.adagrad import Adagrad
from descend.optim.adam import Adam, AdamW
from descend.optim.adamax import Adamax
from descend.optim.clipping import clip_grad_norm, clip_grad_value
from descend.optim.lion import Lion
from descend.optim.nadam import NAdam, Nadam
from descend.optim.optimizer import Optimizer, UpdateRule
from descend.optim.radam import RAdam
from descend.optim.registry import OPTIMIZERS, get
from descend.optim.rmsprop import RMSprop
from descend.optim.sgd import SGD

__all__ = [
    "OPTIMIZERS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Lion", "NAdam",
    "Nadam", "Optimizer", "RAdam", "RMSprop", "UpdateRule", "clip_grad_norm", "clip_grad_value",
    "get", "schedules",
]
