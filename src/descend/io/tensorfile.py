"""The safetensors container, written in a fixed byte order and read without trusting the file.

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's
dtype, shape and byte range, plus ``__metadata__``: string keys and values), and the tensors'
bytes back to back. :func:`write` lays it out the same way every time (metadata keys sorted,
tensors by element size then name, so each starts aligned), so identical models give identical
files in any process. :func:`read` checks the header before reading any tensor: the header
length against the file's size, the JSON, every dtype, shape and byte range against each
other, and the byte ranges against the file; it reads only what the header declares and
returns the tensors as read-only views of the bytes read, so loading a file allocates about
its size and no more. Every problem is a ``ValueError`` naming the file. Files written by the
``safetensors`` package read here, and files written here read there.

>>> import io, numpy as np
>>> buffer = io.BytesIO()
>>> write(buffer, {"w": np.arange(3, dtype=np.float32)}, {"note": "hi"})
>>> data = buffer.getvalue(); data[8:60]
b'{"__metadata__":{"note":"hi"},"w":{"dtype":"F32","sh'
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import IO

import numpy as np

DTYPES: dict[str, np.dtype] = {
    "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8"),
    "I8": np.dtype("i1"), "I16": np.dtype("<i2"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8"),
    "U8": np.dtype("u1"), "U16": np.dtype("<u2"), "U32": np.dtype("<u4"), "U64": np.dtype("<u8"),
    "BOOL": np.dtype("?"),
}
"""The safetensors dtype codes this module reads and writes, with their NumPy dtypes."""

CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
MAX_HEADER = 100_000_000
"""The largest header accepted, in bytes (the safetensors package's own limit)."""
MAX_DIMENSIONS = 32
"""The most axes a tensor may have (NumPy's limit)."""


def write(file: IO[bytes], tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write ``tensors`` and ``metadata`` to the open binary ``file``, always in the same order.

    Args:
        file: a binary file (or buffer) open for writing.
        tensors: C-contiguous NumPy arrays of the dtypes in :data:`DTYPES`, by name.
        metadata: string keys and string values.

    >>> import io, numpy as np
    >>> one, two = io.BytesIO(), io.BytesIO()
    >>> write(one, {"b": np.ones(2), "a": np.zeros(1)}, {"y": "1", "x": "2"})
    >>> write(two, {"a": np.zeros(1), "b": np.ones(2)}, {"x": "2", "y": "1"})
    >>> one.getvalue() == two.getvalue()
    True
    """
    arrays = {name: np.ascontiguousarray(value) for name, value in tensors.items()}
    order = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))
    header: dict[str, object] = {"__metadata__": dict(sorted(metadata.items()))}
    offset = 0
    for name in order:
        array = arrays[name]
        code = CODES.get(array.dtype.newbyteorder("="))
        if code is None or array.dtype.byteorder == ">":
            raise TypeError(f"save: tensor {name!r} has dtype {array.dtype}, which a model file "
                            "cannot hold")
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    file.write(len(text).to_bytes(8, "little"))
    file.write(text)
    for name in order:
        file.write(memoryview(arrays[name]).cast("B"))


def read(path: Path, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors (read-only views) and metadata of the safetensors file at ``path``.

    Args:
        path: the file.
        where: what starts the error messages (``"load"``).

    Raises:
        FileNotFoundError: nothing at ``path``.
        ValueError: a folder, a device or pipe, or a file whose header or size is wrong.

    >>> read(Path("/dev/zero"), "load")
    Traceback (most recent call last):
    ...
    ValueError: load: /dev/zero is not a regular file (a device, pipe or socket); expected a ...
    """
    if not path.exists():
        raise FileNotFoundError(f"{where}: no model file at {path}")
    if path.is_dir():
        raise ValueError(f"{where}: {path} is a folder; expected a model file such as "
                         f"{path / 'model.safetensors'}")
    with open(path, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{where}: {path} is not a regular file (a device, pipe or socket); "
                             "expected a model file written by dc.save")
        size = status.st_size
        if size < 8:
            raise ValueError(f"{where}: {path} is too short to be a model file ({size} bytes)")
        header_size = int.from_bytes(file.read(8), "little")
        if header_size > size - 8:
            raise ValueError(f"{where}: {path} is truncated: its header says {header_size} bytes "
                             f"but only {size - 8} follow")
        if header_size > MAX_HEADER:
            raise ValueError(f"{where}: {path} is damaged or not a safetensors file (a header "
                             f"of {header_size} bytes; at most {MAX_HEADER} are allowed)")
        header = _header(file.read(header_size), path, where)
        metadata = header.pop("__metadata__", {})
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise _damaged(path, where, "__metadata__ must map strings to strings")
        layout = {name: _entry(name, info, path, where) for name, info in header.items()}
        length = _check_ranges(layout, path, where)
        follow = size - 8 - header_size
        if follow != length:
            what = "truncated" if follow < length else f"followed by {follow - length} stray bytes"
            raise _damaged(path, where, f"its tensors need {length} bytes after the header but "
                                        f"{follow} follow: the file is {what}")
        data = file.read(length)
    if len(data) != length:
        raise _damaged(path, where, "the file changed while it was read")
    tensors = {name: np.frombuffer(data, dtype, math.prod(shape), begin).reshape(shape)
               for name, (dtype, shape, begin, _) in layout.items()}
    return tensors, metadata


def _damaged(path: Path, where: str, reason: str) -> ValueError:
    return ValueError(f"{where}: {path} is damaged or not a safetensors file ({reason})")


def _header(text: bytes, path: Path, where: str) -> dict[str, object]:
    """The header's JSON object (any nesting depth fails as a ValueError, not a crash)."""
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise _damaged(path, where, f"its header is not valid JSON: {reason}") from None
    if not isinstance(header, dict):
        raise _damaged(path, where, f"its header is a JSON {type(header).__name__}, not an "
                                    "object")
    return header


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, info: object, path: Path,
           where: str) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """One tensor's ``(dtype, shape, begin, end)``, each checked against the others."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _damaged(path, where, f"tensor {name!r} must be described by dtype, shape and "
                                    "data_offsets")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        raise _damaged(path, where, f"tensor {name!r} has dtype {code!r}; expected one of "
                                    f"{', '.join(DTYPES)}")
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS or \
            not all(_is_count(s) for s in shape):
        raise _damaged(path, where, f"tensor {name!r} has shape {str(shape)[:80]}; expected a "
                                    f"list of at most {MAX_DIMENSIONS} non-negative integers")
    if not isinstance(offsets, list) or len(offsets) != 2 or \
            not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]:
        raise _damaged(path, where, f"tensor {name!r} has data_offsets {str(offsets)[:80]}; "
                                    "expected [begin, end] with 0 <= begin <= end")
    dtype = DTYPES[code]
    needed = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != needed:
        raise _damaged(path, where, f"tensor {name!r} of shape {tuple(shape)} and dtype {code} "
                                    f"needs {needed} bytes but its data_offsets span "
                                    f"{offsets[1] - offsets[0]}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _check_ranges(layout: dict[str, tuple[np.dtype, tuple[int, ...], int, int]], path: Path,
                  where: str) -> int:
    """The data's length, once the byte ranges are checked to tile it without gaps or overlaps."""
    end = 0
    for name, (_, _, begin, stop) in sorted(layout.items(), key=lambda item: item[1][2:]):
        if begin != end:
            raise _damaged(path, where, f"tensor {name!r} starts at byte {begin} but the previous "
                                        f"one ends at {end}; tensors must follow each other")
        end = stop
    return end
