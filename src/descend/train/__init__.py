"""Training: ``Model`` (compile/fit/evaluate/predict), callbacks, History and progress display."""

import descend.nn  # noqa: F401  (nn.Sequential subclasses Model: load nn before the trainer)
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
from descend.train.model import Model
from descend.train.progress import EpochLine, ProgressBar

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "EpochLine", "GradientNormLogger",
    "History", "LambdaCallback", "LearningRateScheduler", "Model", "ModelCheckpoint",
    "ProgressBar", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN",
]
