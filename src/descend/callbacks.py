"""``dc.callbacks``: every callback ``fit`` accepts, in one namespace.

>>> import descend as dc
>>> dc.callbacks.EarlyStopping(patience=5, restore_best_weights=True).patience
5

The live plots (``LivePlot``, ``TerminalChart``), ``TrajectoryRecorder`` and the browser's
``Dashboard`` come from :mod:`descend.viz`, :mod:`descend.lab` and :mod:`descend.serve`, which
sit above the trainer: they are loaded when first named here.
"""

from __future__ import annotations

import importlib
from typing import Any

from descend.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from descend.train.loggers import (
    CSVLogger,
    GradientNormLogger,
    History,
    ModelCheckpoint,
    TensorBoard,
)
from descend.train.progress import EpochLine, ProgressBar

_LAZY = {"LivePlot": "descend.viz.live", "TerminalChart": "descend.viz.live",
         "TrajectoryRecorder": "descend.lab.recorder", "Dashboard": "descend.serve.dashboard"}
"""Callbacks defined above the trainer, and where they live."""

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "EpochLine", "GradientNormLogger",
    "History", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgressBar",
    "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN", *_LAZY,
]


def __getattr__(name: str) -> Any:
    """The callbacks defined above the trainer, loaded on first use.

    >>> import descend as dc
    >>> dc.callbacks.TerminalChart.__module__
    'descend.viz.live'
    """
    if name not in _LAZY:
        raise AttributeError(f"module 'descend.callbacks' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
