"""Helpers of the web tests: the skip mark for a missing web extra, and the screenshot check."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

needs_web = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("starlette", "uvicorn")),
    reason="the web extra is not installed: pip install descend[web]")
"""Every test module here is marked with it (``pytestmark = needs_web``)."""


def check_screenshot(page, path: Path, width: int = 1400) -> None:
    """Save a full-page screenshot and check it is a real picture of the page, not blank."""
    from PIL import Image

    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as image:
        assert image.size[0] == width and image.size[1] >= 700, image.size
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.std() > 10, "the screenshot is blank"
    assert (pixels < 128).mean() > 0.005, "the screenshot has almost no dark (text) pixels"
