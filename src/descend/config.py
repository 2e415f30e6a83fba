"""Objects that can be written as JSON and rebuilt: layers, initialisers, regularisers, models.

A :class:`Configurable` class remembers the arguments its constructor was called with;
:func:`serialize` turns such an object into ``{"class_name": ..., "config": {...}}`` made only of
JSON types, and :func:`deserialize` rebuilds it by looking the class name up among the
Configurable classes defined so far — never by executing code, so loading a file is safe.

>>> from descend.config import deserialize, serialize
>>> import descend as dc
>>> spec = serialize(dc.nn.Dense(4, activation="relu", input_dim=3))
>>> spec["class_name"], spec["config"]["units"], spec["config"]["activation"]
('Dense', 4, 'relu')
>>> deserialize(spec)
Dense(units=4, activation=relu, input_dim=3)
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, ClassVar

_REGISTRY: dict[str, type] = {}


class Configurable:
    """Mixin: records the outermost constructor call's arguments as ``self._config``."""

    _registry: ClassVar[dict[str, type]] = _REGISTRY

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY.setdefault(cls.__name__, cls)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self: Any, *args: Any, **kw: Any) -> None:
            if "_config" not in self.__dict__:
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                arguments.pop(next(iter(signature.parameters)))
                self.__dict__["_config"] = arguments
            init(self, *args, **kw)

        cls.__init__ = recording_init  # type: ignore[misc]

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-compatible values (nested objects serialized)."""
        return {name: to_json(value, f"{type(self).__name__}.{name}")
                for name, value in self.__dict__.get("_config", {}).items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Rebuild an object from :meth:`get_config`'s output."""
        return cls(**{name: from_json(value) for name, value in config.items()})


def to_json(value: Any, where: str) -> Any:
    """``value`` as JSON types: Configurable objects and named functions become specs."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [to_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v, where) for k, v in value.items()}
    if isinstance(value, Configurable):
        return serialize(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # NumPy scalar
        return value.item()
    if callable(value):
        from descend.nn import activations

        name = activations.name_of(value)
        try:
            if activations.get(name) is value:
                return name
        except ValueError:
            pass
    raise TypeError(
        f"cannot save {where}={value!r}: only numbers, strings, built-in descend objects and "
        "named activations can be written to a model file (rebuild custom parts in code and "
        "load just the weights with load(..., model=...))"
    )


def from_json(value: Any) -> Any:
    """Undo :func:`to_json`: specs become objects again, lists become tuples."""
    if isinstance(value, dict) and set(value) == {"class_name", "config"}:
        return deserialize(value)
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    return value


def serialize(obj: Configurable) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` for a Configurable object."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(spec: dict[str, Any]) -> Any:
    """Rebuild the object described by a :func:`serialize` spec (registered classes only)."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"not a descend object description: {spec!r}")
    name = spec["class_name"]
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(
            f"unknown class {name!r} in the model file; import the module that defines it "
            "before loading"
        )
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"the description of {name} has no valid config: {config!r}")
    try:
        return cls.from_config(config)
    except TypeError as err:
        raise ValueError(f"cannot rebuild {name} from the model file: {err}") from None
