"""Look up options given by name (``"relu"``, ``"he_normal"``, ``"l2"``) or as objects.

>>> lookup("B", {"a": 1, "b": 2}, "letter", "'a'")
2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend.names import lookup as names_lookup


def lookup(identifier: Any, names: Mapping[str, Any], kind: str, accepted: str) -> Any:
    """``names[identifier]`` for a known name, a callable ``identifier`` itself, else an error.

    Args:
        identifier: what the user passed.
        names: the valid names and what they stand for.
        kind: what is looked up, for messages (``"activation"``).
        accepted: what may be passed besides a name, for messages.

    Raises:
        ValueError: an unknown name (any case; the message lists the valid ones).
        TypeError: neither a string nor a callable.

    >>> lookup(abs, {}, "function", "a callable") is abs
    True
    """
    if isinstance(identifier, str):
        return names_lookup(f"{kind}s.get", kind, identifier, names)
    if callable(identifier):
        return identifier
    raise TypeError(f"{kind}: expected {accepted}, got {type(identifier).__name__}")
