"""``get``: an optimizer from its name, so ``model.compile(optimizer="adam")`` works.

>>> import descend as dc
>>> dc.optim.get("adam")
Adam(lr=0.001, betas=(0.9, 0.999), ...) with no parameters yet (bind them, or model.compile)
"""

from __future__ import annotations

from typing import Any

from descend.names import lookup
from descend.optim.adadelta import Adadelta
from descend.optim.adagrad import Adagrad
from descend.optim.adam import Adam, AdamW
from descend.optim.adamax import Adamax
from descend.optim.lion import Lion
from descend.optim.nadam import Nadam
from descend.optim.optimizer import Optimizer
from descend.optim.radam import RAdam
from descend.optim.rmsprop import RMSprop
from descend.optim.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
    "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam, "radam": RAdam, "lion": Lion,
}
"""Every optimizer ``get`` knows, by lowercase name."""


def get(identifier: str | Optimizer, **hyperparameters: Any) -> Optimizer:
    """An optimizer without parameters (``model.compile`` binds them) from a name or instance.

    Args:
        identifier: a name (any case: ``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``,
            ``"adagrad"``, ``"adadelta"``, ``"adamax"``, ``"nadam"``, ``"radam"``, ``"lion"``)
            or an optimizer, which is returned unchanged.
        **hyperparameters: passed to the optimizer (``lr=0.01``, ...); defaults otherwise.

    >>> import descend as dc
    >>> dc.optim.get("SGD", lr=0.1, momentum=0.9).defaults["momentum"]
    0.9
    """
    if isinstance(identifier, Optimizer):
        if hyperparameters:
            raise ValueError("optim.get: hyperparameters can be given only with a name, not "
                             "with an optimizer that already has its own")
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"optim.get: expected an optimizer name or an Optimizer, got "
                        f"{type(identifier).__name__}")
    return lookup("optim.get", "optimizer", identifier, OPTIMIZERS)(**hyperparameters)
