"""Every loss test runs on each device: ``check_op`` compares the op there with the CPU."""

from __future__ import annotations

import pytest

from devices import Target


@pytest.fixture(autouse=True)
def on_each_device(op_device: Target) -> Target:
    """Run the test once per device (``op_device`` in the top conftest)."""
    return op_device
