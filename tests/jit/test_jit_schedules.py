"""A learning-rate schedule stepped inside a compiled step moves on at every replay, as in the
eager step: the same learning rates and weights, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.compiler.trace import TraceError

S = dc.optim.schedules
SCHEDULES = {
    "StepLR": lambda opt: S.StepLR(opt, step_size=2, gamma=0.5),
    "OneCycleLR": lambda opt: S.OneCycleLR(opt, max_lr=0.5, total_steps=8),
    "CosineAnnealingWarmRestarts": lambda opt: S.CosineAnnealingWarmRestarts(opt, T_0=3),
    "SequentialLR": lambda opt: S.SequentialLR(
        opt, [S.LinearLR(opt, start_factor=0.25, total_iters=2),
              S.ExponentialLR(opt, gamma=0.9)], milestones=[2]),
}


def _step_with(schedule):
    w = dc.tensor(np.array([[0.5], [-1.0], [2.0]], np.float32), requires_grad=True)
    optimizer = dc.optim.SGD([w], lr=0.1, momentum=0.9)
    scheduler = SCHEDULES[schedule](optimizer)

    def step(x, y):
        optimizer.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss
    return w, optimizer, step


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_a_schedule_stepped_in_a_compiled_step_moves_on_at_every_replay(schedule):
    (eager_w, eager_opt, eager), (w, opt, step) = _step_with(schedule), _step_with(schedule)
    compiled = dc.jit(step)
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(7):
        x, y = rng.standard_normal((4, 3), np.float32), rng.standard_normal((4, 1), np.float32)
        assert eager(dc.Tensor._wrap(x), dc.Tensor._wrap(y)).item() == compiled(x, y).item()
        assert eager_opt.lr == opt.lr and eager_w.numpy().tobytes() == w.numpy().tobytes()
        rates.append(opt.lr)
    assert len(set(rates)) > 2  # the schedule did move
    assert f"{schedule}.step()" in str(compiled.program(x, y))


def test_reduce_on_plateau_in_a_compiled_step_is_refused_by_name():
    w = dc.tensor(np.ones((3, 1), np.float32), requires_grad=True)
    optimizer = dc.optim.SGD([w], lr=0.1)
    scheduler = S.ReduceLROnPlateau(optimizer, patience=0)

    @dc.jit
    def step(x):
        loss = (x @ w).sum()
        scheduler.step(1.0)
        return loss

    with pytest.raises(TraceError, match=r"jit: ReduceLROnPlateau.step\(metrics\) reads its "
                                         "metric while the step is being traced"):
        step(np.ones((2, 3), np.float32))
    assert scheduler.num_bad_epochs == 0 and optimizer.lr == 0.1
