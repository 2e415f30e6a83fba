"""The gradient-descent lab: toy problems, races, the ``explain`` trace, landscapes, LR finder.

>>> import descend as dc
>>> sorted(dc.lab.PROBLEMS)
['beale', 'linear', 'quadratic', 'rosenbrock', 'saddle', 'sigmoid']
"""

from descend.lab.explanation import Explanation, explain
from descend.lab.landscape import (
    Landscape,
    filter_normalized_direction,
    loss_landscape_1d,
    loss_landscape_2d,
    pca_directions,
    project_path,
    trajectory_landscape,
    unit_direction,
)
from descend.lab.lr_finder import LRFinderResult, lr_find, lr_find_params, lr_range_test
from descend.lab.momentum import (
    MomentumLab,
    Settings,
    measured_rate,
    momentum_lab,
    optimal_settings,
)
from descend.lab.problems import (
    PROBLEMS,
    Beale,
    LinearRegression,
    Problem,
    Quadratic,
    Rosenbrock,
    Saddle,
    SigmoidNeuron,
    get_problem,
)
from descend.lab.races import PRESETS, Race, Trajectory, lr_sweep, preset, race, run
from descend.lab.recorder import TrajectoryRecorder
from descend.lab.step_explanation import StepExplanation, explain_step

__all__ = [
    "PRESETS", "PROBLEMS", "Beale", "Explanation", "LRFinderResult", "Landscape",
    "LinearRegression", "MomentumLab", "Problem", "Quadratic", "Race", "Rosenbrock", "Saddle",
    "Settings", "SigmoidNeuron", "StepExplanation", "Trajectory", "TrajectoryRecorder",
    "explain", "explain_step", "filter_normalized_direction", "get_problem",
    "loss_landscape_1d", "loss_landscape_2d", "lr_find", "lr_find_params", "lr_range_test",
    "lr_sweep", "measured_rate", "momentum_lab", "optimal_settings", "pca_directions", "preset",
    "project_path", "race", "run", "trajectory_landscape", "unit_direction",
]
