"""The picture check of tests/viz, for the demo pictures."""

from __future__ import annotations

import pytest

from viz.conftest import check_picture


@pytest.fixture
def picture_check():
    return check_picture
