"""The documentation site cannot rot: it builds strict, and every ```python block runs.

Each page's ``python`` blocks run in order in one namespace (a page reads as one session),
in a temporary working directory, so blocks that draw write their pictures there.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)


def python_blocks(page: Path | str) -> list[str]:
    """The ``python`` fenced blocks of a page (or of Markdown text), in order, dedented (a
    block may sit indented in a tab or a list)."""
    text = page.read_text() if isinstance(page, Path) else page
    return [textwrap.dedent(code) for _, code in BLOCK.findall(text)]


def test_the_block_finder_finds_python_blocks_only():
    text = ("a\n```python\nx = 1\n```\n```text\nno\n```\n=== \"tab\"\n\n    ```python\n"
            "    y = 2\n    ```\n")
    assert python_blocks(text) == ["x = 1\n", "y = 2\n"]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_block_on_the_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    blocks = python_blocks(page)
    if any("import torch" in code for code in blocks):
        pytest.importorskip("torch", reason=f"{page.name} compares with PyTorch, not installed")
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{page.relative_to(DOCS)} block {number}", "exec"), namespace)
        except Exception as err:          # name the page and block, then fail
            raise AssertionError(f"{page.relative_to(DOCS)}, python block {number} failed: "
                                 f"{type(err).__name__}: {err}\n{code}") from err


def test_every_page_is_in_the_navigation_and_every_picture_exists():
    config = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES:
        assert str(page.relative_to(DOCS)) in config, f"{page} is not in mkdocs.yml's nav"
        for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / picture).is_file(), f"{page.name}: {picture} is missing"


def test_the_api_reference_fences_examples_and_plains_roles():
    spec = importlib.util.spec_from_file_location("griffe_doctest", DOCS / "griffe_doctest.py")
    if importlib.util.find_spec("griffe") is None:
        pytest.skip("griffe is not installed (pip install -e '.[docs]')")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert doctest.testmod(module).failed == 0
    assert module.fence_examples("    >>> f()\n    [1.0]\n\nText") == (
        "    ```pycon\n    >>> f()\n    [1.0]\n    ```\n\nText")
    assert module.plain_roles(":func:`~descend.lab.race.race`, :class:`dc.lab.Race`") == (
        "`race`, `dc.lab.Race`")


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None
                    or importlib.util.find_spec("mkdocstrings") is None
                    or importlib.util.find_spec("material") is None,
                    reason="mkdocs, mkdocs-material or mkdocstrings is not installed "
                           "(pip install -e '.[docs]'; CI installs them)")
def test_the_site_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "reference" / "lab" / "index.html").is_file()
