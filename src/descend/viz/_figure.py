"""Headless matplotlib figures: one place that imports matplotlib, makes figures and saves them.

Figures are made without ``pyplot`` on an Agg canvas, so drawing works on servers and in CI and
never changes the user's matplotlib backend. matplotlib is imported only when a picture is made,
so ``import descend`` stays light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from descend.paths import output_file

INSTALL_HINT = 'pip install "descend[viz]"'
"""What to run when an optional plotting dependency is missing."""

PathLike = str | os.PathLike


def require(module: str, what: str) -> Any:
    """Import ``module`` or raise an ImportError that says how to install the ``viz`` extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{what} needs the {module.split('.')[0]} package, which is not installed; "
            f"install the plotting extras with: {INSTALL_HINT}"
        ) from None


def new_figure(width: float, height: float, *, what: str) -> Any:
    """A matplotlib ``Figure`` of ``width`` × ``height`` inches on a headless Agg canvas."""
    figure_module = require("matplotlib.figure", what)
    agg = require("matplotlib.backends.backend_agg", what)
    fig = figure_module.Figure(figsize=(width, height), dpi=100, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def picture_path(path: PathLike, where: str = "save") -> Path:
    """``path`` as a ``Path``, or a ValueError unless its suffix names a picture format, and
    a FileNotFoundError unless its folder exists (pictures never create folders)."""
    path = output_file(path, where, example="picture.png")
    if path.suffix.lower() not in {".png", ".svg", ".pdf", ".jpg", ".jpeg"}:
        raise ValueError(
            f"{where}: cannot tell the picture format from {str(path)!r}; "
            "end the file name with .png, .svg or .pdf"
        )
    return path


def save(fig: Any, path: PathLike | None, *, dpi: int = 100) -> Any:
    """Save ``fig`` to ``path`` when given (the suffix picks PNG, SVG or PDF); return ``fig``."""
    if path is not None:
        path = picture_path(path)
        fig.savefig(path, dpi=dpi)
    return fig


def rgb_frame(fig: Any) -> np.ndarray:
    """Draw ``fig`` and return its pixels as an ``(height, width, 3)`` uint8 array."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def colors(n: int) -> list[Any]:
    """``n`` distinguishable colours (matplotlib's tab10 cycle, repeated when needed)."""
    cm = require("matplotlib", "plotting")
    palette = cm.colormaps["tab10"].colors
    return [palette[i % len(palette)] for i in range(n)]
