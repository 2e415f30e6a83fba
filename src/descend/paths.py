"""One rule for every file descend writes: the folder must exist, the path must not be one.

Model files, checkpoints, CSV logs, graphs, pictures and animations are written into a folder
that already exists; a missing folder is an error naming it (a typo in a path then fails at
once instead of scattering new folders). The only writers that make folders are those whose
output *is* a folder they own: the TensorBoard callback's ``log_dir`` (as in Keras and torch)
and the MNIST download cache.

:func:`atomic_write` writes a file whole or not at all (a temporary beside it, then a rename)
and removes the temporaries that crashed writes of the same file left behind.

>>> import tempfile
>>> from descend.paths import output_file
>>> output_file("/no/such/folder/g.dot", "draw_graph")
Traceback (most recent call last):
...
FileNotFoundError: draw_graph: cannot write g.dot: the folder /no/such/folder does not exist ...
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

_IN_FLIGHT: set[Path] = set()
"""The temporary files this process is writing now (never removed as stale)."""
LEGACY_TEMPORARY_AGE = 3600.0
"""Seconds after which a temporary file without a process id (written by descend before
process ids were part of the name) counts as left behind by a crash."""


def output_file(path: str | os.PathLike, where: str, *, example: str = "out") -> Path:
    """``path`` as a Path, checked to be writable as a file: its folder exists, it is no folder.

    Args:
        path: the file to write.
        where: the function or argument writing it, which starts the messages.
        example: a file name suggested when ``path`` is a folder.

    Raises:
        FileNotFoundError: the folder ``path`` would be written into does not exist.
        ValueError: ``path`` is a folder (or its "folder" is a file).

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> output_file(folder, "save", example="model.safetensors")
    Traceback (most recent call last):
    ...
    ValueError: save: ... is a folder; expected a file path such as .../model.safetensors
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise TypeError(f"{where}: expected a file path, got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{where}: {path} is a folder; expected a file path such as "
                         f"{path / example}")
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(f"{where}: cannot write {path.name}: the folder {folder} does "
                                "not exist (descend does not create folders; make it first)")
    if not folder.is_dir():
        raise ValueError(f"{where}: cannot write {path}: {folder} is a file, not a folder")
    return path


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a new temporary file beside ``path``, then rename it to ``path``.

    The temporary's name holds the process id, so the next save can tell a temporary left by a
    crashed process from one another process is writing now. An existing file's permissions
    carry over; a new file's come from the umask (``os.open`` with mode 0o666).

    Args:
        path: the file to write (its folder must exist: see :func:`output_file`).
        write: called with the temporary file, open for writing bytes.

    >>> import os, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "notes.bin"
    >>> atomic_write(path, lambda file: file.write(b"whole or not at all"))
    >>> path.read_bytes(), os.listdir(path.parent)
    (b'whole or not at all', ['notes.bin'])
    """
    remove_stale_temporaries(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    _IN_FLIGHT.add(temporary)
    try:
        if mode is not None:
            os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        _IN_FLIGHT.discard(temporary)


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that crashed saves of ``path`` left behind; return them.

    A temporary ``.<name>.<pid>-<random>.tmp`` is stale when its process has ended (or is this
    one, not writing it now); one without a process id (older descend) when it is over
    :data:`LEGACY_TEMPORARY_AGE` seconds old. :func:`atomic_write` calls this before each write.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> left = os.path.join(folder, f".m.safetensors.{os.getpid()}-0a1b2c3d.tmp")
    >>> open(left, "wb").close()
    >>> [p.name for p in remove_stale_temporaries(os.path.join(folder, "m.safetensors"))]
    ['.m.safetensors....tmp']
    """
    path = Path(path)
    pattern = re.compile(re.escape(f".{path.name}.")
                         + r"(?:(\d+)-[0-9a-f]+|[A-Za-z0-9_]{8})\.tmp")
    removed = []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.fullmatch(candidate.name)
        if match is None or candidate in _IN_FLIGHT or not candidate.is_file():
            continue
        pid = match.group(1)
        try:
            stale = (time.time() - candidate.stat().st_mtime > LEGACY_TEMPORARY_AGE
                     if pid is None else not _process_alive(int(pid)))
            if stale:
                candidate.unlink()
                removed.append(candidate)
        except OSError:  # removed meanwhile, or not ours to remove: leave it
            continue
    return removed


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (this process counts as not writing the file)."""
    if pid == os.getpid():
        return False  # (its temporaries in flight are skipped before this is asked)
    if os.name == "nt":  # os.kill would terminate it: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
