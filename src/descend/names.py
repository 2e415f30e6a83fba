"""Looking things up by name: one rule and one message for every registry in descend.

Names are matched without regard to case or surrounding spaces; an unknown name raises a
``ValueError`` that names the caller, suggests the closest valid names and lists them all.

>>> lookup("losses.get", "loss", "MSE", {"mse": 1, "mae": 2})
1
>>> lookup("losses.get", "loss", "msa", {"mse": 1, "mae": 2})
Traceback (most recent call last):
...
ValueError: losses.get: unknown loss 'msa'. Did you mean 'mse' or 'mae'? Valid names: 'mae', 'mse'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(where: str, kind: str, name: str, table: Mapping[str, T]) -> T:
    """``table[name]`` (keys are lowercase), or a ``ValueError`` a learner can act on.

    Args:
        where: what was called, which starts the message (``"optim.get"``).
        kind: what a name stands for (``"optimizer"``).
        name: the name given.
        table: the valid names, in lowercase, and what they stand for.
    """
    key = name.strip().lower()
    if key in table:
        return table[key]
    import difflib  # (only for the message)

    close = difflib.get_close_matches(key, list(table), n=3)
    suggestion = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    valid = ", ".join(repr(n) for n in sorted(table))
    raise ValueError(f"{where}: unknown {kind} {name!r}.{suggestion} Valid names: {valid}")
