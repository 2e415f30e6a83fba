"""``dc.callbacks``: every callback ``fit`` accepts, in one namespace.

>>> import descend as dc
>>> dc.callbacks.EarlyStopping(patience=5, restore_best_weights=True).patience
5
"""

from typing import Any

from descend.lab.recorder import TrajectoryRecorder
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
from descend.viz.live import LivePlot, TerminalChart

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "EpochLine", "GradientNormLogger",
    "History", "LambdaCallback", "LearningRateScheduler", "LivePlot", "ModelCheckpoint",
    "ProgressBar", "ReduceLROnPlateau", "TensorBoard", "TerminalChart", "TerminateOnNaN",
    "TrajectoryRecorder",
]


def __getattr__(name: str) -> Any:
    """``Dashboard`` lives with the web server (``descend.serve``), imported when first used."""
    if name == "Dashboard":
        from descend.serve.dashboard import Dashboard

        return Dashboard
    raise AttributeError(f"module 'descend.callbacks' has no attribute {name!r}")
