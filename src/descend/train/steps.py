"""Helpers of the trainer's steps: a batch's parts, a forward pass, inference mode.

Evaluation and prediction run in eval mode without building a graph. A forward pass that
fails on a shape names the model and the input shape it expects.

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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descend import backend
from descend.autograd.mode import no_grad
from descend.data import Dataset
from descend.losses.checks import LossResultError
from descend.tensors import Tensor
from descend.train.adapter import match_target_shape

if TYPE_CHECKING:
    from descend.metrics import Metric
    from descend.nn.module import Module
    from descend.train.adapter import BatchSource
    from descend.train.compiled import Compiled

Batch = tuple[np.ndarray, ...]
Shape = tuple[int | None, ...]


def unpack(batch: Batch, output_shape: Shape | None,
           where: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(x, y, sample_weight)`` of a batch, ``y`` shaped for outputs of ``output_shape``.

    >>> import numpy as np
    >>> x, y, w = unpack((np.ones((3, 2)), np.zeros(3)), (None, 1), "fit")
    >>> y.shape, w
    ((3, 1), None)
    """
    if len(batch) < 2 or batch[1] is None:
        raise ValueError(f"{where}: every batch needs targets: (x, y) or (x, y, sample_weight)")
    weights = batch[2] if len(batch) > 2 else None
    return batch[0], match_target_shape(batch[1], output_shape), weights


def forward(model: Module, x: np.ndarray, where: str) -> Tensor:
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
        name_input_shape(model, x, where, err)
        raise


def name_input_shape(model: Module, x: np.ndarray, where: str, err: Exception) -> None:
    """Raise ``err`` again, naming the model's input shape, when ``x`` does not have it.

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=3)])
    >>> name_input_shape(model, np.ones((2, 4)), "fit", ValueError("Dense: ..."))
    Traceback (most recent call last):
    ...
    ValueError: fit: Sequential expects inputs of shape (None, 3), got (2, 4). Dense: ...
    """
    expected = model.input_shape
    if expected is not None and tuple(expected[1:]) != x.shape[1:]:
        raise type(err)(f"{where}: {type(model).__name__} expects inputs of shape "
                        f"{tuple(expected)}, got {x.shape}. {err}") from None


@contextlib.contextmanager
def inference_mode(model: Module) -> Iterator[None]:
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


def check_batch(model: Module, compiled: Compiled, batch: Batch, where: str,
                device: backend.Device) -> None:
    """Run the model, the loss and the metrics once on ``batch`` (eval mode, no graph).

    ``fit`` calls it on the first training and validation batches before training, so that
    targets that do not fit the model's outputs fail before any weight changes. ``device``
    is the model's (where the batch goes).

    >>> import numpy as np, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
    >>> check_batch(model, model.compiled, (np.ones((4, 2)), np.ones((4, 3))), "fit", "cpu")
    Traceback (most recent call last):
    ...
    ValueError: fit: the loss mse cannot compare targets of shape (4, 3) against outputs ...
    """
    x, y, weights = on_device(unpack(batch, model.output_shape, where), device)
    with inference_mode(model):
        prediction = forward(model, x, where)
        try:
            compiled.batch_loss(y, prediction, weights)
        except LossResultError:
            raise  # (it names the loss and says what a loss must return)
        except (ValueError, TypeError) as err:
            raise loss_error(err, where, compiled.loss_name, y.shape, prediction.shape) from None
        for metric in compiled.make_metrics(y.shape, model.output_shape):
            try:
                metric.update(y, prediction.data, sample_weight=weights)
            except (ValueError, TypeError) as err:
                raise type(err)(f"{where}: the metric {metric.name} cannot score "
                                f"{_shapes(y.shape, prediction.shape)}. {err}") from None


def loss_error(err: Exception, where: str, loss_name: str, y_shape: tuple[int, ...],
               prediction_shape: tuple[int, ...]) -> Exception:
    """``err`` (raised by the loss on one batch) as the same kind of error, saying which
    loss failed on which shapes.

    >>> print(loss_error(ValueError("mse: ..."), "fit", "mse", (4, 3), (4, 1)))
    fit: the loss mse cannot compare targets of shape (4, 3) against outputs of shape (4, 1). ...
    """
    return type(err)(f"{where}: the loss {loss_name} cannot compare "
                     f"{_shapes(y_shape, prediction_shape)}. {err}")


def _shapes(y_shape: tuple[int, ...], prediction_shape: tuple[int, ...]) -> str:
    return f"targets of shape {y_shape} against outputs of shape {prediction_shape}"


def on_device(batch: Sequence[Any], device: backend.Device) -> Any:
    """The arrays of ``batch`` (``x``, ``y``, sample weights; ``None`` stays) on ``device``;
    the batch itself on the CPU.

    >>> import numpy as np
    >>> batch = (np.ones(2), None)
    >>> on_device(batch, backend.CPU) is batch
    True
    """
    if device == backend.CPU:
        return batch
    return tuple(None if a is None else backend.to_device(a, device) for a in batch)


def first_batch(data: Dataset | BatchSource, size: int | None) -> Batch:
    """The first ``size`` samples of a Dataset (all for None), or the first of the batches.

    >>> import numpy as np
    >>> [a.shape for a in first_batch(Dataset(np.ones((5, 2)), np.ones(5)), 3)]
    [(3, 2), (3,)]
    """
    if isinstance(data, Dataset):
        return data[:size] if size is not None else (data.x, data.y)
    return data.first()  # type: ignore[return-value]


def epoch_logs(total: float, count: int, metrics: Sequence[Metric]) -> dict[str, float]:
    """The running loss (the sample mean of ``count`` samples' ``total``) and metrics.

    >>> epoch_logs(6.0, 4, [])
    {'loss': 1.5}
    """
    return {"loss": total / count if count else float("nan"),
            **{m.name: m.result() for m in metrics}}
