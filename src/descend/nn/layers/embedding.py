"""``Embedding``: a learned vector for each integer index (word ids, categories).

>>> import descend as dc
>>> emb = dc.nn.Embedding(10, 3)
>>> emb(dc.tensor([[1, 2, 1]])).shape          # (batch, length) -> (batch, length, 3)
(1, 3, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.config import register_configurable
from descend.nn import initializers, regularizers
from descend.nn.layers.base import Layer, positive_int
from descend.nn.module import Shape
from descend.ops.index import getitem
from descend.tensors import ArrayLike, Tensor
from descend.tracing import check


def check_indices(indices: np.ndarray, input_dim: int) -> None:
    """Raise a ``ValueError`` naming the first index outside ``0 .. input_dim - 1``.

    A compiled step runs it again on each batch (:func:`descend.tracing.check`): NumPy would
    read a negative index from the end of the table.

    >>> check_indices(np.array([0, 2]), 3)
    >>> check_indices(np.array([[0, 3]]), 3)
    Traceback (most recent call last):
    ...
    ValueError: Embedding: index 3 is out of range; indices must be in 0..2 (input_dim=3)
    """
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= input_dim):
        bad = indices[(indices < 0) | (indices >= input_dim)]
        raise ValueError(f"Embedding: index {int(bad.flat[0])} is out of range; indices "
                         f"must be in 0..{input_dim - 1} (input_dim={input_dim})")


@register_configurable
class Embedding(Layer):
    """Look up row ``i`` of a learned ``(input_dim, output_dim)`` table for each index ``i``.

    The backward pass adds the gradient of every occurrence of an index into its row, so an
    index used twice in a batch gets both gradients.

    Args:
        input_dim: the number of distinct indices (valid indices are 0 … input_dim − 1).
        output_dim: the length of each vector.
        embeddings_initializer: a name or initializer (Keras default: uniform in ±0.05).
        embeddings_regularizer: a penalty on the table, or None.

    Shapes:
        input: integers of any shape ``(batch, ...)``; parameter ``embeddings``
        ``(input_dim, output_dim)``; output ``(batch, ..., output_dim)``.

    >>> import descend as dc
    >>> dc.nn.Embedding(1000, 16)
    Embedding(1000, 16)
    """

    def __init__(self, input_dim: int, output_dim: int, *,
                 embeddings_initializer: initializers.InitializerLike = "random_uniform",
                 embeddings_regularizer: regularizers.RegularizerLike | None = None) -> None:
        super().__init__()
        self.input_dim = positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = positive_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer)
        regularizer = regularizers.get(embeddings_regularizer)
        if regularizer is not None:
            self.add_regularizer("embeddings", regularizer)
        self._built = True

    def get_config(self) -> dict[str, Any]:
        return {"input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer,
                "embeddings_regularizer": self._regularizers.get("embeddings")}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, *input_shape[1:], self.output_dim)

    def __call__(self, x: ArrayLike) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))
        if x.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got {x.dtype} values of "
                            f"shape {x.shape}; convert them with x.astype('int64')")
        check(check_indices, x.data, self.input_dim)
        return super().__call__(x)

    def forward(self, x: Tensor) -> Tensor:
        return getitem(self.embeddings, x.data)

    def extra_repr(self) -> str:
        return f"{self.input_dim}, {self.output_dim}"
