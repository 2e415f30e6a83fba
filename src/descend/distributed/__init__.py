"""Beyond one process: hyperparameter sweeps on Dask (data-parallel training over MPI to come).

``dc.sweep(train_fn, space)`` runs a grid or a random search as independent trials on a Dask
cluster (a ``LocalCluster`` by default), a ``concurrent.futures`` executor, or a plain loop,
and returns a :class:`SweepResult` to rank, print, export and draw (``dc.viz.plot_sweep``).

>>> from descend.distributed import LogUniform, trial_settings
>>> len(trial_settings({"lr": LogUniform(1e-3, 1e-1), "optimizer": ["sgd", "adam"]}, 5))
5
"""

from descend.distributed.results import SweepResult, TrialResult
from descend.distributed.search import SCHEDULER_VARIABLE, run_trial, sweep
from descend.distributed.space import IntUniform, LogUniform, Uniform, trial_settings

__all__ = [
    "SCHEDULER_VARIABLE", "IntUniform", "LogUniform", "SweepResult", "TrialResult", "Uniform",
    "run_trial", "sweep", "trial_settings",
]
