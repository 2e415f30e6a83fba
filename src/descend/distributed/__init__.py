"""Beyond one process: data-parallel training over MPI, and hyperparameter sweeps on Dask.

``DataParallel`` runs synchronous data-parallel SGD over the ranks of ``mpiexec`` (mpi4py is
imported only when one is made).
``dc.sweep(train_fn, space)`` runs a grid or a random search as independent trials on a Dask
cluster (a ``LocalCluster`` by default), a ``concurrent.futures`` executor, or a plain loop,
and returns a :class:`SweepResult` to rank, print, export and draw (``dc.viz.plot_sweep``).

>>> from descend.distributed import LogUniform, trial_settings
>>> len(trial_settings({"lr": LogUniform(1e-3, 1e-1), "optimizer": ["sgd", "adam"]}, 5))
5
"""

from descend.distributed.parallel import DataParallel, RankFailedError
from descend.distributed.results import SweepResult, TrialResult
from descend.distributed.search import SCHEDULER_VARIABLE, run_trial, sweep
from descend.distributed.space import IntUniform, LogUniform, Uniform, trial_settings

__all__ = [
    "SCHEDULER_VARIABLE", "DataParallel", "IntUniform", "LogUniform", "RankFailedError",
    "SweepResult", "TrialResult", "Uniform",
    "run_trial", "sweep", "trial_settings",
]
