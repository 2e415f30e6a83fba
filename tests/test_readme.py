"""The README's commands and Python tour stay true: the tour runs, the CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_python_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour saves a model file in the working directory
    code = "\n".join(re.findall(r"```python\n(.*?)```", README, re.S))
    code = code.replace("with dc.detect_anomaly(): ...", "pass")
    code = code.replace("verbose=2", "verbose=0")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    scores = namespace["model"].evaluate(namespace["sc"].transform(namespace["x_te"]),
                                         namespace["y_te"])
    assert set(scores) == {"loss", "mae"} and scores["loss"] < 83  # better than the mean
    assert abs(namespace["kernel"].item() - 3) < 0.05  # the four-step loop found y = 3x + 2


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(python3 -m venv .*)$", README, re.M)
    assert len(commands) == 2, commands
    assert "descend demo boston" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
