"""Fixtures every test folder may use: ``device``, one test per device (see ``devices``),
and ``op_device``, which also makes ``check_op`` compare the op there with the CPU."""

from __future__ import annotations

import pytest

import opcheck
from devices import NAMES, Target, target


@pytest.fixture(params=NAMES)
def device(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The device under test: ``cpu``, ``fake-cuda`` (CuPy's stand-in) or ``cuda`` (a GPU)."""
    return target(request.param, monkeypatch)


@pytest.fixture(params=NAMES)
def op_device(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The device ``check_op`` runs on in this test (off the CPU: compared with the CPU's)."""
    chosen = target(request.param, monkeypatch)
    monkeypatch.setattr(opcheck, "DEVICE", chosen)
    return chosen
