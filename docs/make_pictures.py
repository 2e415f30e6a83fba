"""Make every tutorial picture with descend: run each ``examples/tutorial_*.py`` into
``docs/images/course/``.

Run from the repository root: ``python docs/make_pictures.py`` (or name some tutorials:
``python docs/make_pictures.py 03 04``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "course"


def tutorials(only: list[str]) -> list[Path]:
    """The tutorial scripts, in order; those whose number is in ``only`` when it is given."""
    scripts = sorted((ROOT / "examples").glob("tutorial_*.py"))
    return [s for s in scripts if not only or s.stem.split("_")[1] in only]


def main(only: list[str]) -> None:
    for script in tutorials(only):
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"--- {script.name}")
        module.main(OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
