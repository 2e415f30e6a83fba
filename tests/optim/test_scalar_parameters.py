"""0-d parameters (a single weight, as in the lab's toy problems) update like torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend import optim

NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


@pytest.mark.parametrize("name", NAMES)
def test_a_zero_dimensional_parameter_follows_torch(name, torch_float64):
    ours = dc.tensor(1.5, dtype="float64", requires_grad=True)
    theirs = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    opt = getattr(optim, name)([ours], lr=0.1)
    their_opt = getattr(torch.optim, name)([theirs], lr=0.1, foreach=False)
    for _ in range(10):
        (ours.sin() * ours).backward()
        opt.step()
        opt.zero_grad()
        (theirs.sin() * theirs).backward()
        their_opt.step()
        their_opt.zero_grad()
        assert ours.shape == ()
        assert abs(ours.item() - theirs.item()) < 1e-10


def test_lion_on_a_zero_dimensional_parameter_moves_by_lr():
    w = dc.tensor(2.0, requires_grad=True)
    opt = optim.Lion([w], lr=0.25)
    (w * w).backward()
    opt.step()
    assert np.isclose(w.item(), 1.75)
