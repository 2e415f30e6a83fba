"""The one hook through which ``dc.jit`` watches a training step being traced.

The core calls the :data:`active` tracer, when there is one, at each thing a compiled step
must replay: an op applied, an op's backward begun and ended, a gradient added into
``.grad``, an in-place update, ``zero_grad``, an optimizer's parameter update, and a value
read back into Python (which a replay cannot repeat). Nothing is watched when it is ``None``.

>>> import descend as dc
>>> from descend import tracing
>>> tracing.active is None
True
"""

from __future__ import annotations

from typing import Any

active: Any = None
"""The tracer recording a step (``descend.compiler.trace.Tracer``), or ``None``."""
