"""The gradient-descent lab: toy problems, races, the ``explain`` trace, landscapes, LR finder.

>>> import descend as dc
>>> sorted(dc.lab.PROBLEMS)
['beale', 'double_well', 'linear', 'quadratic', 'rosenbrock', 'saddle', 'sigmoid']
"""

from descend.lab.calculus import Taylor, derivative, secant_slopes, taylor, value_at
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
    DoubleWell,
    LinearRegression,
    Problem,
    Quadratic,
    Rosenbrock,
    Saddle,
    SigmoidNeuron,
    double_well,
    get_problem,
)
from descend.lab.races import PRESETS, Race, lr_sweep, preset, race, run
from descend.lab.random_restarts import random_starts, restarts
from descend.lab.recorder import TrajectoryRecorder
from descend.lab.schedules import SCHEDULES, parse_schedule
from descend.lab.search import random_search
from descend.lab.step_explanation import StepExplanation, explain_step
from descend.lab.trajectory import Trajectory

__all__ = [
    "PRESETS", "PROBLEMS", "SCHEDULES", "Beale", "DoubleWell", "Explanation", "LRFinderResult",
    "Landscape", "LinearRegression", "MomentumLab", "Problem", "Quadratic", "Race", "Rosenbrock",
    "Saddle", "Settings", "SigmoidNeuron", "StepExplanation", "Taylor", "Trajectory",
    "TrajectoryRecorder", "derivative", "double_well", "explain", "explain_step",
    "filter_normalized_direction", "get_problem", "loss_landscape_1d", "loss_landscape_2d",
    "lr_find", "lr_find_params", "lr_range_test", "lr_sweep", "measured_rate", "momentum_lab",
    "optimal_settings", "parse_schedule", "pca_directions", "preset", "project_path", "race",
    "random_search", "random_starts", "restarts", "run", "secant_slopes", "taylor",
    "trajectory_landscape", "unit_direction", "value_at",
]
