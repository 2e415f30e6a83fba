"""One rule for every file descend writes: the folder must exist, the path must not be one.

Model files, checkpoints, CSV logs, graphs, pictures and animations are written into a folder
that already exists; a missing folder is an error naming it (a typo in a path then fails at
once instead of scattering new folders). The only writers that make folders are those whose
output *is* a folder they own: the TensorBoard callback's ``log_dir`` (as in Keras and torch)
and the MNIST download cache.

>>> import tempfile
>>> from descend.paths import output_file
>>> output_file("/no/such/folder/g.dot", "draw_graph")
Traceback (most recent call last):
...
FileNotFoundError: draw_graph: cannot write g.dot: the folder /no/such/folder does not exist ...
"""

from __future__ import annotations

import os
from pathlib import Path


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
