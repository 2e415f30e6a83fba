"""Checks shared by the picture tests: the file exists, has its size, and is not blank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def check_picture(path: Path, size: tuple[int, int] | None = None, *, min_bytes: int = 2000,
                  frames: int | None = None) -> np.ndarray:
    """Assert ``path`` is a real, non-blank picture; return its pixels (first frame)."""
    assert path.exists(), f"{path} was not written"
    assert path.stat().st_size >= min_bytes, f"{path} is only {path.stat().st_size} bytes"
    with Image.open(path) as image:
        if size is not None:
            assert image.size == size
        if frames is not None:
            assert image.n_frames == frames
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 10, f"{path} looks blank (pixel std {pixels.std():.2f})"
    return pixels


@pytest.fixture
def picture():
    return check_picture
