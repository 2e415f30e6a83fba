"""Save and load models: one ``.safetensors`` file, weights as tensors, the rest as JSON metadata.

The file holds the model's parameters and buffers (``model/<name>``), optionally the
optimizer's state (``optimizer/<position>/<entry>``), and metadata: the architecture (layer
classes and their constructor arguments), the compile settings, the optimizer's
hyperparameters, the epoch and fit seed (for exact resume) and a SHA-256 of every tensor's
bytes. Writing is atomic (a temporary file in the same folder, then a rename), so a crash
mid-write leaves the previous file intact. Loading never runs code from the file: classes are
looked up by name among descend's own (and those your program defined), and any damage —
truncation, edited bytes, a wrong architecture — raises a ``ValueError`` saying what is wrong.
Needs the ``io`` extra: ``pip install "descend[io]"``.

>>> import os, tempfile, numpy as np, descend as dc
>>> model = dc.Sequential([dc.nn.Dense(3, activation="relu", input_dim=4), dc.nn.Dense(1)])
>>> model.compile("adam", "mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
>>> dc.save(model, path)
>>> again = dc.load(path)
>>> x = np.ones((2, 4), dtype=np.float32)
>>> bool((again.predict(x) == model.predict(x)).all())
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from descend.config import Configurable, deserialize, serialize

FORMAT = "descend-model"
FORMAT_VERSION = "1"


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("saving and loading models needs the safetensors package: "
                          "pip install \"descend[io]\"") from None
    return safetensors.numpy


def _digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> str:
    """SHA-256 over every metadata entry (but the digest itself) and every tensor's bytes."""
    digest = hashlib.sha256()
    entries = sorted((k, v) for k, v in metadata.items() if k != "sha256")
    digest.update(json.dumps(entries).encode())
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        digest.update(name.encode())
        digest.update(str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _architecture(model: Any) -> dict[str, str]:
    """The metadata describing how to rebuild ``model`` ("null" for weights only)."""
    if not isinstance(model, Configurable):
        return {"architecture": "null"}  # a plain Module: its architecture is code
    try:
        spec = json.dumps(serialize(model))
    except TypeError as err:
        warnings.warn(f"save: only the weights of {type(model).__name__} are saved, not its "
                      f"architecture: {err}", UserWarning, stacklevel=3)
        return {"architecture": "null", "architecture_error": str(err)}
    meta = {"architecture": spec}
    if model.input_shape is not None:
        meta["input_shape"] = json.dumps(list(model.input_shape))
    return meta


def _optimizer_parts(model: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The optimizer's arrays as tensors and the rest (groups, scalar state) as JSON data."""
    state = model.optimizer.state_dict()
    tensors: dict[str, np.ndarray] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for position, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                tensors[f"optimizer/{position}/{key}"] = value
            else:
                scalars.setdefault(str(position), {})[key] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()}
              for group in state["param_groups"]]
    return tensors, {"param_groups": groups, "scalars": scalars}


def save(model: Any, path: str | os.PathLike, *, include_optimizer: bool = False,
         epoch: int | None = None) -> None:
    """Write ``model`` to ``path`` atomically.

    Args:
        model: a ``dc.Model`` (e.g. Sequential) or any ``dc.nn.Module`` (then only the weights
            are saved, and :func:`load` needs ``model=`` to know the architecture).
        path: the file to write (``.safetensors`` by convention).
        include_optimizer: also save the optimizer state, epoch and fit seed, so that
            training resumes exactly where it stopped.
        epoch: the number of epochs trained (defaults to the model's own count).

    Raises:
        ValueError: if the model is not built yet (lazy layers without weights).

    A model whose architecture cannot be written (a custom activation function, say) is
    saved as weights only, with a warning; :func:`load` then needs ``model=``.

    >>> import os, tempfile, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(2, input_dim=3)]); model.compile("adam", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(model, path, include_optimizer=True)
    >>> sorted(read(path)[1])
    ['architecture', 'compile', 'dtype', 'format', 'format_version', 'input_shape', 'optimizer',
     'sha256', 'training']
    """
    st = _safetensors()
    if not model.built:
        raise ValueError(f"save: {type(model).__name__} is not built yet, so some layers have "
                         "no weights to save; call model.build((None, features)) or run "
                         "fit/predict on data once before saving")
    tensors = {f"model/{name}": np.ascontiguousarray(value)
               for name, value in model.state_dict().items()}
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, **_architecture(model)}
    compiled = getattr(model, "compiled", None)
    if compiled is not None:
        metadata["compile"] = json.dumps(compiled.config())
        if include_optimizer and compiled.optimizer.param_groups:
            optimizer_tensors, optimizer_json = _optimizer_parts(model)
            tensors.update(optimizer_tensors)
            metadata["optimizer"] = json.dumps(optimizer_json)
    if include_optimizer:
        metadata["training"] = json.dumps({
            "epoch": int(epoch if epoch is not None else getattr(model, "epochs_trained", 0)),
            "seed": getattr(model, "fit_seed", None),
        })
    metadata["dtype"] = str(model.dtype)
    metadata["sha256"] = _digest(tensors, metadata)
    _atomic_write(Path(path), st.save(tensors, metadata=metadata))


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of a descend model file, checked for damage.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a truncated or edited file, or not a descend model file.

    >>> import os, tempfile, descend as dc
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(dc.Sequential([dc.nn.Dense(2, input_dim=3)]), path)
    >>> tensors, metadata = read(path)
    >>> sorted(tensors), metadata["format"]
    (['model/0.bias', 'model/0.kernel'], 'descend-model')
    """
    st = _safetensors()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no model file at {path}")
    data = path.read_bytes()
    if len(data) < 8:
        raise ValueError(f"load: {path} is too short to be a model file ({len(data)} bytes)")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise ValueError(f"load: {path} is truncated: its header says {header_size} bytes but "
                         f"only {len(data) - 8} follow")
    try:
        header = json.loads(data[8:8 + header_size])
        tensors = st.load(data)
    except Exception as err:  # safetensors raises its own error types
        raise ValueError(f"load: {path} is damaged or not a safetensors file ({err})") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"load: {path} is a safetensors file but not a descend model file")
    if metadata.get("sha256") != _digest(tensors, metadata):
        raise ValueError(f"load: {path} has been modified or damaged: its tensors or metadata "
                         "do not match the checksum written when it was saved")
    return tensors, metadata


def load(path: str | os.PathLike, *, model: Any = None, compile: bool = True) -> Any:
    """Read a model written by :func:`save`.

    Args:
        path: the file.
        model: a model to load the weights into (needed for custom modules, whose
            architecture is code); by default the model is rebuilt from the file.
        compile: restore the compile settings (and the optimizer state, if saved).

    Returns:
        The model, ready to ``predict`` — and, when saved with ``include_optimizer=True``, to
        continue ``fit(..., initial_epoch=model.epochs_trained)`` exactly.

    Raises:
        ValueError: a damaged file, an unknown class, or weights that do not fit ``model``.

    >>> import os, tempfile, descend as dc
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(dc.Sequential([dc.nn.Dense(2, input_dim=3)]), path)
    >>> load(path, model=dc.Sequential([dc.nn.Dense(5, input_dim=3)]))
    Traceback (most recent call last):
    ...
    ValueError: load: ...: load_state_dict: the state does not fit Sequential: ...
    """
    tensors, metadata = read(path)
    try:
        model = _model(metadata, model)
        weights = {name[len("model/"):]: value for name, value in tensors.items()
                   if name.startswith("model/")}
        model.load_state_dict(weights)
        if compile and "compile" in metadata and hasattr(model, "compile"):
            _restore_compile(model, tensors, metadata)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(f"load: {path}: {err}") from None
    if "training" in metadata and hasattr(model, "epochs_trained"):
        training = json.loads(metadata["training"])
        model.epochs_trained = int(training.get("epoch", 0))
        model.fit_seed = training.get("seed")
    return model


def _model(metadata: dict[str, str], model: Any) -> Any:
    """The model given, or the one the file describes, built and in the saved dtype."""
    if model is not None:
        return model
    architecture = json.loads(metadata.get("architecture", "null"))
    if architecture is None:
        reason = metadata.get("architecture_error", "its architecture is code (a custom module)")
        raise ValueError(f"the file holds only weights ({reason}); build the model in code "
                         "and pass it: load(path, model=MyModel())")
    model = deserialize(architecture)
    model.astype(metadata.get("dtype", "float32"))
    if "input_shape" in metadata and not model.built:
        model.build(tuple(json.loads(metadata["input_shape"])))
    return model


def _restore_compile(model: Any, tensors: dict[str, np.ndarray],
                     metadata: dict[str, str]) -> None:
    """Compile ``model`` as it was, and restore the optimizer state if it was saved."""
    from descend import losses, optim

    config = json.loads(metadata["compile"])
    spec = config["optimizer"]
    cls = optim.OPTIMIZERS.get(str(spec["class_name"]).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {spec['class_name']!r}")
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["config"].items()}
    loss = config["loss"]
    if isinstance(loss, dict):
        loss_cls = getattr(losses, str(loss["class_name"]), None)
        if not (isinstance(loss_cls, type) and issubclass(loss_cls, losses.Loss)):
            raise ValueError(f"unknown loss {loss['class_name']!r}")
        loss = loss_cls(**loss["config"])
    if loss is None:
        warnings.warn("load: the model was compiled with a custom loss function, which a file "
                      "cannot hold; it is loaded uncompiled (and without optimizer state): "
                      "call model.compile(...) again", UserWarning, stacklevel=3)
        return
    metrics = config.get("metrics", [])
    if None in metrics:
        warnings.warn(f"load: {metrics.count(None)} custom metric(s) could not be saved; "
                      "compile again to use them", UserWarning, stacklevel=3)
    model.compile(optimizer=cls(**hyper), loss=loss, metrics=[m for m in metrics if m])
    if "optimizer" in metadata:
        _restore_optimizer(model, tensors, json.loads(metadata["optimizer"]))


def _restore_optimizer(model: Any, tensors: dict[str, np.ndarray], saved: dict[str, Any]) -> None:
    state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in saved["scalars"].items()}
    for name, value in tensors.items():
        if name.startswith("optimizer/"):
            _, position, key = name.split("/", 2)
            state.setdefault(position, {})[key] = value
    try:
        model.optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    except (ValueError, KeyError) as err:
        raise ValueError(f"the saved optimizer state does not fit this model: {err}") from None
