"""``Sequential``: layers applied one after another, each to the previous one's output.

When the first layer knows its input (``input_dim=`` / ``input_shape=``), every layer is built
as it is added, so the model has its parameters (and a summary) straight away; otherwise the
model builds on its first batch or from ``model.build(input_shape)``.

>>> import descend as dc
>>> model = dc.Sequential([dc.nn.Dense(8, activation="relu", input_dim=13)])
>>> model.add(dc.nn.Dense(1))
>>> len(model), model.built, [name for name, _ in model.named_parameters()]
(2, True, ['0.kernel', '0.bias', '1.kernel', '1.bias'])
>>> model(dc.ones((5, 13))).shape
(5, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, overload

from descend.config import deserialize, register_configurable, serialize
from descend.models.model import Model
from descend.nn.module import Module, Shape


@register_configurable
class Sequential(Model):
    """A stack of modules: ``model(x)`` is ``layers[-1](... layers[0](x))``; also a ``dc.Model``.

    Args:
        layers: the modules in order (more can be added with :meth:`add`).

    Parameters are named by position: ``"0.kernel"``, ``"1.bias"``, ...

    >>> import descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(4), dc.nn.Dense(1)])
    >>> model.built, model.build((None, 3)).built
    (False, True)
    >>> model
    Sequential(
      (0): Dense(units=4, input_dim=3)
      (1): Dense(units=1, input_dim=4)
    )
    """

    def __init__(self, layers: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.layers: list[Module] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Module) -> None:
        """Append ``layer``; it is built at once when the shape reaching it is known."""
        if not isinstance(layer, Module):
            raise TypeError(
                f"Sequential.add: expected a layer (a dc.nn.Module such as dc.nn.Dense), got "
                f"{type(layer).__name__}"
            )
        shape = self.output_shape if self.layers else layer.input_shape
        self.layers.append(layer)
        if shape is not None:
            layer.build(shape)
            self.input_shape = self.layers[0].input_shape
            self.output_shape = layer.output_shape

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def build(self, input_shape: Shape) -> Sequential:
        """Build every layer in turn for inputs of ``input_shape`` (batch axis may be None)."""
        shape = tuple(input_shape)
        self.input_shape = (None, *shape[1:])
        for i, layer in enumerate(self.layers):
            shape = layer.build(shape).output_shape
            if shape is None:
                raise TypeError(f"Sequential: layer {i} ({type(layer).__name__}) does not "
                                "return a single Tensor, so nothing can follow it")
        self.output_shape = shape
        return self

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def get_config(self) -> dict[str, Any]:
        """The layers, each as ``{"class_name": ..., "config": ...}`` (for model files)."""
        return {"layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """Rebuild the stack from :meth:`get_config`'s output."""
        return cls([deserialize(spec) for spec in config.get("layers", [])])
