"""Draw the computational graph: each op with its forward value, each edge with its gradient.

``draw_graph`` writes Graphviz DOT text and, when Graphviz's ``dot`` program is installed,
renders it to SVG or PNG. Leaves (the parameters) are blue boxes showing value and gradient,
constants grey, ops yellow ovals showing ``t1 = v * x`` and the value; every edge carries the
gradient that backward sent along it, from the op back to its input.

>>> import descend as dc
>>> v = dc.tensor(0.0, requires_grad=True, name="v")
>>> loss = (v * 2.0 - 5.0) ** 2
>>> dot = dc.viz.draw_graph(loss)           # before backward(): draw_graph runs its own
>>> "grad -20" in dot and "L = t2 ** 2" in dot
True
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

from descend.autograd.trace import Node, Trace, format_value, trace_backward
from descend.paths import output_file
from descend.tensors import Tensor
from descend.viz._figure import PathLike

INSTALL_DOT = (
    "install Graphviz, which provides it (Debian/Ubuntu: sudo apt-get install graphviz; "
    "macOS: brew install graphviz; conda: conda install graphviz; Windows: winget install "
    "graphviz)"
)

_STYLE = {
    "leaf": 'shape=box, style="rounded,filled", fillcolor="#dbeafe", color="#1d4ed8"',
    "constant": 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", color="#9ca3af"',
    "op": 'shape=ellipse, style=filled, fillcolor="#fef3c7", color="#b45309"',
}


class DotGraph(str):
    """The DOT text of a graph (a ``str``); shows itself as SVG in notebooks when ``dot`` exists.

    Attributes:
        path: the file written, or ``None``.

    >>> text = DotGraph("digraph g { a -> b }")
    >>> text.startswith("digraph"), text.path
    (True, None)
    """

    path: Path | None = None

    def _repr_svg_(self) -> str | None:
        if shutil.which("dot") is None:
            return None
        return _run_dot(str(self), "svg").decode("utf-8")


def draw_graph(loss: Tensor | Trace, path: PathLike | None = None) -> DotGraph:
    """Draw the graph below ``loss`` with forward values on nodes and gradients on edges.

    Pass either the loss itself — before ``loss.backward()``, or after it while the graph is
    small enough to be kept (hundreds of ops, small arrays, as a learner draws; any graph after
    ``loss.backward(retain_graph=True)``) — ``draw_graph`` then runs its own backward pass and
    leaves ``.grad`` alone — or, to draw the backward you already ran, the trace recorded around
    it::

        with dc.viz.trace() as graph:
            loss.backward()
        dc.viz.draw_graph(graph, "graph.svg")

    Args:
        loss: a one-element tensor with a live graph, or a :class:`~descend.autograd.trace.Trace`.
        path: where to save: ``.svg``, ``.png`` or ``.pdf`` (rendered by Graphviz's ``dot``),
            or ``.dot`` for the text. Without ``dot`` installed a warning says how to install it
            and only the text is returned.

    Returns:
        The DOT text (a ``str`` subclass with ``.path``, the file written or ``None``).

    >>> import descend as dc
    >>> x = dc.tensor(2.0, requires_grad=True, name="x")
    >>> print(dc.viz.draw_graph(x * x).splitlines()[0])
    digraph backward {
    """
    graph = loss if isinstance(loss, Trace) else trace_backward(loss)
    result = DotGraph(to_dot(graph))
    if path is None:
        return result
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in {"dot", "gv", "svg", "png", "pdf"}:
        raise ValueError(
            f"draw_graph: cannot tell the format from {str(path)!r}; end the file name with "
            ".svg, .png, .pdf or .dot"
        )
    output_file(path, "draw_graph", example="graph.svg")
    if fmt in {"dot", "gv"}:
        path.write_text(result, encoding="utf-8")
    elif shutil.which("dot") is None:
        warnings.warn(
            f"draw_graph: Graphviz's `dot` program was not found, so {str(path)!r} was not "
            f"written; {INSTALL_DOT}. The DOT text is returned; save it with a .dot suffix or "
            "paste it into any Graphviz viewer.",
            RuntimeWarning,
            stacklevel=2,
        )
        return result
    else:
        path.write_bytes(_run_dot(result, fmt))
    result.path = path
    return result


def to_dot(graph: Trace) -> str:
    """The DOT text for a trace (left to right: inputs first, the loss last).

    >>> import descend as dc
    >>> x = dc.tensor(3.0, requires_grad=True, name="x")
    >>> "grad 6" in to_dot(dc.viz.trace_backward(x * x))
    True
    """
    lines = [
        "digraph backward {",
        '  rankdir=LR; bgcolor="white"; nodesep=0.35; ranksep=0.5;',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.7];',
    ]
    number = {key: i for i, key in enumerate(graph.nodes)}
    for key, node in graph.nodes.items():
        extra = ", peripheries=2" if key == graph.root else ""
        lines.append(f'  n{number[key]} [{_STYLE[node.kind]}{extra}, '
                     f'label="{_escape(_label(node))}"];')
    for edge in graph.edges:
        if edge.grad is None:
            style = 'style=dashed, color="#9ca3af"'
        else:
            text = _escape(f"grad {format_value(edge.grad)}")
            style = f'color="#b91c1c", fontcolor="#b91c1c", label="{text}"'
        lines.append(f"  n{number[edge.source]} -> n{number[edge.target]} [{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(node: Node) -> str:
    value = format_value(node.value)
    if node.kind == "op":
        return f"{node.label} = {node.formula}\n= {value}"
    if node.kind == "constant":
        return value if node.label == value else f"{node.label} = {value}"
    grad = "" if node.grad is None else f"\ngrad {format_value(node.grad)}"
    return f"{node.label} = {value}{grad}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _run_dot(source: str, fmt: str) -> bytes:
    done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"),
                          capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"draw_graph: dot failed: {done.stderr.decode(errors='replace')}")
    return done.stdout
