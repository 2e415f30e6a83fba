"""Training: the ``Trainer`` (compile/fit/evaluate/predict), callbacks and progress display.

``dc.Model`` is a Module with this trainer; the callbacks are gathered in
:mod:`descend.callbacks` (``dc.callbacks``).

>>> import descend as dc
>>> issubclass(dc.Model, dc.train.Trainer)
True
"""

from descend.train.trainer import Trainer

__all__ = ["Trainer"]
