"""The instruction counter: a count where valgrind is installed, a clear stop elsewhere."""

from __future__ import annotations

import shutil
import sys

import pytest
from bench_support import load

instructions = load("instructions")


def test_without_valgrind_it_says_what_to_install(monkeypatch):
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["instructions.py"])
    with pytest.raises(SystemExit, match="needs valgrind"):
        instructions.main()


@pytest.mark.skipif(shutil.which("valgrind") is None,
                    reason="valgrind is not installed: nothing to count instructions with")
def test_callgrind_counts_a_run():
    # one run (imports included, ~10 s under valgrind); main() takes the difference of two
    assert 10**8 < instructions.count(1, instructions.HERE.parent / "src") < 10**11
