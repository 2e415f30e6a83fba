"""Every op test runs on each device: ``check_op`` compares the op there with the CPU."""

from __future__ import annotations

import pytest

import opcheck
from devices import NAMES, Target, target


@pytest.fixture(params=NAMES, autouse=True)
def op_device(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The device ``check_op`` runs on in this test."""
    chosen = target(request.param, monkeypatch)
    monkeypatch.setattr(opcheck, "DEVICE", chosen)
    return chosen
