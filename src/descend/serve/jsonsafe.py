"""Values made safe for JSON: what the server sends to pages and what workers send to it."""

from __future__ import annotations

import math
from typing import Any


def clean(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and infinities become None, NumPy scalars plain numbers.

    >>> import numpy as np
    >>> clean({"a": [np.float32(1.5), float("inf")], "b": (np.int64(2),), 3: True})
    {'a': [1.5, None], 'b': [2], '3': True}
    """
    kind = type(value)  # the plain types first: a Dashboard's events are made of them
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return clean(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
