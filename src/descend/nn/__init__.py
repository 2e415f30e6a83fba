"""Neural-network building blocks: ``Module``, ``Parameter`` and the layers.

Layers build lazily from their first input (Keras style) or eagerly from ``input_dim`` /
``input_shape``; models also work torch-style with a hand-written loop. Images are NCHW.

>>> import descend as dc
>>> dc.seed(0)
>>> model = dc.Sequential([
...     dc.nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
...     dc.nn.MaxPool2D(),
...     dc.nn.Flatten(),
...     dc.nn.Dense(2),
... ])
>>> loss = (model(dc.ones((3, 1, 8, 8))) ** 2).mean()
>>> loss.backward()
>>> with dc.no_grad():
...     for p in model.parameters():
...         p -= 0.1 * p.grad
>>> model.output_shape
(None, 2)
"""

from descend.nn import activations, initializers, regularizers
from descend.nn.layers import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    KernelLayer,
    Layer,
    LayerNorm,
    MaxPool2D,
    dropout,
)
from descend.nn.module import LoadResult, Module, Parameter

__all__ = [
    "Activation", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Embedding",
    "Flatten", "GlobalAvgPool2D", "KernelLayer", "Layer", "LayerNorm", "LoadResult",
    "MaxPool2D", "Module", "Parameter", "activations", "dropout",
    "initializers", "regularizers",
]


def __getattr__(name: str) -> object:
    """``dc.nn.Sequential`` moved to ``dc.Sequential``: say so instead of a bare AttributeError."""
    if name == "Sequential":
        raise AttributeError("descend.nn has no Sequential: it is a model (layers never import "
                             "the trainer); use dc.Sequential (descend.models.Sequential)")
    raise AttributeError(f"module 'descend.nn' has no attribute {name!r}")
