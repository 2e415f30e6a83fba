"""Schedules drive racers; a negative starting loss is not a blow-up."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import lab


def test_an_exponential_schedule_shrinks_the_rate_each_step():
    r = lab.race("quadratic", ["gd", "adam"], steps=20, schedule="exponential:0.9")
    for t in r.values():
        np.testing.assert_allclose(t.lrs, t.lrs[0] * 0.9 ** np.arange(20))
    plain = lab.race("quadratic", ["gd"], steps=20)["GD"]
    assert plain.lrs is None
    assert r["GD"].step_lengths[-1] < plain.step_lengths[-1]


def test_any_schedule_factory_drives_a_racer():
    def halve_every_5(opt):
        return dc.optim.schedules.StepLR(opt, step_size=5, gamma=0.5)

    t = lab.run("quadratic", lambda p: dc.optim.SGD(p, lr=0.1), steps=12,
                schedule=halve_every_5)
    assert t.lrs.tolist() == [0.1] * 5 + [0.05] * 5 + [0.025] * 2
    # lr 0.25 > 2/κ diverges on the quadratic; the plateau schedule halves it until it does not
    plateau = lab.run("quadratic", lambda p: dc.optim.SGD(p, lr=0.25), steps=40,
                      schedule="plateau:0.5,2")
    assert plateau.lrs[0] == 0.25 and plateau.lrs[-1] <= 0.125
    assert not plateau.diverged and plateau.final_loss < plateau.losses[0]


@pytest.mark.parametrize(("text", "message"), [
    ("exponental:0.9", "unknown schedule 'exponental'. Did you mean 'exponential'"),
    ("exponential", "exponential takes 1 number"),
    ("exponential:0.9,1", "takes 1 number"),
    ("step:2.5", "step_size must be a whole number, got '2.5'"),
    ("cosine:nan", "T_max must be a whole number"),
    ("exponential:inf", "gamma must be a finite number"),
    ("exponential:__import__('os')", "gamma must be a finite number"),
])
def test_schedule_text_is_parsed_strictly(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lab.parse_schedule(text)


def test_a_problem_starting_below_zero_is_not_diverged_at_step_0():
    class Dip(lab.Problem):                      # min_loss stays the class default, 0
        name, bounds, start, lr, adaptive_lr = "dip", ((-2, 2), (-2, 2)), (1.0, 1.0), 0.1, 0.1

        def loss(self, a, b):
            return a * a + b * b - 5.0

    t = lab.race(Dip(), ["gd"], steps=30)["GD"]
    assert not t.diverged and len(t.losses) == 31
    assert t.final_loss == pytest.approx(-5.0, abs=1e-4)
    assert lab.race("double_well", ["gd"], steps=5)["GD"].losses.size == 6


def test_a_loss_without_a_lower_bound_still_diverges():
    class Cliff(lab.Problem):
        name, bounds, start, lr, adaptive_lr = "cliff", ((-2, 2), (-2, 2)), (1.0, 0.0), 1.0, 0.1

        def loss(self, a, b):
            return -(a * a) * a * a + b

    t = lab.race(Cliff(), ["gd"], steps=50)["GD"]
    assert t.diverged and len(t.losses) < 51


def test_a_sweep_takes_a_schedule_too():
    sweep = lab.lr_sweep("quadratic", [0.1, 0.25], steps=30, schedule="exponential:0.9")
    assert [t.diverged for t in sweep.values()] == [False, False]     # 0.25 alone diverges
    assert all(t.lrs is not None for t in sweep.values())
