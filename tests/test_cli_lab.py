"""The ``descend lab`` and ``descend explain`` commands."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from descend.cli import build_parser, main


def test_lab_help_lists_problems_and_optimizers(capsys):
    with pytest.raises(SystemExit) as done:
        main(["lab", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name in ("sigmoid", "linear", "quadratic", "rosenbrock", "beale", "saddle"):
        assert f"\n  {name}" in out
    assert "optimizers: gd, momentum, nag, adagrad, rmsprop, adam" in out


def test_lab_race_prints_the_summary_and_writes_a_gif(tmp_path, capsys):
    out_file = tmp_path / "race.gif"
    code = main(["lab", "sigmoid", "--optimizers", "gd,momentum", "--steps", "50",
                 "--out", str(out_file), "--frames", "3"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("optimizer   final loss")
    assert out[1].split()[:2] == ["GD", "0.4072"]
    assert out[-1] == f"wrote {out_file}"
    with Image.open(out_file) as gif:
        assert gif.n_frames == 3


@pytest.mark.parametrize(("args", "first_panel"), [
    (["rosenbrock", "--optimizers", "adam", "--steps", "20"], "Rosenbrock: loss surface"),
    (["beale", "--optimizers", "gd,adam", "--steps", "5", "--picture", "grid"], "GD: "),
    (["saddle", "--optimizers", "gd", "--steps", "5", "--picture", "3d"], "Saddle: loss"),
])
def test_lab_still_pictures(tmp_path, capsys, args, first_panel, monkeypatch):
    from descend import viz

    made = []
    for name in ("plot_race", "plot_race_grid", "plot_surface_3d"):
        original = getattr(viz, name)

        def spy(*a, _original=original, **k):
            fig = _original(*a, **k)
            made.append(fig.axes[0].get_title())
            return fig

        monkeypatch.setattr(viz, name, spy)
    path = tmp_path / "picture.png"
    assert main(["lab", *args, "--out", str(path)]) == 0
    assert path.stat().st_size > 5000
    assert made[0].startswith(first_panel)


def test_lab_sweep_and_condition_number(capsys):
    assert main(["lab", "quadratic", "--condition-number", "4", "--sweep", "0.1,0.4,0.6",
                 "--steps", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["lr=0.1", "lr=0.4", "lr=0.6"]
    assert lines[3].endswith("diverged")            # 0.6 > 2/κ = 0.5 on κ = 4


def test_explain_prints_the_trace_and_draws_the_graph(tmp_path, capsys):
    graph = tmp_path / "g.dot"
    code = main(["explain", "(v*x - y)**2", "v=0", "x=2", "y=5", "--lr", "0.1", "--wrt", "v",
                 "--graph", str(graph)])
    assert code == 0
    out = capsys.readouterr().out
    assert "dL/dt2 = dL/dL * ∂L/∂t2 = 1 * -10 = -10" in out
    assert "dL/dt1 = dL/dt2 * ∂t2/∂t1 = -10 * 1 = -10" in out
    assert "dL/dv = dL/dt1 * ∂t1/∂v = -10 * 2 = -20" in out
    assert "v: 0 - 0.1 * -20 = 2" in out
    assert 'label="grad -20"' in graph.read_text()
    assert f"wrote {graph}" in out


def test_explain_accepts_lists(capsys):
    assert main(["explain", "sum(w*x)", "w=[1, 2]", "x=[3, 4]", "--wrt", "w"]) == 0
    assert "Gradients: dL/dw = [3, 4]" in capsys.readouterr().out


def test_errors_are_reported_without_a_traceback(capsys):
    assert main(["explain", "__import__('os')", "x=1"]) == 1
    assert "descend: error: explain: cannot call '__import__'" in capsys.readouterr().err
    assert main(["explain", "x*y", "x=1"]) == 1
    assert "uses y but no value was given" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["explain", "x", "x"])
    assert "expected NAME=VALUE such as v=0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["lab", "banana"])
    assert "invalid choice: 'banana'" in capsys.readouterr().err
    assert main(["lab", "sigmoid", "--optimizers", "sgdx"]) == 1
    assert "unknown optimizer 'sgdx'" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "lab" in capsys.readouterr().out


def test_subcommands_are_groups_others_can_extend():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert {"lab", "explain"} <= set(choices)


def test_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "descend.cli", "explain", "w*x", "w=3",
                           "x=2"], capture_output=True, text=True, check=True)
    assert "Gradients: dL/dw = 2, dL/dx = 3" in done.stdout


def test_lab_schedule_and_random_search_on_the_double_well(tmp_path, capsys):
    out_file = tmp_path / "wells.png"
    assert main(["lab", "double_well", "--optimizers", "gd,momentum,random", "--schedule",
                 "exponential:0.99", "--out", str(out_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["GD", "Momentum", "Random"]
    assert lines[1].split()[-2:] == ["not", "reached"]          # GD stays in the shallow well
    with Image.open(out_file) as image:
        assert image.size == (1360, 420)                         # surface, losses, step lengths


@pytest.mark.parametrize(("value", "message"), [
    ("exponental:0.9", "argument --schedule: schedule: unknown schedule 'exponental'"),
    ("step:ten", "argument --schedule: schedule 'step:ten': step_size must be a whole number"),
    ("cosine", "argument --schedule: schedule 'cosine': cosine takes 1 to 2 numbers"),
])
def test_lab_schedule_errors_name_the_option(value, message, capsys):
    with pytest.raises(SystemExit) as done:
        main(["lab", "quadratic", "--schedule", value])
    assert done.value.code == 2
    assert message in capsys.readouterr().err
