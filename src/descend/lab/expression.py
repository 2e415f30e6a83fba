"""Read a formula such as ``"(v*x - y)**2"`` safely and compute it with descend tensors.

The text is parsed with Python's ``ast`` and only a small whitelist is accepted: numbers,
variable names, ``+ - * / **``, unary minus and calls of a few descend functions
(:data:`FUNCTIONS`). Nothing is ever passed to ``eval``.

>>> import descend as dc
>>> from descend.lab.expression import evaluate, variables
>>> variables("(v*x - y)**2")
['v', 'x', 'y']
>>> evaluate("sigmoid(w*x + b)", {"w": 0.0, "x": 1.0, "b": 0.0}).item()
0.5
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend import ops
from descend.tensors import ArrayLike, Tensor

FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "exp": ops.exp, "log": ops.log, "sqrt": ops.sqrt, "abs": ops.abs,
    "sin": ops.sin, "cos": ops.cos, "tanh": ops.tanh, "sigmoid": ops.sigmoid,
    "relu": ops.relu, "softplus": ops.softplus, "gelu": ops.gelu, "elu": ops.elu,
    "leaky_relu": ops.leaky_relu, "maximum": ops.maximum, "minimum": ops.minimum,
    "sum": ops.sum, "mean": ops.mean,
}
"""The functions an expression may call, by name."""

_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}
MAX_OPERATIONS = 300
"""The most operations (``+ - * / **``, unary minus, function calls) an expression may hold:
explain writes out every step, and deeper trees would exhaust Python's recursion limit."""
_OPERATIONS = (ast.BinOp, ast.UnaryOp, ast.Call)
_ALLOWED = ("numbers, variable names, + - * / **, unary minus and the functions "
            + ", ".join(FUNCTIONS))


def parse(expression: str, *, where: str = "explain") -> ast.expr:
    """Parse ``expression`` and check that it uses only what is allowed; return its tree.

    At most :data:`MAX_OPERATIONS` operations; longer formulas are refused with a sentence,
    before they could exhaust Python's recursion limit.

    >>> parse("2 * x").__class__.__name__
    'BinOp'
    >>> parse("+".join(["x"] * 3000))
    Traceback (most recent call last):
    ...
    ValueError: explain: the expression 'x+x+x+...' is too long: it has more than 300 operations ...
    """
    if not isinstance(expression, str):
        raise TypeError(
            f"{where}: the expression must be a string, got {type(expression).__name__}")
    too_long = ValueError(
        f"{where}: the expression {_shorten(expression)!r} is too long: it has more than "
        f"{MAX_OPERATIONS} operations (or is nested too deeply); explain writes out every step, "
        "so give a shorter formula")
    if _count_operators(expression) > 4 * MAX_OPERATIONS:  # cheap: before parsing anything
        raise too_long
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except (RecursionError, MemoryError):
        raise too_long from None
    except SyntaxError as err:
        raise ValueError(
            f"{where}: could not read the expression {expression!r} ({err.msg} at column "
            f"{err.offset}); write it like \"(v*x - y)**2\""
        ) from None
    nodes = list(ast.walk(tree))
    for node in nodes:
        _check(node, expression, where)
    if sum(isinstance(node, _OPERATIONS) for node in nodes) > MAX_OPERATIONS:
        raise too_long
    return tree


def _shorten(expression: str) -> str:
    """A long expression cut to its first 6 characters and ``...``."""
    return expression if len(expression) <= 30 else expression[:6] + "..."


def _count_operators(expression: str) -> int:
    """How many operator and parenthesis characters ``expression`` holds (an upper bound
    on the work parsing it takes)."""
    return sum(expression.count(c) for c in "+-*/(,")


def _check(node: ast.AST, expression: str, where: str) -> None:
    allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Call, ast.Constant,
               ast.operator, ast.unaryop)
    if not isinstance(node, allowed) or (
        isinstance(node, ast.operator) and type(node) not in _BINARY
    ) or (isinstance(node, ast.unaryop) and not isinstance(node, ast.USub | ast.UAdd)):
        part = ast.get_source_segment(expression, node) if hasattr(node, "col_offset") else None
        raise ValueError(
            f"{where}: {part or type(node).__name__!r} is not allowed in an expression; "
            f"use {_ALLOWED}"
        )
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float)
    ):
        raise ValueError(f"{where}: only numbers may appear as constants, got {node.value!r}")
    if isinstance(node, ast.Call) and (
        not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
    ):
        name = ast.get_source_segment(expression, node.func)
        raise ValueError(
            f"{where}: cannot call {name!r}; only these functions are allowed, with positional "
            f"arguments: {', '.join(FUNCTIONS)}"
        )


def variables(expression: str, *, where: str = "explain") -> list[str]:
    """The variable names in ``expression``, in order of first appearance (functions excluded).

    >>> variables("sigmoid(w*x + b) - y")
    ['w', 'x', 'b', 'y']
    """
    tree = parse(expression, where=where)
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in functions]
    names.sort(key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id for n in names))


def evaluate(expression: str, values: Mapping[str, ArrayLike | Tensor], *,
             where: str = "explain") -> Tensor:
    """Compute ``expression`` with the given variable values (Tensors, or numbers/arrays).

    Args:
        expression: the formula, e.g. ``"(v*x - y)**2"``.
        values: a value for every variable the formula uses.

    >>> evaluate("x ** 2 + 1", {"x": 3.0}).item()
    10.0
    """
    tree = parse(expression, where=where)
    missing = [name for name in variables(expression, where=where) if name not in values]
    if missing:
        given = ", ".join(sorted(values)) or "none"
        raise ValueError(
            f"{where}: the expression uses {', '.join(missing)} but no value was given for it "
            f"(given: {given}); pass e.g. {missing[0]}=1.0"
        )
    return _compute(tree, values)


def _compute(node: ast.expr, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        value = values[node.id]
        return value if isinstance(value, Tensor) else Tensor(np.asarray(value, np.float64))
    if isinstance(node, ast.UnaryOp):
        operand = _compute(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_compute(node.left, values), _compute(node.right, values))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](*[_compute(arg, values) for arg in node.args])
