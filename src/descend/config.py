"""Objects that can be written as JSON and rebuilt: layers, initialisers, regularisers, models.

A configurable class says how to rebuild it: :meth:`Configurable.get_config` returns its
constructor arguments and :meth:`Configurable.from_config` calls the constructor with them
(Keras' contract). :func:`register_configurable` records the class under a name, so that
:func:`deserialize` can find it again: loading looks the name up among the registered classes
and never executes code from the file, so loading a file is safe. descend's own classes are
registered under their plain names (``"Dense"``); others by module and qualified name
(``"mymodels.Net"``), so two classes called ``Net`` do not clash. A class that moved (saved
from ``__main__``, loaded from a module) is still found by its plain name when exactly one
registered class has it.

>>> from descend.config import deserialize, serialize
>>> import descend as dc
>>> spec = serialize(dc.nn.Dense(4, activation="relu", input_dim=3))
>>> spec["class_name"], spec["config"]["units"], spec["config"]["activation"]
('Dense', 4, 'relu')
>>> deserialize(spec)
Dense(units=4, activation=relu, input_dim=3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

C = TypeVar("C", bound=type)

_REGISTRY: dict[str, type] = {}
_NAMES: dict[type, str] = {}


class Configurable:
    """Base of objects a model file can describe: ``get_config`` and ``from_config``.

    A subclass whose constructor takes arguments writes :meth:`get_config`; one without
    arguments needs nothing. Register the class with :func:`register_configurable` so that
    files naming it can be loaded.

    >>> @register_configurable
    ... class Scale(Configurable):
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> deserialize(serialize(Scale(factor=3.0))).factor
    3.0
    """

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this object (``{}`` by default).

        Values may be numbers, strings, lists, dicts, registered objects and named
        activations; :func:`serialize` turns them into JSON types.

        >>> import descend as dc
        >>> dc.nn.regularizers.L2(0.1).get_config()
        {'l2': 0.1}
        """
        init = type(self).__init__
        code = getattr(init, "__code__", None)
        if init is object.__init__ or (code is not None and code.co_argcount == 1
                                       and not code.co_kwonlyargcount):
            return {}
        raise TypeError(
            f"{type(self).__name__} cannot be saved: its constructor takes arguments, so it "
            f"needs a get_config() method returning them (and @dc.register_configurable on "
            f"the class)"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Rebuild an object from :meth:`get_config`'s output (nested specs rebuilt first).

        >>> import descend as dc
        >>> dc.nn.Dense.from_config({"units": 2, "input_dim": 3}).kernel.shape
        (3, 2)
        """
        return cls(**{name: from_json(value) for name, value in config.items()})


def register_configurable(cls: C | None = None, *,
                          name: str | None = None) -> C | Callable[[C], C]:
    """Class decorator: files may name the class (``name``, by default
    :func:`registry_name`), and :func:`deserialize` rebuilds it with ``from_config``.

    A class registered again under the same name (a notebook cell run twice) replaces the
    previous one.

    >>> import descend as dc
    >>> @dc.register_configurable(name="examples.Halves")
    ... class Halves(dc.nn.initializers.Initializer):
    ...     def sample(self, shape):
    ...         return np.full(shape, 0.5)
    >>> serialize(Halves())
    {'class_name': 'examples.Halves', 'config': {}}
    """
    def register(target: C) -> C:
        if not isinstance(target, type) or not callable(getattr(target, "from_config", None)):
            raise TypeError(f"register_configurable: expected a class with get_config and "
                            f"from_config (a dc.nn.Layer, dc.Model, initializer...), got "
                            f"{target!r}")
        key = registry_name(target) if name is None else name
        _REGISTRY[key] = target
        _NAMES[target] = key
        return target

    return register if cls is None else register(cls)


def to_json(value: Any, where: str) -> Any:
    """``value`` as JSON types: registered objects become specs, activations their names.

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
        f"cannot save {where}={value!r}: only numbers, strings, descend's objects, registered "
        "classes and named activations can be written to a model file (rebuild custom parts in "
        "code and load just the weights with load(..., model=...))"
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
    """The name a class is registered under by default: plain for descend's, else qualified.

    >>> import descend as dc
    >>> registry_name(dc.nn.Dense)
    'Dense'
    """
    if cls.__module__.split(".")[0] == "descend":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def serialize(obj: Configurable) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` for an object of a registered class.

    Raises:
        TypeError: the class is not registered, or a value in its config cannot be written;
            the message names the class (and the argument).

    >>> import descend as dc
    >>> serialize(dc.nn.Dropout(0.25))
    {'class_name': 'Dropout', 'config': {'rate': 0.25, 'input_shape': None}}
    >>> class Net(dc.Model):
    ...     pass
    >>> serialize(Net())
    Traceback (most recent call last):
    ...
    TypeError: cannot save Net: its class is not registered; decorate it with ...
    """
    cls = type(obj)
    name = _NAMES.get(cls)
    if name is None:
        raise TypeError(f"cannot save {cls.__name__}: its class is not registered; decorate it "
                        "with @dc.register_configurable and give it a get_config() method "
                        "returning its constructor arguments")
    return {"class_name": name,
            "config": {key: to_json(value, f"{cls.__name__}.{key}")
                       for key, value in obj.get_config().items()}}


def _find_class(name: str) -> type:
    cls = _REGISTRY.get(name)
    if cls is not None:
        return cls
    plain = name.rsplit(".", 1)[-1]
    candidates = [c for c in _REGISTRY.values() if c.__name__ == plain]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(sorted(_NAMES[c] for c in candidates))
        raise ValueError(f"the model file names class {name!r}, which is not defined; several "
                         f"classes could be meant ({names})")
    raise ValueError(
        f"unknown class {name!r} in the model file; import or define it before loading "
        "(loading only rebuilds descend's classes and those your program registers with "
        "@dc.register_configurable)"
    )


def deserialize(spec: dict[str, Any]) -> Any:
    """Rebuild the object a :func:`serialize` spec describes (registered classes only).

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
