"""What ``compile`` decides: the optimizer, the loss and the metrics, resolved from names.

>>> import descend as dc
>>> from descend.train.compiled import Compiled
>>> c = Compiled.resolve("adam", "mse", ["mae"])
>>> type(c.optimizer).__name__, c.loss_name, c.metric_names
('Adam', 'mse', ['mae'])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend import losses, metrics, optim
from descend.tensor import Tensor

ACCURACY_NAMES = ("accuracy", "acc")


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    if isinstance(loss, losses.Loss):
        return type(loss).__name__
    return getattr(loss, "__name__", type(loss).__name__)


def _takes_reduction(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "reduction" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


@dataclass
class Compiled:
    """The resolved ``compile`` arguments plus the original identifiers (for saving)."""

    optimizer: optim.Optimizer
    loss: Callable[..., Tensor]
    loss_identifier: Any
    metric_identifiers: list[Any]
    loss_name: str
    takes_reduction: bool
    metric_names: list[str] = field(default_factory=list)

    @classmethod
    def resolve(cls, optimizer: Any, loss: Any, metric_list: Sequence[Any] | None) -> Compiled:
        """Resolve names now, so an unknown name fails at ``compile``, before any training."""
        if isinstance(optimizer, type) and issubclass(optimizer, optim.Optimizer):
            optimizer = optimizer()
        if not isinstance(optimizer, str | optim.Optimizer):
            raise TypeError(f"compile: optimizer must be a name such as 'sgd' or 'adam', or a "
                            f"dc.optim optimizer, got {type(optimizer).__name__}")
        resolved_optimizer = optim.get(optimizer)
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='mse' for regression or "
                             "loss='sparse_categorical_crossentropy' for class labels")
        resolved_loss = losses.get(loss)
        if metric_list is None:
            metric_list = []
        if isinstance(metric_list, str) or not isinstance(metric_list, Sequence):
            raise TypeError("compile: metrics must be a list, e.g. metrics=['mae']")
        names = []
        for identifier in metric_list:
            if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES:
                names.append(identifier)
                continue
            names.append(metrics.get(identifier).name)
        return cls(resolved_optimizer, resolved_loss, loss, list(metric_list), _loss_name(loss),
                   _takes_reduction(resolved_loss), names)

    def make_metrics(self, y_shape: tuple[int, ...] | None,
                     pred_shape: tuple[int, ...] | None) -> list[metrics.Metric]:
        """Fresh streaming metrics; a bare "accuracy" becomes the variant the loss implies."""
        made = []
        for identifier in self.metric_identifiers:
            if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES:
                made.append(metrics.resolve_accuracy(self.loss_identifier, y_shape, pred_shape,
                                                     name=identifier))
            elif isinstance(identifier, metrics.Metric):
                identifier.reset()
                made.append(identifier)
            else:
                made.append(metrics.get(identifier))
        return made

    def batch_loss(self, y_true: np.ndarray, y_pred: Tensor,
                   sample_weight: np.ndarray | None) -> Tensor:
        """The mean (sample-weighted) loss of one batch, as a Tensor to backpropagate."""
        if not self.takes_reduction:
            if sample_weight is not None:
                raise ValueError(f"fit: the loss {self.loss_name} has no `reduction` argument, "
                                 "so sample or class weights cannot be applied; give it a "
                                 "reduction='none' option returning one loss per sample")
            value = self.loss(y_true, y_pred)
            return value if value.ndim == 0 else value.mean()
        per_sample = self.loss(y_true, y_pred, reduction="none")
        if sample_weight is None:
            return per_sample.mean()
        weights = np.asarray(sample_weight, dtype=per_sample.dtype)
        return (per_sample * weights).mean()

    def config(self) -> dict[str, Any]:
        """JSON-compatible description of the compile arguments (for model files)."""
        from descend.config import to_json

        loss = self.loss_identifier
        loss_spec = loss if isinstance(loss, str) else (
            {"class_name": type(loss).__name__, "config": loss.get_config()}
            if isinstance(loss, losses.Loss) else None)
        metric_specs = [m if isinstance(m, str) else getattr(m, "name", None)
                        for m in self.metric_identifiers]
        return {
            "optimizer": {"class_name": type(self.optimizer).__name__,
                          "config": to_json(self.optimizer.defaults, "optimizer")},
            "loss": loss_spec,
            "metrics": metric_specs,
        }
