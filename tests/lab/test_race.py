"""Races run the real ``dc.optim`` optimizers: checked against a plain NumPy loop and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend import optim
from descend.lab import Race, lr_sweep, preset, race, run

X = np.array([0.5, 2.5])
Y = np.array([0.2, 0.9])


def _numpy_sigmoid_run(lr, momentum, nesterov, steps):
    """The lecture's loop written independently: error Σ ½(σ(wx + b) − y)², torch's momentum."""
    p = np.array([-2.0, -2.0])
    v = np.zeros(2)
    errors = []
    for t in range(steps + 1):
        f = 1 / (1 + np.exp(-(p[0] * X + p[1])))
        errors.append(0.5 * np.sum((f - Y) ** 2))
        if t == steps:
            break
        d = (f - Y) * f * (1 - f)
        g = np.array([np.sum(d * X), np.sum(d)])
        v = g if t == 0 else momentum * v + g
        p = p - lr * ((g + momentum * v) if nesterov else (v if momentum else g))
    return np.array(errors)


@pytest.fixture(scope="module")
def sigmoid_race():
    return race("sigmoid", ["gd", "momentum", "nag"], steps=100)


def test_sigmoid_race_matches_an_independent_numpy_loop(sigmoid_race):
    for name, (momentum, nesterov) in {"GD": (0.0, False), "Momentum": (0.9, False),
                                       "NAG": (0.9, True)}.items():
        expected = _numpy_sigmoid_run(1.0, momentum, nesterov, 100)
        np.testing.assert_allclose(sigmoid_race[name].losses, expected, rtol=1e-10, atol=1e-14)


def test_the_lecture_plateau_numbers(sigmoid_race):
    gd, mom = sigmoid_race["GD"].losses, sigmoid_race["Momentum"].losses
    # the independent loop above gives GD 0.40724 at 50 and 0.01774 at 100, momentum 0.01647
    assert gd[50] == pytest.approx(0.41, abs=0.005)
    assert gd[100] == pytest.approx(0.018, abs=0.0005)
    assert mom[50] == pytest.approx(0.017, abs=0.001)
    assert gd[50] == pytest.approx(0.40724, abs=1e-5)
    assert gd[100] == pytest.approx(0.01774, abs=1e-5)
    assert mom[50] == pytest.approx(0.01647, abs=1e-5)
    assert sigmoid_race["NAG"].losses[50] < mom[50]


@pytest.mark.parametrize(("name", "torch_cls", "rtol"), [
    ("adagrad", torch.optim.Adagrad, 1e-9),
    ("rmsprop", torch.optim.RMSprop, 1e-9),
    ("adam", torch.optim.Adam, 1e-9),
    ("nadam", torch.optim.NAdam, 1e-6),  # torch keeps NAdam's step count in float32
])
def test_adaptive_runners_follow_torch_optim(name, torch_cls, rtol):
    ours = race("sigmoid", [name], steps=40)[preset_label(name)]
    w = torch.tensor([-2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([-2.0], dtype=torch.float64, requires_grad=True)
    opt = torch_cls([w, b], lr=0.1)
    x, y = torch.tensor(X), torch.tensor(Y)
    params = [(-2.0, -2.0)]
    for _ in range(40):
        opt.zero_grad()
        (0.5 * (torch.sigmoid(w * x + b) - y) ** 2).sum().backward()
        opt.step()
        params.append((w.item(), b.item()))
    np.testing.assert_allclose(ours.params, np.array(params), rtol=rtol, atol=1e-12)


def preset_label(name):
    from descend.lab.races import PRESETS

    return PRESETS[name][0]


def test_trajectory_shapes_steps_to_tol_and_the_optimizer_are_kept():
    t = run("quadratic", lambda p: optim.SGD(p, lr=0.1), steps=60, tol=1e-2, name="mine")
    assert t.name == "mine" and t.params.shape == (61, 2) and t.losses.shape == (61,)
    first = t.steps_to_tol
    assert t.losses[first] <= 1e-2 < t.losses[first - 1]
    assert isinstance(t.optimizer, optim.SGD)
    assert run("quadratic", lambda p: optim.SGD(p, lr=1e-4), steps=5).steps_to_tol is None


def test_every_preset_runs_and_uses_the_problems_learning_rates():
    from descend.lab.races import PRESETS

    result = race("saddle", list(PRESETS), steps=5)
    assert list(result) == [label for label, *_ in PRESETS.values()]
    assert result["GD"].optimizer.param_groups[0]["lr"] == dc.lab.Saddle.lr
    assert result["Adam"].optimizer.param_groups[0]["lr"] == dc.lab.Saddle.adaptive_lr
    assert result["Adadelta"].optimizer.param_groups[0]["lr"] == 1.0
    nag = result["NAG"].optimizer.param_groups[0]
    assert (nag["momentum"], nag["nesterov"]) == (0.9, True)


def test_custom_factories_start_and_lr_override():
    result = race("rosenbrock", {"slow": lambda p: optim.SGD(p, lr=1e-4), "named": "gd"},
                  steps=3, start=(0.5, 0.5), lr=2e-4)
    assert isinstance(result, Race) and list(result) == ["slow", "named"]
    assert tuple(result["slow"].params[0]) == (0.5, 0.5)
    assert result["named"].optimizer.param_groups[0]["lr"] == 2e-4
    assert preset("adam", "rosenbrock", lr=0.5)([dc.zeros(1, requires_grad=True)]).lr == 0.5


def test_divergence_is_detected_and_stops_the_run():
    sweep = lr_sweep("quadratic", steps=60)
    small, right, large = sweep.values()
    assert list(sweep) == ["lr=0.013", "lr=0.13", "lr=0.26"]
    assert not small.diverged and not right.diverged and large.diverged
    assert len(large.losses) < 61 and large.losses[-1] > 1e6 * large.losses[0]
    assert right.final_loss < 1e-5 < small.final_loss
    assert "diverged" in sweep.summary()


def test_non_finite_losses_count_as_divergence():
    t = run("rosenbrock", lambda p: optim.SGD(p, lr=1.0), steps=50)
    assert t.diverged and len(t.losses) < 51


def test_summary_lists_every_runner(sigmoid_race):
    lines = sigmoid_race.summary().splitlines()
    assert lines[0].startswith("optimizer   final loss   steps to loss-min <= 0.01")
    assert [line.split()[0] for line in lines[1:]] == ["GD", "Momentum", "NAG"]
    assert "Race(SigmoidNeuron(), steps=100" in repr(sigmoid_race)


def test_bad_race_arguments_are_explained():
    with pytest.raises(ValueError, match=r"lab: unknown optimizer 'sgdx'\. Did you mean 'gd'\? "
                                         r"Valid names: 'adadelta', 'adagrad', 'adam'"):
        race("sigmoid", ["sgdx"])
    with pytest.raises(ValueError, match="at least one optimizer"):
        race("sigmoid", [])
    with pytest.raises(TypeError, match="must be a preset name or a callable"):
        race("sigmoid", {"x": 3})
    with pytest.raises(ValueError, match="steps must be a non-negative integer, got -1"):
        race("sigmoid", ["gd"], steps=-1)
    with pytest.raises(ValueError, match="start must be two numbers"):
        race("sigmoid", ["gd"], start=(1.0,))
    with pytest.raises(ValueError, match="lrs must be positive numbers"):
        lr_sweep("quadratic", [0.1, -1.0])
