"""``descend bench``: finding the suite, passing the options on, and clear errors."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

from descend import bench
from descend.cli import main

CHECKOUT_SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_options(parser)
    return parser.parse_args(argv)


def test_the_suite_of_the_checkout_is_found(monkeypatch):
    monkeypatch.delenv(bench.ENVIRONMENT, raising=False)
    assert bench.find_suite() == CHECKOUT_SUITE


def test_the_environment_variable_wins_and_is_checked(monkeypatch, tmp_path):
    monkeypatch.setenv(bench.ENVIRONMENT, str(tmp_path))
    with pytest.raises(RuntimeError, match=r"DESCEND_BENCHMARKS is .* no run\.py"):
        bench.find_suite()
    (tmp_path / "run.py").write_text("")
    assert bench.find_suite() == tmp_path / "run.py"


def test_an_installed_package_without_a_checkout_says_where_the_scripts_are(monkeypatch,
                                                                            tmp_path):
    monkeypatch.delenv(bench.ENVIRONMENT, raising=False)
    monkeypatch.setattr(bench, "__file__", str(tmp_path / "site" / "descend" / "bench.py"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match=r"not installed with the package.*source checkout"):
        bench.find_suite()
    assert main(["bench", "--list"]) == 1


def test_the_options_reach_the_suite_and_its_exit_status_comes_back(monkeypatch, tmp_path,
                                                                    capsys):
    (tmp_path / "run.py").write_text("import sys\nprint(sys.argv[1:])\nsys.exit(3)\n")
    monkeypatch.setenv(bench.ENVIRONMENT, str(tmp_path))
    args = options("--quick", "--only", "cnn_step", "--note", "quiet machine")
    assert bench.command(args) == 3
    assert capsys.readouterr().out == (
        "['--quick', '--only', 'cnn_step', '--note', 'quiet machine']\n")


def test_without_threadpoolctl_the_command_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name == "threadpoolctl" else real(name))
    with pytest.raises(ImportError, match=r"pip install 'descend\[bench\]'"):
        bench.command(options())


def test_descend_bench_list_runs_the_checkouts_suite(monkeypatch, capsys):
    monkeypatch.delenv(bench.ENVIRONMENT, raising=False)
    assert main(["bench", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["mlp_step", "sigmoid_step", "elementwise_op", "boston_step", "cnn_step",
                     "fit_overhead", "fit_digits", "optim_step", "memory", "scaling",
                     "compiled_step"]


def test_the_bench_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert all(option in out for option in ("--quick", "--only", "--two-threads", "--list"))
    assert "source checkout" in out
