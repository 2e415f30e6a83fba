"""A learning-rate schedule stepped inside a compiled step moves on at every replay, as in the
eager step: the same learning rates and weights, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.compiler.trace import TraceError
from jitcheck import on_arrays

S = dc.optim.schedules
SCHEDULES = {
    "StepLR": lambda opt: S.StepLR(opt, step_size=2, gamma=0.5),
    "OneCycleLR": lambda opt: S.OneCycleLR(opt, max_lr=0.5, total_steps=8),
    "CosineAnnealingWarmRestarts": lambda opt: S.CosineAnnealingWarmRestarts(opt, T_0=3),
    "SequentialLR": lambda opt: S.SequentialLR(
        opt, [S.LinearLR(opt, start_factor=0.25, total_iters=2),
              S.ExponentialLR(opt, gamma=0.9)], milestones=[2]),
}


def _step_with(schedule, logged=False):
    """A step stepping ``schedule`` after SGD, returning its loss (and the learning rates
    after it, ``logged``)."""
    w = dc.tensor(np.array([[0.5], [-1.0], [2.0]], np.float32), requires_grad=True)
    optimizer = dc.optim.SGD([w], lr=0.1, momentum=0.9)
    scheduler = SCHEDULES[schedule](optimizer)

    def step(x, y):
        optimizer.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss, "lr": scheduler.get_last_lr()[0],
                "lrs": scheduler.get_last_lr()} if logged else loss
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


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_the_rates_a_step_returns_are_each_call_s_own(schedule):
    """Logging the learning rate from the step: ``get_last_lr()`` returned the traced call's
    rates on every replay (the schedule itself moved on)."""
    runs = []
    for compiled in (False, True):
        _, _, step = _step_with(schedule, logged=True)
        step = dc.jit(step) if compiled else on_arrays(step)
        rng = np.random.default_rng(0)
        runs.append([{k: v for k, v in step(rng.standard_normal((4, 3), np.float32),
                                            rng.standard_normal((4, 1), np.float32)).items()
                      if k != "loss"} for _ in range(5)])
    assert runs[0] == runs[1]
    assert all(type(call["lr"]) is float and call["lrs"] == [call["lr"]] for call in runs[1])
    assert len({call["lr"] for call in runs[1]}) > 2
    text = str(step.program(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)))
    assert f"= {schedule}.last_lr_of(0)" in text and "'lrs': [h" in text


def test_computing_with_a_rate_in_the_step_is_refused():
    w, optimizer, _ = _step_with("StepLR")
    scheduler = S.StepLR(optimizer, step_size=2)
    step = dc.jit(lambda x: (x @ w).sum() * float(scheduler.get_last_lr()[0]))
    with pytest.raises(TraceError, match=r"computes with the value StepLR.last_lr_of\(0\)"):
        step(np.ones((2, 3), np.float32))


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
