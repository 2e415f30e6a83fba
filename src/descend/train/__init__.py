"""Training: ``Model`` (compile/fit/evaluate/predict), the loop, callbacks and progress display.

``dc.Model`` (and ``dc.Sequential``, a Model) is the entry point; the callbacks are gathered
in :mod:`descend.callbacks` (``dc.callbacks``).

>>> import descend as dc
>>> dc.train.Model is dc.Model
True
"""

import descend.nn  # noqa: F401  (nn.Sequential subclasses Model: load nn before the trainer)
from descend.train.model import Model

__all__ = ["Model"]
