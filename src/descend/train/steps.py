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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from descend.autograd.mode import no_grad
from descend.tensor import Tensor
from descend.train.adapter import match_target_shape

if TYPE_CHECKING:
    from descend.nn.module import Module

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
        _raise_with_input_shape(model, x, where, err)
        raise


def _raise_with_input_shape(model: Module, x: np.ndarray, where: str, err: Exception) -> None:
    """Raise ``err`` again, naming the model's input shape, when ``x`` does not have it."""
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
