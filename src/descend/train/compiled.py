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

from descend import backend, losses, metrics, optim
from descend.losses.checks import check_loss_value
from descend.tensors import Tensor

ACCURACY_NAMES = ("accuracy", "acc")


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    if isinstance(loss, losses.Loss):
        return type(loss).__name__
    return getattr(loss, "__name__", type(loss).__name__)


def _lookup(what: str, get: Callable[[Any], Any], identifier: Any) -> Any:
    """``get(identifier)``, its error messages starting with ``compile: <what>:``."""
    try:
        return get(identifier)
    except (ValueError, TypeError) as err:
        text = str(err)
        for prefix in ("optim.get: ", "losses.get: ", "metrics.get: "):
            text = text.removeprefix(prefix)
        raise type(err)(f"compile: {what}: {text}") from None


def _takes_reduction(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "reduction" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


@dataclass
class Compiled:
    """The resolved ``compile`` arguments plus the original identifiers (for saving).

    >>> import numpy as np, descend as dc
    >>> c = Compiled.resolve("sgd", "mse", ["accuracy"])
    >>> c.batch_loss(np.zeros((2, 1)), dc.tensor([[1.0], [3.0]]), None).item()
    5.0
    """

    optimizer: optim.Optimizer
    loss: Callable[..., Tensor]
    loss_identifier: Any
    metric_identifiers: list[Any]
    loss_name: str
    takes_reduction: bool
    metric_names: list[str] = field(default_factory=list)
    jit_compile: bool | str = False
    """Whether ``fit`` runs its steps through ``dc.jit``: ``True``, ``False`` or ``"auto"``."""
    jit_steps: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The compiled training steps, made at their first use: ``"train"`` (giving back the
    loss) and ``"train with prediction"`` (the loss and the prediction, for metrics)."""
    jit_choice: str | None = None
    """What ``jit_compile="auto"`` chose at the first step: ``"compiled"`` or ``"eager"``."""

    @classmethod
    def resolve(cls, optimizer: Any, loss: Any, metric_list: Sequence[Any] | None) -> Compiled:
        """Resolve names now, so an unknown name fails at ``compile``, before any training.

        >>> Compiled.resolve("sgd", "mse", ["nope"])
        Traceback (most recent call last):
        ...
        ValueError: compile: metrics: unknown metric 'nope'. ...
        """
        if isinstance(optimizer, type) and issubclass(optimizer, optim.Optimizer):
            optimizer = optimizer()
        if not isinstance(optimizer, str | optim.Optimizer):
            raise TypeError(f"compile: optimizer must be a name such as 'sgd' or 'adam', or a "
                            f"dc.optim optimizer, got {type(optimizer).__name__}")
        resolved_optimizer = _lookup("optimizer", optim.get, optimizer)
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='mse' for regression or "
                             "loss='sparse_categorical_crossentropy' for class labels")
        resolved_loss = _lookup("loss", losses.get, loss)
        if metric_list is None:
            metric_list = []
        if isinstance(metric_list, str) or not isinstance(metric_list, Sequence):
            raise TypeError("compile: metrics must be a list, e.g. metrics=['mae']")
        names = []
        for identifier in metric_list:
            if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES:
                names.append(identifier)
                continue
            names.append(_lookup("metrics", metrics.get, identifier).name)
        repeated = sorted({n for n in names if names.count(n) > 1} | ({"loss", "lr"} & set(names)))
        if repeated:
            raise ValueError(f"compile: metrics: the name(s) {repeated} would clash in the logs "
                             "(each metric needs its own name, and 'loss' and 'lr' are taken)")
        return cls(resolved_optimizer, resolved_loss, loss, list(metric_list), _loss_name(loss),
                   _takes_reduction(resolved_loss), names)

    def make_metrics(self, y_shape: tuple[int, ...] | None,
                     pred_shape: tuple[int, ...] | None) -> list[metrics.Metric]:
        """Fresh streaming metrics; a bare "accuracy" becomes the variant the loss implies.

        >>> Compiled.resolve("sgd", "sparse_categorical_crossentropy", ["acc"]).make_metrics(
        ...     (8,), (8, 3))
        [SparseCategoricalAccuracy(name='acc')]
        """
        made = []
        for identifier in self.metric_identifiers:
            if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES:
                made.append(metrics.resolve_accuracy(self.loss, y_shape, pred_shape,
                                                     name=identifier))
            elif isinstance(identifier, metrics.Metric):
                identifier.reset()
                made.append(identifier)
            else:
                made.append(metrics.get(identifier))
        return made

    def batch_loss(self, y_true: np.ndarray, y_pred: Tensor,
                   sample_weight: np.ndarray | None) -> Tensor:
        """The loss of one batch, as a Tensor to backpropagate.

        Without weights: the loss as the loss computes it (a mean unless a ``dc.losses``
        object says ``reduction="sum"``). With weights ``w``: ``mean_i(w_i * loss_i)`` over
        the per-sample losses (``sum_i`` for a ``reduction="sum"`` loss object).

        >>> import numpy as np, descend as dc
        >>> c = Compiled.resolve("sgd", "mse", [])
        >>> c.batch_loss(np.zeros((2, 1)), dc.tensor([[1.0], [3.0]]), np.array([1.0, 0.0])).item()
        0.5
        """
        if sample_weight is None:
            value = check_loss_value(self.loss_name, self.loss(y_true, y_pred), y_pred)
            return value if not value.data.ndim else value.mean()
        if not self.takes_reduction:
            raise ValueError(f"fit: the loss {self.loss_name} has no `reduction` argument, "
                             "so sample or class weights cannot be applied; give it a "
                             "reduction='none' option returning one loss per sample")
        per_sample = check_loss_value(self.loss_name, self.loss(y_true, y_pred, reduction="none"),
                                      y_pred)
        if not isinstance(sample_weight, Tensor):  # (a compiled step gets them as a Tensor)
            xp = backend.array_module(per_sample.data)
            sample_weight = xp.asarray(sample_weight, dtype=per_sample.dtype)
        weighted = per_sample * sample_weight
        return weighted.sum() if getattr(self.loss, "reduction", None) == "sum" else \
            weighted.mean()

    def config(self) -> dict[str, Any]:
        """JSON-compatible description of the compile arguments (for model files).

        >>> config = Compiled.resolve("adam", "mse", ["mae"]).config()
        >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
        ('Adam', 'mse', ['mae'])
        """
        from descend.config import to_json

        loss: Any = self.loss
        if isinstance(self.loss_identifier, str):
            loss_spec = self.loss_identifier
        elif isinstance(loss, losses.Loss):
            loss_spec = {"class_name": type(loss).__name__,
                         "config": to_json(loss.get_config(), "loss")}
        else:
            loss_spec = loss.__name__ if loss in losses.LOSSES.values() else None
        metric_specs = [_metric_spec(m) for m in self.metric_identifiers]
        return {
            "optimizer": {"class_name": type(self.optimizer).__name__,
                          "config": to_json(self.optimizer.defaults, "optimizer")},
            "loss": loss_spec,
            "metrics": metric_specs,
        }


def _metric_spec(identifier: Any) -> str | None:
    """A metric's name if loading can rebuild it from the name, else None (custom metrics)."""
    if isinstance(identifier, str):
        return identifier
    name = getattr(identifier, "name", None)
    if not isinstance(name, str) or not isinstance(identifier, metrics.Metric):
        return None
    try:
        rebuilt = metrics.get(name)
    except ValueError:
        return None
    return name if type(rebuilt) is type(identifier) else None
