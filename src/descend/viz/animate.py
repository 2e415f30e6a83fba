"""Animate a race: every optimizer moving together, with the step counter and current losses.

Frames are drawn on an Agg canvas and written by Pillow (GIF) or piped to ffmpeg (MP4).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from descend.lab.races import Race
from descend.paths import output_file
from descend.viz._figure import PathLike, require, rgb_frame
from descend.viz._race_artists import race_figure

_UNCHANGED = 255
"""The GIF palette index that means "as in the previous frame" (transparent)."""


def frame_steps(steps: int, frames: int) -> list[int]:
    """Which step each of ``frames`` frames shows: the start, evenly spaced steps, the end.

    >>> frame_steps(100, 5)
    [0, 25, 50, 75, 100]
    """
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 2:
        raise ValueError(f"animate_race: frames must be an integer of at least 2, got {frames!r}")
    return sorted({round(v) for v in np.linspace(0, steps, min(frames, steps + 1))})


def race_frames(race: Race, *, frames: int = 60, dpi: int = 64) -> list[np.ndarray]:
    """The animation's frames as ``(height, width, 3)`` uint8 arrays.

    >>> import descend as dc
    >>> shots = race_frames(dc.lab.race("quadratic", ["gd"], steps=10), frames=3)
    >>> len(shots), shots[0].dtype
    (3, dtype('uint8'))
    """
    fig, artists = race_figure(race)
    fig.set_dpi(dpi)
    shots = []
    for k in frame_steps(race.steps, frames):
        artists.show(k, final=k == race.steps)
        shots.append(rgb_frame(fig))
        fig.set_layout_engine("none")        # the layout of the first frame holds for all
    return shots


def animate_race(race: Race, path: PathLike, *, frames: int = 60, fps: int = 12,
                 dpi: int = 64, hold: float = 1.5) -> Path:
    """Save an animation of ``race``: a GIF (Pillow), or an MP4 when ffmpeg is installed.

    Args:
        race: from :func:`descend.lab.race` or :func:`descend.lab.lr_sweep`.
        path: the file to write; its suffix (``.gif`` or ``.mp4``) picks the format.
        frames: how many steps to show (spread evenly from the start to the last step).
        fps: frames per second.
        dpi: resolution (64 keeps GIFs small).
        hold: seconds to hold the last frame before the GIF loops.

    Returns:
        The path written.

    >>> import descend as dc, tempfile, os
    >>> from PIL import Image
    >>> race = dc.lab.race("quadratic", ["gd", "nag"], steps=10)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Image.open(dc.viz.animate_race(race, os.path.join(d, "q.gif"), frames=3)) as g:
    ...         g.n_frames
    3
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".gif", ".mp4"}:
        raise ValueError(f"animate_race: cannot tell the format from {str(path)!r}; end the "
                         "file name with .gif (or .mp4 when ffmpeg is installed)")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise RuntimeError("animate_race: writing .mp4 needs the ffmpeg program, which was not "
                           "found; install it (e.g. sudo apt-get install ffmpeg) or save a .gif")
    if not isinstance(fps, int) or fps < 1:
        raise ValueError(f"animate_race: fps must be a positive integer, got {fps!r}")
    output_file(path, "animate_race", example="race.gif")  # before drawing any frame
    shots = race_frames(race, frames=frames, dpi=dpi)
    if suffix == ".gif":
        durations = [int(1000 / fps)] * (len(shots) - 1) + [int(1000 * hold)]
        _write_gif(shots, path, durations)
    else:
        _write_mp4(shots, path, fps)
    return path


def _write_gif(shots: list[np.ndarray], path: Path, durations: list[int]) -> None:
    """One shared 255-colour palette; pixels unchanged since the last frame become transparent,
    so each frame stores only what moved (a GIF a tenth of the size)."""
    image = require("PIL.Image", "animate_race")
    both_ends = image.fromarray(np.concatenate([shots[0], shots[-1]]))
    palette = both_ends.quantize(colors=255, dither=image.Dither.NONE)
    indices = [np.asarray(image.fromarray(s).quantize(palette=palette, dither=image.Dither.NONE))
               for s in shots]
    frames = []
    for i, current in enumerate(indices):
        changed = current.copy()
        if i:
            changed[current == indices[i - 1]] = _UNCHANGED
        frame = image.fromarray(changed, mode="P")
        frame.putpalette(palette.getpalette())
        frames.append(frame)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False, transparency=_UNCHANGED, disposal=1)


def _write_mp4(shots: list[np.ndarray], path: Path, fps: int) -> None:
    height, width = shots[0].shape[:2]
    command = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", str(path)]
    done = subprocess.run(command, input=b"".join(s.tobytes() for s in shots),
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"animate_race: ffmpeg failed: {done.stderr.decode(errors='replace')}")
