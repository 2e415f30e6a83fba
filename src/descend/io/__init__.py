"""Model files: ``save`` and ``load`` (``model_file``), the tensor file format they write
(``tensorfile``), the schema a file's metadata must pass before anything is built (``schema``),
and the cap on the weights a loaded architecture may allocate (``weight_budget``, which layers
use, so this package loads ``model_file`` only when ``save`` or ``load`` is first asked for).

>>> import descend as dc
>>> from descend.io import load, save
>>> dc.save is save and dc.load is load
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["load", "save"]


def __getattr__(name: str) -> Any:
    """``save`` and ``load``, from :mod:`descend.io.model_file` on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'descend.io' has no attribute {name!r}")
    from descend.io import model_file

    return getattr(model_file, name)
