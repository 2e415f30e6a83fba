"""explain (the lab function and ``descend explain``): every bad input is a sentence naming it.

No raw NumPy text, no RecursionError, no wrong "not computed from tensors" message, and the
formula is only ever parsed (an ``ast`` whitelist), never evaluated as code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from descend.cli import main
from descend.lab import expression


@pytest.mark.parametrize(("value", "says"), [
    ("abc", "x must be a number or a list of numbers, got 'abc'"),
    ([1, [2]], r"x must be a number or a list of numbers with every row the same length, got "
               r"\[1, \[2\]\]"),
    (True, "x must be a number or a list of numbers, got True"),
    (float("inf"), "x must be a number or a list of numbers, all finite, got inf"),
    ({1: 2}, r"x must be a number or a list of numbers, got \{1: 2\}"),
    (1 + 2j, r"x must be a number or a list of numbers, got \(1\+2j\)"),
])
def test_a_bad_value_names_the_variable(value, says):
    with pytest.raises(ValueError, match=f"^explain: {says}$"):
        dc.lab.explain("x * 2", x=value)


@pytest.mark.parametrize("formula", ["x", "(x)", " ((x)) "])
def test_a_formula_that_is_just_a_variable_says_so(formula):
    with pytest.raises(ValueError, match=r"is just the variable x, so there is no step to "
                                         r"explain \(dx/dx = 1\); write a formula that computes "
                                         r"something from it, such as \"x\*\*2\""):
        dc.lab.explain(formula, x=1.0)


@pytest.mark.parametrize("formula", ["+".join(["x"] * 3000), "-" * 3000 + "x",
                                     "exp(" * 3000 + "x" + ")" * 3000, "x" + "**x" * 400])
def test_a_formula_too_long_to_explain_is_a_sentence_not_a_recursion_error(formula):
    with pytest.raises(ValueError, match=r"^explain: the expression '.{6}\.\.\.' is too long: "
                                         r"it has more than 300 operations"):
        dc.lab.explain(formula, x=1.0)


def test_the_longest_formula_allowed_is_explained():
    formula = "+".join(["x"] * (expression.MAX_OPERATIONS + 1))
    assert dc.lab.explain(formula, x=1.0).gradients["x"] == expression.MAX_OPERATIONS + 1


@pytest.mark.parametrize(("argv", "says"), [
    (["x*2", "x=[1,[2]]"], "descend: error: explain: x must be a number or a list of numbers "
                           "with every row the same length, got [1, [2]]"),
    (["x", "x=1"], "descend: error: explain: 'x' is just the variable x"),
    (["(x)", "x=1"], "descend: error: explain: '(x)' is just the variable x"),
    (["+".join(["x"] * 3000), "x=1"], "descend: error: explain: the expression 'x+x+x+...' is "
                                      "too long"),
    (["x*2", "x=True"], "descend: error: explain: x must be a number or a list of numbers, got "
                        "True"),
    (["x*2", 'x="abc"'], "descend: error: explain: x must be a number or a list of numbers, got "
                         "'abc'"),
])
def test_the_command_prints_one_sentence_naming_the_input(argv, says, capsys):
    assert main(["explain", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1, err
    assert "inhomogeneous" not in err and "Recursion" not in err and "requires_grad" not in err


@pytest.mark.parametrize("value", ["abc", "[" * 5000 + "]" * 5000])
def test_a_value_that_is_not_a_literal_is_refused_by_the_argument_parser(value, capsys):
    with pytest.raises(SystemExit):
        main(["explain", "x*2", f"x={value}"])
    err = capsys.readouterr().err
    assert "argument NAME=VALUE: x: expected a number or a list of numbers, got" in err
    assert len(err.splitlines()[-1]) < 200


def test_graph_into_a_missing_folder_says_so_and_creates_nothing(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "g.dot"
    assert main(["explain", "x*y", "x=1", "y=2", "--graph", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == (f"descend: error: explain --graph: cannot write g.dot: the folder "
                   f"{target.parent} does not exist (descend does not create folders; make it "
                   "first)\n")
    assert list(tmp_path.iterdir()) == []


def test_the_formula_is_parsed_never_evaluated():
    with pytest.raises(ValueError, match=r"cannot call .__import__"):
        dc.lab.explain("__import__('os').system('echo hacked')", x=1.0)
    with pytest.raises(ValueError, match="is not allowed in an expression"):
        dc.lab.explain("x.__class__", x=1.0)
    source = Path(expression.__file__).read_text()
    calls = {node.func.id for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"eval", "exec", "compile", "__import__"}
    np.testing.assert_equal(dc.lab.explain("x**2", x=3.0).gradients["x"], 6.0)
