"""Every schedule's learning rates over 100 steps equal torch.optim.lr_scheduler's.

Both sides schedule an SGD with two parameter groups (lr 0.1 and 0.05); OneCycleLR's momentum
(and Adam's beta1) is compared too, and ReduceLROnPlateau is fed the same metric sequence.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import descend as dc
from descend import optim
from descend.optim import schedules as S

torch = pytest.importorskip("torch")
T = torch.optim.lr_scheduler

CASES = {  # name: (descend schedule, torch schedule), each a function of the optimizer
    "StepLR": (lambda o: S.StepLR(o, step_size=7, gamma=0.5),
               lambda o: T.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, [60, 10, 30, 30], gamma=0.3),
                    lambda o: T.MultiStepLR(o, [60, 10, 30, 30], gamma=0.3)),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=0.97),
                      lambda o: T.ExponentialLR(o, gamma=0.97)),
    "InverseTimeDecay": (lambda o: S.InverseTimeDecay(o, decay_rate=0.3),
                         lambda o: T.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t))),
    "InverseTimeDecay-staircase": (
        lambda o: S.InverseTimeDecay(o, decay_rate=0.5, decay_steps=8, staircase=True),
        lambda o: T.LambdaLR(o, lambda t: 1 / (1 + 0.5 * (t // 8)))),
    "PolynomialLR": (lambda o: S.PolynomialLR(o, total_iters=40, power=2.0),
                     lambda o: T.PolynomialLR(o, total_iters=40, power=2.0)),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
                          lambda o: T.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": (
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001),
        lambda o: T.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)),
    "CosineAnnealingWarmRestarts-T_mult1": (
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=7),
        lambda o: T.CosineAnnealingWarmRestarts(o, T_0=7)),
    "OneCycleLR": (lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=100),
                   lambda o: T.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=100)),
    "OneCycleLR-linear-three-phase": (
        lambda o: S.OneCycleLR(o, max_lr=0.8, epochs=10, steps_per_epoch=10, pct_start=0.25,
                               anneal_strategy="linear", three_phase=True),
        lambda o: T.OneCycleLR(o, max_lr=0.8, epochs=10, steps_per_epoch=10, pct_start=0.25,
                               anneal_strategy="linear", three_phase=True)),
    "LinearLR-warm-up": (lambda o: S.LinearLR(o, start_factor=0.1, total_iters=20),
                         lambda o: T.LinearLR(o, start_factor=0.1, total_iters=20)),
    "LinearLR-down": (lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                           total_iters=30),
                      lambda o: T.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                           total_iters=30)),
    "LambdaLR": (lambda o: S.LambdaLR(o, [lambda t: 0.99**t, lambda t: 1 / (1 + t)]),
                 lambda o: T.LambdaLR(o, [lambda t: 0.99**t, lambda t: 1 / (1 + t)])),
    "SequentialLR-warm-up-cosine": (
        lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=10),
                                     S.CosineAnnealingLR(o, T_max=90)], milestones=[10]),
        lambda o: T.SequentialLR(o, [T.LinearLR(o, start_factor=0.2, total_iters=10),
                                     T.CosineAnnealingLR(o, T_max=90)], milestones=[10])),
    "SequentialLR-three": (
        lambda o: S.SequentialLR(o, [S.ExponentialLR(o, gamma=0.9), S.StepLR(o, 5, 0.5),
                                     S.LambdaLR(o, lambda t: 1 / (1 + t))],
                                 milestones=[20, 50]),
        lambda o: T.SequentialLR(o, [T.ExponentialLR(o, gamma=0.9), T.StepLR(o, 5, 0.5),
                                     T.LambdaLR(o, lambda t: 1 / (1 + t))],
                                 milestones=[20, 50])),
}


def _sgd_pair(momentum=0.9):
    ours = optim.SGD([{"params": [dc.zeros(1, requires_grad=True)]},
                      {"params": [dc.zeros(1, requires_grad=True)], "lr": 0.05}],
                     lr=0.1, momentum=momentum)
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                              {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}],
                             lr=0.1, momentum=momentum)
    return ours, theirs


def _sequence(optimizer, schedule, steps, *, metrics=None, key="momentum"):
    """(lrs, group lrs, momenta) after construction and after each step."""
    lrs, group_lrs, momenta = [], [], []

    def record():
        lrs.append(list(schedule.get_last_lr()))
        group_lrs.append([g["lr"] for g in optimizer.param_groups])
        momenta.append([g[key] for g in optimizer.param_groups])

    record()
    for step in range(steps):
        optimizer.step()
        if metrics is None:
            schedule.step()
        else:
            schedule.step(metrics[step])
        record()
    return np.array(lrs, dtype=float), np.array(group_lrs, dtype=float), momenta


@pytest.mark.parametrize("name", sorted(CASES))
def test_learning_rates_equal_torch(name):
    ours_make, theirs_make = CASES[name]
    ours_opt, theirs_opt = _sgd_pair()
    ours = _sequence(ours_opt, ours_make(ours_opt), 100)
    theirs = _sequence(theirs_opt, theirs_make(theirs_opt), 100)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-15,
                               err_msg=f"{name}: get_last_lr differs from torch")
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15,
                               err_msg=f"{name}: the groups' lr differs from torch")
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12, err_msg=f"{name}: momentum")
    assert len(np.unique(ours[0][:, 0])) > 1, f"{name}: the schedule never changed the rate"


def test_one_cycle_cycles_adams_beta1_like_torch():
    ours_opt = optim.Adam([dc.zeros(1, requires_grad=True)], lr=0.1)
    theirs_opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = _sequence(ours_opt, S.OneCycleLR(ours_opt, max_lr=0.5, total_steps=50), 50,
                     key="betas")
    theirs = _sequence(theirs_opt, T.OneCycleLR(theirs_opt, max_lr=0.5, total_steps=50), 50,
                       key="betas")
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(np.array(ours[2]), np.array(theirs[2]), rtol=1e-12)
    assert all(isinstance(b, tuple) for row in ours[2] for b in row)


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 3},
    {"threshold_mode": "abs", "threshold": 0.01, "patience": 2, "cooldown": 3},
    {"factor": 0.5, "patience": 1, "min_lr": [0.01, 0.02], "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(sorted(k)) for k in PLATEAU])
def test_reduce_on_plateau_equals_torch_on_the_same_metrics(kwargs):
    t = np.arange(100)
    metrics = list(np.where(t < 25, 1 / (1 + t), 0.04 + 0.005 * np.sin(t)))
    if kwargs.get("mode") == "max":
        metrics = [-m for m in metrics]
    ours_opt, theirs_opt = _sgd_pair()
    ours = _sequence(ours_opt, S.ReduceLROnPlateau(ours_opt, **kwargs), 100, metrics=metrics)
    theirs = _sequence(theirs_opt, T.ReduceLROnPlateau(theirs_opt, **kwargs), 100,
                       metrics=metrics)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[0][-1, 0] < ours[0][0, 0], "the plateau never lowered the rate"


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_through_json_continues_the_sequence(name):
    make = CASES[name][0]
    straight_opt, _ = _sgd_pair()
    straight = _sequence(straight_opt, make(straight_opt), 100)[0]

    first_opt, _ = _sgd_pair()
    first = make(first_opt)
    for _ in range(50):
        first_opt.step()
        first.step()
    saved_opt = json.loads(json.dumps(first_opt.state_dict()))
    saved = json.loads(json.dumps(first.state_dict()))

    second_opt, _ = _sgd_pair()
    second = make(second_opt)
    second_opt.load_state_dict(saved_opt)
    second.load_state_dict(saved)
    rest = []
    for _ in range(50):
        second_opt.step()
        second.step()
        rest.append(second.get_last_lr())
    np.testing.assert_allclose(np.array(rest), straight[51:], rtol=1e-12)


def test_plateau_state_round_trip_keeps_the_best_value():
    opt, _ = _sgd_pair()
    sched = S.ReduceLROnPlateau(opt, patience=1)
    sched.step(1.0)
    sched.step(2.0)
    state = json.loads(json.dumps(sched.state_dict()))
    other = S.ReduceLROnPlateau(_sgd_pair()[0], patience=1)
    other.load_state_dict(state)
    assert other.best == 1.0 and other.num_bad_epochs == 1
    assert math.isinf(json.loads(json.dumps(S.ReduceLROnPlateau(opt).state_dict()))["best"])


def test_errors_name_the_schedule_and_argument():
    opt, _ = _sgd_pair()
    with pytest.raises(ValueError, match=r"StepLR: step_size must be a whole number >= 1, "
                                         r"got 0"):
        S.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"ExponentialLR: gamma must be a number > 0, got -1"):
        S.ExponentialLR(opt, gamma=-1)
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be in \(0, 1\], got 0"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match=r"StepLR: the optimizer has no parameters yet"):
        S.StepLR(optim.SGD(), step_size=2)
    with pytest.raises(TypeError, match=r"CosineAnnealingLR: expected a descend optimizer, "
                                        r"got list"):
        S.CosineAnnealingLR([], T_max=3)
    with pytest.raises(ValueError, match=r"LambdaLR: expected one lr_lambda per parameter "
                                         r"group \(2\), got 1"):
        S.LambdaLR(opt, [lambda t: 1.0])
    with pytest.raises(ValueError, match=r"OneCycleLR: give total_steps, or both epochs and "
                                         r"steps_per_epoch"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match=r"cycle_momentum=True needs an optimizer with "
                                         r"momentum or betas; Adagrad has neither"):
        S.OneCycleLR(optim.Adagrad([dc.zeros(1, requires_grad=True)]), 1.0, total_steps=5)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be in \[0, 1\), "
                                         r"got 1.5"):
        S.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match=r"SequentialLR: expected 1 milestone\(s\) for 2 "
                                         r"schedules, got 0"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 3)], milestones=[])
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau cannot be sequenced"):
        S.SequentialLR(opt, [S.ReduceLROnPlateau(opt)], milestones=[])
    other, _ = _sgd_pair()
    with pytest.raises(ValueError, match=r"schedulers\[0\] belongs to a different optimizer"):
        S.SequentialLR(opt, [S.StepLR(other, 2)], milestones=[])


def test_one_cycle_refuses_to_run_past_its_total():
    opt, _ = _sgd_pair()
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 4 times, but total_steps is 3"):
        sched.step()


def test_repr_shows_the_settings():
    opt, _ = _sgd_pair()
    assert repr(S.StepLR(opt, step_size=3)) == "StepLR(step_size=3, gamma=0.1, last_epoch=0)"


def test_resuming_by_last_epoch_needs_the_initial_lr():
    opt, _ = _sgd_pair()
    with pytest.raises(ValueError, match=r"StepLR: resuming with last_epoch=9 needs "
                                         r"param_groups\[0\]\['initial_lr'\], which is missing"):
        S.StepLR(opt, step_size=3, last_epoch=9)
    ours_opt, theirs_opt = _sgd_pair()
    for group in ours_opt.param_groups + theirs_opt.param_groups:
        group["initial_lr"] = 1.0
    ours = _sequence(ours_opt, S.StepLR(ours_opt, 3, last_epoch=9), 10)[0]
    theirs = _sequence(theirs_opt, T.StepLR(theirs_opt, 3, last_epoch=9), 10)[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
