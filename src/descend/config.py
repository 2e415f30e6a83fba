"""Objects that can be written as JSON and rebuilt: layers, initialisers, regularisers, models.

A :class:`Configurable` class remembers the arguments its constructor was called with;
:func:`serialize` turns such an object into ``{"class_name": ..., "config": {...}}`` made only of
JSON types, and :func:`deserialize` rebuilds it by looking the class name up among the
Configurable classes defined so far — never by executing code from the file, so loading a file
is safe. descend's own classes are named plainly (``"Dense"``); classes defined elsewhere by
module and qualified name (``"mymodels.Net"``), so two classes called ``Net`` do not clash. A
class that moved (saved from ``__main__``, loaded from a module) is still found by its plain
name when exactly one class has it.

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
from typing import Any

_REGISTRY: dict[str, type] = {}


class Configurable:
    """Mixin: records the outermost constructor call's arguments as ``self._config``.

    Every subclass is registered by :func:`registry_name`, so :func:`deserialize` can find it.

    >>> class Scale(Configurable):
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    >>> Scale(factor=3.0).get_config()
    {'factor': 3.0}
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[registry_name(cls)] = cls  # a class defined again (a notebook cell) replaces
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
        """The constructor arguments, as JSON-compatible values (nested objects serialized).

        >>> import descend as dc
        >>> dc.nn.regularizers.L2(0.1).get_config()
        {'l2': 0.1}
        """
        return {name: to_json(value, f"{type(self).__name__}.{name}")
                for name, value in self.__dict__.get("_config", {}).items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Rebuild an object from :meth:`get_config`'s output.

        >>> import descend as dc
        >>> dc.nn.Dense.from_config({"units": 2, "input_dim": 3}).kernel.shape
        (3, 2)
        """
        return cls(**{name: from_json(value) for name, value in config.items()})


def to_json(value: Any, where: str) -> Any:
    """``value`` as JSON types: Configurable objects and named functions become specs.

    >>> import descend as dc
    >>> to_json((1, dc.nn.initializers.Constant(0.5), dc.relu), "example")
    [1, {'class_name': 'Constant', 'config': {'value': 0.5}}, 'relu']
    """
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
    """Undo :func:`to_json`: specs become objects again, lists become tuples.

    >>> from_json([1, {"class_name": "Constant", "config": {"value": 0.5}}])
    (1, Constant(value=0.5))
    """
    if isinstance(value, dict) and set(value) == {"class_name", "config"}:
        return deserialize(value)
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    return value


def registry_name(cls: type) -> str:
    """The name a class is saved under: plain for descend's classes, else module-qualified.

    >>> import descend as dc
    >>> registry_name(dc.nn.Dense)
    'Dense'
    """
    if cls.__module__.split(".")[0] == "descend":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def serialize(obj: Configurable) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` for a Configurable object.

    >>> import descend as dc
    >>> serialize(dc.nn.Dropout(0.25))
    {'class_name': 'Dropout', 'config': {'rate': 0.25, 'input_shape': None}}
    """
    return {"class_name": registry_name(type(obj)), "config": obj.get_config()}


def _find_class(name: str) -> type:
    cls = _REGISTRY.get(name)
    if cls is not None:
        return cls
    plain = name.rsplit(".", 1)[-1]
    candidates = [c for c in _REGISTRY.values() if c.__name__ == plain]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(sorted(registry_name(c) for c in candidates))
        raise ValueError(f"the model file names class {name!r}, which is not defined; several "
                         f"classes could be meant ({names})")
    raise ValueError(
        f"unknown class {name!r} in the model file; import or define it before loading "
        "(loading only rebuilds descend's classes and those your program defines)"
    )


def deserialize(spec: dict[str, Any]) -> Any:
    """Rebuild the object described by a :func:`serialize` spec (registered classes only).

    >>> deserialize({"class_name": "Dropout", "config": {"rate": 0.25}})
    Dropout(rate=0.25)
    >>> deserialize({"class_name": "subprocess.Popen", "config": {"args": "ls"}})
    Traceback (most recent call last):
    ...
    ValueError: unknown class 'subprocess.Popen' in the model file; import or define it ...
    """
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"not a descend object description: {spec!r}")
    name = spec["class_name"]
    if not isinstance(name, str):
        raise ValueError(f"not a descend object description: class_name {name!r}")
    cls = _find_class(name)
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"the description of {name} has no valid config: {config!r}")
    try:
        return cls.from_config(config)
    except TypeError as err:
        raise ValueError(f"cannot rebuild {name} from the model file: {err}") from None
