"""Reading gzipped IDX files (the MNIST format), checked completely before any array is returned.

An IDX file is a 4-byte magic number (two zero bytes, a type code -- ``0x08`` for unsigned
bytes -- and the number of dimensions), one big-endian uint32 per dimension, then the values
in C order. :func:`read_idx` decompresses the whole file, then checks its length, header,
value range and (where known) the sha256 of the decompressed bytes; any mismatch raises a
``ValueError`` naming the file, so a truncated download or a wrong file is never half-read.

>>> import gzip, io, numpy as np
>>> from descend.data.datasets.idx import IdxFile, parse_idx
>>> raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9])
>>> parse_idx(raw, IdxFile("labels.gz", (3,), max_value=9), "labels.gz")
array([7, 1, 9], dtype=uint8)
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

UBYTE = 0x08


@dataclass(frozen=True)
class IdxFile:
    """What one IDX file must contain.

    Attributes:
        name: the file name, e.g. ``"train-images-idx3-ubyte.gz"``.
        shape: the dimensions its header must declare, e.g. ``(60000, 28, 28)``.
        sha256: hex sha256 of the decompressed bytes, or None where no trusted value exists.
        gz_md5: hex md5 of the published ``.gz`` file; only checked on files we download (a
            re-compressed copy has different ``.gz`` bytes but the same content).
        max_value: the largest value allowed (9 for labels), or None for no check.

    >>> spec = IdxFile("t10k-labels-idx1-ubyte.gz", (10000,), max_value=9)
    >>> spec.header_size, spec.size
    (8, 10008)
    """

    name: str
    shape: tuple[int, ...]
    sha256: str | None = None
    gz_md5: str | None = None
    max_value: int | None = None

    @property
    def header_size(self) -> int:
        """Bytes before the values: the magic number and one uint32 per dimension."""
        return 4 + 4 * len(self.shape)

    @property
    def size(self) -> int:
        """Length of the decompressed file in bytes."""
        return self.header_size + math.prod(self.shape)


def parse_idx(raw: bytes, spec: IdxFile, source: str) -> np.ndarray:
    """Check decompressed IDX bytes against ``spec`` and return the values as a uint8 array.

    Args:
        raw: the decompressed file content.
        spec: what the file must contain.
        source: the file's path or URL, for error messages.

    Returns:
        A writable uint8 array of shape ``spec.shape``.

    Raises:
        ValueError: on a wrong length, magic number, dimensions, value or checksum.

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 3]), IdxFile("l.gz", (2,)), "l.gz")
    Traceback (most recent call last):
    ...
    ValueError: l.gz: decompressed to 9 bytes, expected 10 for l.gz (shape (2,)); ...
    """
    if len(raw) != spec.size:
        raise ValueError(
            f"{source}: decompressed to {len(raw)} bytes, expected {spec.size} for "
            f"{spec.name} (shape {spec.shape}); the file is truncated or not {spec.name}"
        )
    ndim = len(spec.shape)
    if raw[:4] != bytes([0, 0, UBYTE, ndim]):
        raise ValueError(
            f"{source}: wrong IDX magic number {raw[:4].hex()}, expected "
            f"{bytes([0, 0, UBYTE, ndim]).hex()} (unsigned bytes, {ndim} dimension(s)); "
            f"this is not {spec.name}"
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if dims != spec.shape:
        raise ValueError(f"{source}: the IDX header says shape {dims}, expected {spec.shape}")
    if spec.sha256 is not None and hashlib.sha256(raw).hexdigest() != spec.sha256:
        raise ValueError(
            f"{source}: sha256 of the decompressed content is {hashlib.sha256(raw).hexdigest()}, "
            f"expected {spec.sha256}; the file is corrupt or a different data set. Delete it "
            "and download it again"
        )
    values = np.frombuffer(raw, dtype=np.uint8, offset=spec.header_size).reshape(spec.shape)
    if spec.max_value is not None and values.size and values.max() > spec.max_value:
        raise ValueError(
            f"{source}: holds the value {values.max()}, but {spec.name} values must be at most "
            f"{spec.max_value}"
        )
    return values.copy()


def read_idx(path: Path, spec: IdxFile) -> np.ndarray:
    """Decompress and check the gzipped IDX file at ``path``; see :func:`parse_idx`.

    At most ``spec.size + 1`` bytes are decompressed, so a wrong (huge) file cannot exhaust
    memory.

    Raises:
        ValueError: if the file is not valid gzip (truncated, corrupt) or fails the checks.

    >>> import gzip, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.gz"
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 4, 2])))
    >>> read_idx(path, IdxFile("labels.gz", (2,)))
    array([4, 2], dtype=uint8)
    """
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read(spec.size + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(
            f"{path}: is not a complete gzip file ({err}); it may be truncated or corrupt. "
            "Delete it and download it again"
        ) from None
    return parse_idx(raw, spec, str(path))


def file_md5(path: Path) -> str:
    """Hex md5 of a file's bytes (to compare a download with a published checksum).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> file_md5(path)
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
