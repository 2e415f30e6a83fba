"""Save and load models: one ``.safetensors`` file, weights as tensors, the rest as JSON metadata.

The file holds the model's parameters and buffers (``model/<name>``), optionally the
optimizer's state (``optimizer/<position>/<entry>``), and metadata: the architecture (layer
classes and their constructor arguments), the compile settings, the optimizer's
hyperparameters, the epoch and fit seed (for exact resume) and a SHA-256 of every tensor's
bytes. The same model always gives the same bytes (:mod:`descend.io.tensorfile` writes the header
in a fixed order).

Writing is atomic: a temporary file in the same folder, then a rename, so a crash mid-write
leaves the previous file intact; the next save of the same file removes temporaries left by
crashed saves. Saving over a file keeps its permissions; a new file gets the umask's. The
folder must exist (``save`` does not create folders).

Loading never trusts the file. It reads at most what the header declares, checks the
metadata against a schema (:mod:`descend.io.schema`: types, nesting depth, class names
from descend's registries only) before building anything, and builds the layers with
placeholder weights taken from the file's own tensor sizes, so a crafted architecture cannot
allocate more than the file holds. Classes are looked up by name among descend's own (and
those your program defined); nothing from the file is ever run. Every problem is a
``ValueError`` naming the file. The SHA-256 catches *damage* (truncation, flipped bits, a
half-copied file), not *tampering*: anyone who edits a file can recompute it. Load model files
only from sources you trust to give you the model they say, as with any model format.

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
import inspect
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from descend.config import Configurable, deserialize, serialize
from descend.io import tensorfile
from descend.io.schema import FORMAT, FORMAT_VERSION, Metadata, check_metadata, loss_class
from descend.io.weight_budget import placeholder_weights
from descend.paths import atomic_write, output_file

PLACEHOLDER_SLACK = 65_536
"""Weight values a loaded architecture may declare beyond twice those its file holds (so a
small mismatch reaches ``load_state_dict``, which names each weight that does not fit)."""


def _digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> str:
    """SHA-256 over every metadata entry (but the digest itself) and every tensor's bytes."""
    digest = hashlib.sha256()
    entries = sorted((k, v) for k, v in metadata.items() if k != "sha256")
    digest.update(json.dumps(entries).encode())
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        digest.update(name.encode())
        digest.update(str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array)
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
        path: the file to write (``.safetensors`` by convention), in a folder that exists.
        include_optimizer: also save the optimizer state, epoch and fit seed, so that
            training resumes exactly where it stopped.
        epoch: the number of epochs trained (defaults to the model's own count).

    Raises:
        ValueError: if the model is not built yet (lazy layers without weights), or ``path``
            is a folder.
        FileNotFoundError: the folder ``path`` names does not exist.

    A model whose architecture cannot be written (a custom activation function, say) is
    saved as weights only, with a warning; :func:`load` then needs ``model=``.

    >>> import os, tempfile, descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(2, input_dim=3)]); model.compile("adam", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(model, path, include_optimizer=True)
    >>> sorted(read(path)[1])
    ['architecture', 'compile', 'dtype', 'format', 'format_version', 'input_shape', 'optimizer',
     'sha256', 'training']
    >>> save(model, os.path.dirname(path))
    Traceback (most recent call last):
    ...
    ValueError: save: ... is a folder; expected a file path such as .../model.safetensors
    """
    path = output_file(path, "save", example="model.safetensors")
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
    atomic_write(path, lambda file: tensorfile.write(file, tensors, metadata))


def read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of a descend model file, checked for damage.

    Reads at most what the file's header declares; the tensors are read-only views of the
    bytes read.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a folder or device, a truncated or edited file, or not a descend model file.

    >>> import os, tempfile, descend as dc
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(dc.Sequential([dc.nn.Dense(2, input_dim=3)]), path)
    >>> tensors, metadata = read(path)
    >>> sorted(tensors), metadata["format"]
    (['model/0.bias', 'model/0.kernel'], 'descend-model')
    """
    path = Path(path)
    tensors, metadata = tensorfile.read(path, "load")
    if metadata.get("format") != FORMAT:
        raise ValueError(f"load: {path} is a safetensors file but not a descend model file")
    if metadata.get("sha256") != _digest(tensors, metadata):
        raise ValueError(f"load: {path} has been modified or damaged: its tensors or metadata "
                         "do not match the checksum written when it was saved")
    return tensors, metadata


def load(path: str | os.PathLike, *, model: Any = None, compile: bool = True,
         device: str | None = None) -> Any:
    """Read a model written by :func:`save`.

    Args:
        path: the file.
        model: a model to load the weights into (needed for custom modules, whose
            architecture is code); by default the model is rebuilt from the file.
        compile: restore the compile settings (and the optimizer state, if saved).
        device: where the model's weights go (``"cpu"``, ``"cuda[:N]"``); by default the
            CPU for a rebuilt model, and its own device for ``model``.

    Returns:
        The model, ready to ``predict`` — and, when saved with ``include_optimizer=True``, to
        continue ``fit(..., initial_epoch=model.epochs_trained)`` exactly.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: anything wrong with the file (damage, metadata that does not fit the
            schema, an unknown class, weights that do not fit ``model``), naming the file.

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
        checked = check_metadata(metadata, tensors)
        model = _model(checked, tensors, model)
        if device is not None:
            model.to(device)
        weights = {name[len("model/"):]: value for name, value in tensors.items()
                   if name.startswith("model/")}
        model.load_state_dict(weights)
        if compile and checked.compile is not None and hasattr(model, "compile"):
            _restore_compile(model, tensors, checked)
    except Warning:
        raise
    except Exception as err:  # whatever the file makes a constructor raise, the file is wrong
        known = isinstance(err, ValueError | TypeError | KeyError)
        raise ValueError(f"load: {path}: {err if known else f'{type(err).__name__}: {err}'}"
                         ) from (None if known else err)
    if checked.training is not None and hasattr(model, "epochs_trained"):
        model.epochs_trained = checked.training["epoch"]
        model.fit_seed = checked.training.get("seed")
    return model


def _model(metadata: Metadata, tensors: dict[str, np.ndarray], model: Any) -> Any:
    """The model given, or the one the file describes, built and in the saved dtype.

    The layers' weights are zeros taken from a budget of twice the file's own weight values
    plus :data:`PLACEHOLDER_SLACK` (see :mod:`descend.io.weight_budget`): they are overwritten
    next, and an architecture declaring far more weights than the file holds fails before
    allocating them.
    """
    if model is not None:
        return model
    if metadata.architecture is None:
        reason = metadata.architecture_error or "its architecture is code (a custom module)"
        raise ValueError(f"the file holds only weights ({reason}); build the model in code "
                         "and pass it: load(path, model=MyModel())")
    stored = sum(value.size for name, value in tensors.items() if name.startswith("model/"))
    # Room for a small mismatch, which load_state_dict then names weight by weight.
    with placeholder_weights(2 * stored + PLACEHOLDER_SLACK):
        model = deserialize(metadata.architecture)
        model.astype(metadata.dtype)
        if metadata.input_shape is not None and not model.built:
            model.build(metadata.input_shape)
    return model


def _restore_compile(model: Any, tensors: dict[str, np.ndarray], metadata: Metadata) -> None:
    """Compile ``model`` as it was, and restore the optimizer state if it was saved."""
    from descend import optim

    config = metadata.compile
    assert config is not None
    spec = config["optimizer"]
    optimizer = _optimizer(optim.OPTIMIZERS[spec["class_name"].lower()], spec["config"])
    loss = config["loss"]
    if isinstance(loss, dict):
        loss = loss_class(loss["class_name"])(**loss["config"])  # type: ignore[misc]
    if loss is None:
        warnings.warn("load: the model was compiled with a custom loss function, which a file "
                      "cannot hold; it is loaded uncompiled (and without optimizer state): "
                      "call model.compile(...) again", UserWarning, stacklevel=3)
        return
    metrics = config.get("metrics", [])
    if None in metrics:
        warnings.warn(f"load: {metrics.count(None)} custom metric(s) could not be saved; "
                      "compile again to use them", UserWarning, stacklevel=3)
    model.compile(optimizer=optimizer, loss=loss, metrics=[m for m in metrics if m])
    if metadata.optimizer is not None:
        _restore_optimizer(model, tensors, metadata.optimizer)


def _optimizer(cls: type, hyperparameters: dict[str, Any]) -> Any:
    """``cls`` made from its saved hyperparameters (``optimizer.defaults``).

    Those its constructor does not take are fixed by the class (AdamW's
    ``decoupled_weight_decay``), so the saved value must be the one the class sets.
    """
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in hyperparameters.items()}
    accepted = set(inspect.signature(cls).parameters) - {"params"}
    optimizer = cls(**{k: v for k, v in hyper.items() if k in accepted})
    for key in sorted(set(hyper) - accepted):
        if key not in optimizer.defaults or optimizer.defaults[key] != hyper[key]:
            raise ValueError(f"the optimizer {cls.__name__} takes no hyperparameter {key!r} "
                             f"(the file gives {hyper[key]!r}; {cls.__name__} has "
                             f"{optimizer.defaults.get(key, 'no such setting')!r})")
    return optimizer


def _restore_optimizer(model: Any, tensors: dict[str, np.ndarray], saved: dict[str, Any]) -> None:
    state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in saved["scalars"].items()}
    for name, value in tensors.items():
        if name.startswith("optimizer/"):
            _, position, key = name.split("/", 2)
            state.setdefault(position, {})[key] = value
    try:
        model.optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"the saved optimizer state does not fit this model: {err}") from None
