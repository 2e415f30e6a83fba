"""The work on one batch: a training step (the four-step loop) and evaluation passes.

A training step is: predict (forward), measure the loss, compute the gradient (backward) and
step against it (the optimizer). Evaluation and prediction run in eval mode without building
a graph. A forward pass that fails on a shape names the model and the input shape it expects.

>>> import numpy as np, descend as dc
>>> from descend.train.steps import forward
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
>>> forward(model, np.ones((2, 4), dtype=np.float32), "predict")
Traceback (most recent call last):
...
ValueError: predict: Sequential expects inputs of shape (None, 3), got (2, 4). Dense: ...
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from descend.autograd.mode import no_grad
from descend.data import Dataset
from descend.jit import CompiledStep, jit
from descend.tensor import Tensor
from descend.train.adapter import BatchSource, match_target_shape

if TYPE_CHECKING:
    from descend.metrics import Metric
    from descend.optim import Optimizer
    from descend.train.compiled import Compiled
    from descend.train.model import Model

Batch = tuple[np.ndarray, ...]


def unpack(model: Model, batch: Batch, where: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(x, y, sample_weight)`` of a batch, ``y`` shaped for the model's output.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    >>> x, y, w = unpack(model, (np.ones((3, 2)), np.zeros(3)), "fit")
    >>> y.shape, w
    ((3, 1), None)
    """
    if len(batch) < 2 or batch[1] is None:
        raise ValueError(f"{where}: every batch needs targets: (x, y) or (x, y, sample_weight)")
    weights = batch[2] if len(batch) > 2 else None
    return batch[0], match_target_shape(batch[1], model.output_shape), weights


def forward(model: Model, x: np.ndarray, where: str) -> Tensor:
    """``model(x)``; a ValueError/TypeError also says which input shape the model expects.

    Args:
        model: the model.
        x: one batch of inputs, shape ``(batch, ...)``.
        where: the caller, for messages (``"fit"``, ``"predict"``).

    Returns:
        The output Tensor (a graph is recorded unless gradients are off).

    >>> import numpy as np, descend as dc
    >>> forward(dc.Sequential([dc.nn.Dense(2, input_dim=3)]), np.ones((4, 3)), "fit").shape
    (4, 2)
    """
    try:
        return model(Tensor._wrap(x))
    except (ValueError, TypeError) as err:
        _raise_with_input_shape(model, x, where, err)
        raise


def _raise_with_input_shape(model: Model, x: np.ndarray, where: str, err: Exception) -> None:
    """Raise ``err`` again, naming the model's input shape, when ``x`` does not have it."""
    expected = model.input_shape
    if expected is not None and tuple(expected[1:]) != x.shape[1:]:
        raise type(err)(f"{where}: {type(model).__name__} expects inputs of shape "
                        f"{tuple(expected)}, got {x.shape}. {err}") from None


@contextlib.contextmanager
def inference_mode(model: Model) -> Iterator[None]:
    """Eval mode and no graph inside the block; the previous modes come back afterwards.

    >>> import descend as dc
    >>> model = dc.Sequential([dc.nn.Dropout(0.5)])
    >>> with inference_mode(model):
    ...     model.training, dc.is_grad_enabled()
    (False, False)
    >>> model.training
    True
    """
    modes = [(m, m.training) for m in model.modules()]
    for module, _ in modes:
        module.training = False
    try:
        with no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode


def train_step(model: Model, compiled: Compiled, x: np.ndarray, y: np.ndarray, weights: Any,
               metric_objects: list[Metric], *, regularized: bool, where: str = "fit") -> float:
    """One step of the four-step loop on one batch; returns its loss (before the step).

    ``y`` must already have the model's output shape (see :func:`unpack`). This is the
    trainer's hot path: it does no more per batch than a hand-written loop, but for the
    metrics and the regularisation penalty when there are any.

    The metrics are updated from the batch's predictions before the weights change, so a
    metric that cannot handle the targets fails before the step.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1, kernel_initializer="ones")])
    >>> model.compile(dc.optim.SGD(lr=0.25), "mse")
    >>> x, y = np.ones((2, 1), dtype=np.float32), np.zeros((2, 1), dtype=np.float32)
    >>> train_step(model, model.compiled, x, y, None, [], regularized=False)
    1.0
    >>> model.get_weights()[0]                                            # 1 - 0.25 * 2
    array([[0.5]], dtype=float32)
    """
    compiled_step = compiled.jit_compile and weights is None  # sample weights: eager for now
    if compiled_step:
        loss, prediction = _jit_step(model, compiled, regularized, where)(x, y)
    else:
        loss, prediction = _loss(model, compiled, x, y, weights, regularized, where)
    for metric in metric_objects:
        metric.update(y, prediction.data, sample_weight=weights)
    if not compiled_step:
        _descend(compiled.optimizer, loss)
    return float(loss.data)


def _jit_step(model: Model, compiled: Compiled, regularized: bool, where: str) -> CompiledStep:
    """The compiled step ``(x, y) -> (loss, prediction)``, made at its first use."""
    step = compiled.jit_steps.get(regularized)
    if step is None:
        step = compiled.jit_steps[regularized] = jit(functools.partial(
            _whole_step, model, compiled, regularized=regularized, where=where))
    return step


def _loss(model: Model, compiled: Compiled, x: Any, y: Any, weights: Any, regularized: bool,
          where: str) -> tuple[Tensor, Tensor]:
    """The batch's loss (with the regularisation penalty) and the model's predictions."""
    x_tensor = x if isinstance(x, Tensor) else Tensor._wrap(x)
    try:
        prediction = model(x_tensor)
    except (ValueError, TypeError) as err:
        _raise_with_input_shape(model, x_tensor.data, where, err)
        raise
    loss = compiled.batch_loss(y, prediction, weights)
    if regularized:
        loss = loss + model.regularization_loss()
    return loss, prediction


def _descend(optimizer: Optimizer, loss: Tensor) -> None:
    """Zero the gradients, backpropagate ``loss`` and step the optimizer."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def _whole_step(model: Model, compiled: Compiled, x: Tensor, y: Tensor, *, regularized: bool,
                where: str) -> tuple[Tensor, Tensor]:
    """One training step as ``dc.jit`` compiles it: loss, backward, update."""
    loss, prediction = _loss(model, compiled, x, y, None, regularized, where)
    _descend(compiled.optimizer, loss)
    return loss, prediction


def evaluate_batches(model: Model, compiled: Compiled, data: Dataset | BatchSource,
                     batch_size: int, where: str = "evaluate") -> dict[str, float]:
    """The loss and metrics over ``data``, in eval mode without a graph.

    The loss is the mean of the batch losses weighted by batch size (so the per-sample mean,
    sample weights applied as in training) plus the regularisation penalty.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1, kernel_initializer="ones")])
    >>> model.compile("sgd", "mse", metrics=["mae"])
    >>> data = dc.data.Dataset(np.ones((3, 1), dtype=np.float32), np.zeros((3, 1)))
    >>> evaluate_batches(model, model.compiled, data, batch_size=2)
    {'loss': 1.0, 'mae': 1.0}
    """
    sample = data.y if isinstance(data, Dataset) else None
    metric_objects = compiled.make_metrics(None if sample is None else sample.shape,
                                           model.output_shape)
    total, count = 0.0, 0
    batches = data.batches(batch_size) if isinstance(data, Dataset) else iter(data)
    with inference_mode(model):
        for batch in batches:
            x, y, weights = unpack(model, batch, where)
            prediction = forward(model, x, where)
            total += float(compiled.batch_loss(y, prediction, weights).data) * len(x)
            count += len(x)
            for metric in metric_objects:
                metric.update(y, prediction.data, sample_weight=weights)
        penalty = float(model.regularization_loss().data) if model.has_regularizers() else 0.0
    return {"loss": total / max(count, 1) + penalty,
            **{m.name: m.result() for m in metric_objects}}


def check_batch(model: Model, compiled: Compiled, batch: Batch, where: str) -> None:
    """Run the model, the loss and the metrics once on ``batch`` (eval mode, no graph).

    ``fit`` calls it on the first training and validation batches before training, so that
    targets that do not fit the model's outputs fail before any weight changes.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
    >>> check_batch(model, model.compiled, (np.ones((4, 2)), np.ones((4, 3))), "fit")
    Traceback (most recent call last):
    ...
    ValueError: fit: the loss mse cannot compare targets of shape (4, 3) against outputs ...
    """
    x, y, weights = unpack(model, batch, where)
    with inference_mode(model):
        prediction = forward(model, x, where)
        shapes = f"targets of shape {y.shape} against outputs of shape {prediction.shape}"
        try:
            compiled.batch_loss(y, prediction, weights)
        except (ValueError, TypeError) as err:
            raise type(err)(f"{where}: the loss {compiled.loss_name} cannot compare {shapes}. "
                            f"{err}") from None
        for metric in compiled.make_metrics(y.shape, model.output_shape):
            try:
                metric.update(y, prediction.data, sample_weight=weights)
            except (ValueError, TypeError) as err:
                raise type(err)(f"{where}: the metric {metric.name} cannot score {shapes}. "
                                f"{err}") from None
