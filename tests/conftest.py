"""Fixtures every test folder may use: ``device``, one test per device (see ``devices``)."""

from __future__ import annotations

import pytest

from devices import NAMES, Target, target


@pytest.fixture(params=NAMES)
def device(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The device under test: ``cpu``, ``fake-cuda`` (CuPy's stand-in) or ``cuda`` (a GPU)."""
    return target(request.param, monkeypatch)
