"""The schema of a model file's metadata, checked before :func:`descend.load` builds anything.

Every metadata entry is a JSON string; :func:`check_metadata` parses each one and checks its
types, its nesting depth and its size, that every class it names is one descend knows (an
optimizer, a loss, or a class registered for model files), and that the tensors' names and
dtypes are those the metadata implies. It returns the parsed values; anything else is a
``ValueError`` saying which entry is wrong and what was expected. Nothing in the file is ever
run: the names are only looked up.

>>> check_metadata({"format": "descend-model", "format_version": "1", "dtype": "float32",
...                 "sha256": "0" * 64, "architecture": "null", "training": "[3]"}, {})
Traceback (most recent call last):
...
ValueError: metadata 'training' must be a JSON object with 'epoch' and 'seed', got a list
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT = "descend-model"
FORMAT_VERSION = "1"
MAX_DEPTH = 64
"""The deepest nesting of lists and objects accepted in a metadata entry."""
MAX_NODES = 100_000
"""The most values (numbers, strings, lists, objects) accepted in one metadata entry."""
KEYS = ("format", "format_version", "architecture", "architecture_error", "input_shape",
        "compile", "optimizer", "training", "dtype", "sha256")
"""Every metadata key a model file may hold."""
DTYPES = ("float16", "float32", "float64")
_SPEC_KEYS = {"class_name", "config"}
_TENSOR_NAME = re.compile(r"model/\S+|optimizer/\d+/\w+")


@dataclass
class Metadata:
    """A model file's metadata, parsed and checked.

    Attributes:
        dtype: the model's floating dtype.
        architecture: the model's ``{"class_name", "config"}`` spec, or None (weights only).
        architecture_error: why the architecture was not saved, if it was not.
        input_shape: the input shape to build the model with, or None.
        compile: the compile settings (``optimizer``, ``loss``, ``metrics``), or None.
        optimizer: the optimizer's ``param_groups`` and ``scalars``, or None.
        training: ``{"epoch": ..., "seed": ...}``, or None.
    """

    dtype: np.dtype
    architecture: dict[str, Any] | None
    architecture_error: str | None
    input_shape: tuple[int | None, ...] | None
    compile: dict[str, Any] | None
    optimizer: dict[str, Any] | None
    training: dict[str, Any] | None


def check_metadata(metadata: Mapping[str, str], tensors: Mapping[str, np.ndarray]) -> Metadata:
    """Parse and check ``metadata`` (and the tensors' names and dtypes against it).

    Raises:
        ValueError: the first entry that does not fit the schema, and why.

    >>> meta = {"format": FORMAT, "format_version": "1", "dtype": "float32", "sha256": "0" * 64,
    ...         "architecture": '{"class_name": "Dense", "config": {"units": 2}}'}
    >>> check_metadata(meta, {}).architecture["class_name"]
    'Dense'
    >>> check_metadata({**meta, "compile": '{"optimizer": {"class_name": "Adam", "config": {}},'
    ...                                    ' "loss": {"class_name": "Loss", "config": {}}}'}, {})
    Traceback (most recent call last):
    ...
    ValueError: unknown loss class 'Loss' in metadata 'compile'; expected one of ...
    """
    unknown = sorted(set(metadata) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown metadata {_names(unknown)}; a model file holds only "
                         f"{', '.join(KEYS)}")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"metadata 'format_version' is {metadata.get('format_version')!r}; this "
                         f"version of descend reads version {FORMAT_VERSION!r}")
    if metadata.get("dtype") not in DTYPES:
        raise ValueError(f"metadata 'dtype' must be one of {', '.join(DTYPES)}, got "
                         f"{str(metadata.get('dtype'))[:40]!r}")
    parsed = {key: parse(metadata, key) for key in ("architecture", "input_shape", "compile",
                                                     "optimizer", "training")}
    result = Metadata(np.dtype(metadata["dtype"]), _architecture(parsed["architecture"]),
                      metadata.get("architecture_error"), _input_shape(parsed["input_shape"]),
                      _compile(parsed["compile"]), _optimizer(parsed["optimizer"]),
                      _training(parsed["training"]))
    _check_tensors(result, tensors)
    return result


def parse(metadata: Mapping[str, str], key: str) -> Any:
    """The JSON value of ``metadata[key]`` (None when absent), bounded in depth and size.

    >>> parse({"training": '{"epoch": 2, "seed": null}'}, "training")
    {'epoch': 2, 'seed': None}
    >>> parse({"compile": "[" * 100_000}, "compile")
    Traceback (most recent call last):
    ...
    ValueError: metadata 'compile' is not valid JSON (nested too deeply)
    """
    if key not in metadata:
        return None
    try:
        value = json.loads(metadata[key])
    except RecursionError:
        raise ValueError(f"metadata {key!r} is not valid JSON (nested too deeply)") from None
    except ValueError as err:
        raise ValueError(f"metadata {key!r} is not valid JSON ({err})") from None
    _check_size(value, key)
    return value


def _check_size(value: Any, key: str) -> None:
    """Walk ``value`` without recursion: at most MAX_DEPTH deep and MAX_NODES values."""
    stack, nodes = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            limit = f"nested more than {MAX_DEPTH} deep" if depth > MAX_DEPTH else \
                f"more than {MAX_NODES} values"
            raise ValueError(f"metadata {key!r} is larger than a model file allows ({limit})")
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _names(values: list[str]) -> str:
    return ", ".join(repr(v[:60]) for v in values[:5]) + (" ..." if len(values) > 5 else "")


def _short(value: Any) -> str:
    """``repr(value)``, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _object(value: Any, key: str, keys: tuple[str, ...], required: tuple[str, ...]
            ) -> dict[str, Any]:
    """``value`` as a JSON object whose keys are among ``keys`` and include ``required``."""
    if not isinstance(value, dict):
        raise ValueError(f"metadata {key!r} must be a JSON object with "
                         f"{' and '.join(repr(k) for k in keys)}, got {_kind(value)}")
    extra, missing = sorted(set(value) - set(keys)), [k for k in required if k not in value]
    if extra or missing:
        problem = f"unknown {_names(extra)}" if extra else f"missing {_names(missing)}"
        raise ValueError(f"metadata {key!r}: {problem}; expected {', '.join(keys)}")
    return value


def is_count(value: Any) -> bool:
    """Whether ``value`` is a non-negative int (not a bool).

    >>> is_count(3), is_count(True), is_count("3"), is_count(-1)
    (True, False, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _known_classes() -> tuple[set[str], set[str]]:
    """The names model files may use for classes: full registry names and plain names."""
    from descend.config import Configurable, registry_name

    full, plain, todo = set(), set(), list(Configurable.__subclasses__())
    while todo:
        cls = todo.pop()
        full.add(registry_name(cls))
        plain.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return full, plain


def _architecture(value: Any) -> dict[str, Any] | None:
    """The architecture spec; every nested ``{"class_name", "config"}`` names a known class."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != _SPEC_KEYS:
        raise ValueError(f"metadata 'architecture' must be null or an object with 'class_name' "
                         f"and 'config', got {_kind(value)}")
    full, plain = _known_classes()
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "class_name" in item:
                _check_spec(item, full, plain)
            stack.extend(item.values())
    return value


def _check_spec(spec: dict[str, Any], full: set[str], plain: set[str]) -> None:
    name = spec["class_name"]
    if set(spec) != _SPEC_KEYS:
        raise ValueError(f"metadata 'architecture': an object with 'class_name' must have "
                         f"exactly 'class_name' and 'config', got keys {_names(sorted(spec))}")
    if not isinstance(name, str) or not isinstance(spec["config"], dict):
        raise ValueError(f"metadata 'architecture': class_name must be a string and config an "
                         f"object, got {_kind(name)} and {_kind(spec['config'])}")
    if name not in full and name.rsplit(".", 1)[-1] not in plain:
        raise ValueError(f"unknown class {name[:80]!r} in the model file; import or "
                         "define it before loading (loading only rebuilds descend's classes "
                         "and those your program defines)")


def _input_shape(value: Any) -> tuple[int | None, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 32 or not all(
            v is None or (is_count(v) and v > 0) for v in value):
        raise ValueError(f"metadata 'input_shape' must be a list of positive integers or nulls "
                         f"(the batch axis), got {str(value)[:80]}")
    return tuple(value)


def _hyperparameters(value: Any, key: str) -> dict[str, Any]:
    """Numbers, booleans, strings, nulls, or lists of numbers, by name."""
    if not isinstance(value, dict):
        raise ValueError(f"metadata {key} must be an object of hyperparameters, got "
                         f"{_kind(value)}")
    for name, item in value.items():
        flat = item if isinstance(item, list) else [item]
        if not all(v is None or isinstance(v, bool | int | float | str) for v in flat):
            raise ValueError(f"metadata {key}: {name[:40]!r} must be a number, boolean, string "
                             f"or list of numbers, got {_kind(item)}")
    return value


def _compile(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    from descend import losses, optim

    config = _object(value, "compile", ("optimizer", "loss", "metrics"), ("optimizer", "loss"))
    spec = _object(config["optimizer"], "compile.optimizer", ("class_name", "config"),
                   ("class_name", "config"))
    name = spec["class_name"]
    if not isinstance(name, str) or name.lower() not in optim.OPTIMIZERS:
        raise ValueError(f"unknown optimizer {str(name)[:60]!r} in metadata 'compile'; "
                         f"expected one of {', '.join(optim.OPTIMIZERS)}")
    _hyperparameters(spec["config"], "'compile' optimizer config")
    loss = config["loss"]
    if isinstance(loss, str) and loss.lower() not in losses.LOSSES:
        raise ValueError(f"unknown loss {loss[:60]!r} in metadata 'compile'; expected one of "
                         f"{', '.join(losses.LOSSES)}")
    if isinstance(loss, dict):
        loss_spec = _object(loss, "compile.loss", ("class_name", "config"),
                            ("class_name", "config"))
        if loss_class(loss_spec["class_name"]) is None:
            raise ValueError(f"unknown loss class {str(loss_spec['class_name'])[:60]!r} in "
                             "metadata 'compile'; expected one of "
                             f"{', '.join(sorted(loss_classes()))}")
        _hyperparameters(loss_spec["config"], "'compile' loss config")
    elif loss is not None and not isinstance(loss, str):
        raise ValueError(f"metadata 'compile': the loss must be a name, a loss class spec or "
                         f"null, got {_kind(loss)}")
    metrics = config.get("metrics", [])
    if not isinstance(metrics, list) or not all(m is None or isinstance(m, str) for m in metrics):
        raise ValueError("metadata 'compile': metrics must be a list of names (or nulls), got "
                         f"{_kind(metrics)}")
    return config


def loss_classes() -> dict[str, type]:
    """The loss classes a model file may name: every concrete ``dc.losses.Loss`` subclass.

    >>> sorted(loss_classes())[:3]
    ['BinaryCrossentropy', 'CategoricalCrossentropy', 'Hinge']
    """
    from descend import losses

    found = {name: getattr(losses, name) for name in losses.__all__}
    return {name: cls for name, cls in found.items() if isinstance(cls, type)
            and issubclass(cls, losses.Loss) and hasattr(cls, "function")}


def loss_class(name: Any) -> type | None:
    """The loss class called ``name``, or None (the abstract ``Loss`` is not one).

    >>> loss_class("Huber").__name__, loss_class("Loss")
    ('Huber', None)
    """
    return loss_classes().get(name) if isinstance(name, str) else None


def _optimizer(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    saved = _object(value, "optimizer", ("param_groups", "scalars"), ("param_groups", "scalars"))
    groups, scalars = saved["param_groups"], saved["scalars"]
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ValueError("metadata 'optimizer': param_groups must be a list of objects")
    for group in groups:
        params = group.get("params")
        if not isinstance(params, list) or not all(is_count(p) for p in params):
            raise ValueError("metadata 'optimizer': every parameter group needs 'params', a "
                             "list of parameter positions")
        _hyperparameters({k: v for k, v in group.items() if k != "params"},
                         "'optimizer' param_groups")
    if not isinstance(scalars, dict) or not all(
            k.isdigit() and isinstance(v, dict) for k, v in scalars.items()):
        raise ValueError("metadata 'optimizer': scalars must map parameter positions to objects")
    for entries in scalars.values():
        _hyperparameters(entries, "'optimizer' scalars")
    return saved


def _training(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    training = _object(value, "training", ("epoch", "seed"), ("epoch",))
    if not is_count(training["epoch"]):
        raise ValueError(f"metadata 'training': epoch must be a non-negative integer, got "
                         f"{_short(training['epoch'])}")
    seed = training.get("seed")
    if seed is not None and not is_count(seed):
        raise ValueError(f"metadata 'training': seed must be a non-negative integer or null, "
                         f"got {_short(seed)}")
    return training


def _check_tensors(metadata: Metadata, tensors: Mapping[str, np.ndarray]) -> None:
    """Tensor names of the two known kinds, floats in the model's dtype, optimizer state only
    with optimizer metadata."""
    for name, array in tensors.items():
        if not _TENSOR_NAME.fullmatch(name):
            raise ValueError(f"unexpected tensor {name[:80]!r}; a model file holds only "
                             "'model/<name>' and 'optimizer/<position>/<name>' tensors")
        if name.startswith("optimizer/") and metadata.optimizer is None:
            raise ValueError(f"unexpected tensor {name!r}: the file has no optimizer metadata")
        if array.dtype.kind == "f" and array.dtype != metadata.dtype:
            raise ValueError(f"tensor {name!r} has dtype {array.dtype} but the model's dtype is "
                             f"{metadata.dtype}")
