"""descend's packages form layers that only look down, and no modules import each other.

Every module of ``src/descend`` is parsed (not imported) with ``ast``; the graph holds its
module-level imports: those that run when it is imported, including inside ``try``/``if`` at
module level, but not inside ``if TYPE_CHECKING:`` (type hints only) and not inside functions
(the sanctioned way to load something heavy or optional, or something above, on first use).
``import descend.a.b`` counts as an edge to ``descend.a.b`` only: the parent packages Python
imports on the way are not edges (every module would otherwise reach ``descend/__init__``).

The layers, lowest first (a module may import its own layer and those below):

0. ``backend``, ``names``, ``config``, ``paths``, ``tracing`` (the compiled step's one hook);
   ``data`` and ``io`` (their module-level imports are only these: data sets and model files
   sit at the bottom)
1. ``tensors``, ``creation``
2. ``autograd``
3. ``ops`` (``ops.methods`` binds the operators to Tensor)
4. ``nn``, ``losses``, ``metrics``
5. ``optim``
6. ``compiler`` (the compiled step, ``dc.jit``; DESIGN's ``jit/``, renamed so that the
   function ``dc.jit`` does not hide its package)
7. ``train``, ``callbacks``
8. ``models``, ``distributed``
9. ``lab``
10. ``viz``
11. ``demo``, ``cli``, ``serve``, ``bench``
12. ``descend`` itself (``__init__``: the public names, re-exported)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

LAYERS: list[tuple[str, ...]] = [
    ("backend", "names", "config", "paths", "tracing", "data", "io"),
    ("tensors", "creation"),
    ("autograd",),
    ("ops",),
    ("nn", "losses", "metrics"),
    ("optim",),
    ("compiler",),
    ("train", "callbacks"),
    ("models", "distributed"),
    ("lab",),
    ("viz",),
    ("demo", "cli", "serve", "bench"),
]
"""The packages (and top-level modules) of ``descend``, one tuple per layer, lowest first."""

ALLOWED: dict[tuple[str, str], str] = {
    # Known edges that break the layers; the list must only shrink (it is empty: keep it so).
}
"""Upward or cyclic edges tolerated for now: (importer, imported) -> why, and who fixes it."""


def module_files() -> dict[str, Path]:
    """Every module of descend by dotted name (a package by its own name, for __init__)."""
    modules = {}
    for path in sorted((SOURCE / "descend").rglob("*.py")):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module runs (not in functions, not typing)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            found += _top_level_imports(node.orelse)
            if not _is_type_checking(node.test):
                found += _top_level_imports(node.body)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                found += _top_level_imports(block)
        elif isinstance(node, ast.With | ast.ClassDef):
            found += _top_level_imports(node.body)
    return found


def _imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
              modules: dict[str, Path]) -> set[str]:
    """The descend modules an import statement loads (a name from a module: that module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name.split(".")[0] == "descend"}
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = package[:len(package) - node.level + 1]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    if base.split(".")[0] != "descend":
        return set()
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    """``{module: the descend modules it imports at module level}``."""
    modules = module_files()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in _top_level_imports(tree.body)
                       for target in _imported(node, name, is_package, modules)} - {name}
    return graph


def layer_of(module: str) -> int:
    """The layer of a module: that of its first component after ``descend``."""
    if module == "descend":
        return len(LAYERS)
    top = module.split(".")[1]
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    raise AssertionError(f"{module} belongs to no layer: add {top!r} to LAYERS in "
                         f"{Path(__file__).name}, at the level its imports put it")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import from a module to one in a higher layer, as a sentence."""
    return [f"{importer} (layer {layer_of(importer)}) imports {target} (layer "
            f"{layer_of(target)})"
            for importer, targets in sorted(graph.items()) for target in sorted(targets)
            if layer_of(target) > layer_of(importer) and (importer, target) not in ALLOWED]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_one_cycle(graph, group) for group in groups]


def _one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                frontier.append(target)
    raise AssertionError(f"no cycle found in {group}")  # a strongly connected group has one


def without_allowed(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {node: {t for t in targets if (node, t) not in ALLOWED}
            for node, targets in graph.items()}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_no_package_imports_one_above_it(graph):
    upward = upward_imports(graph)
    assert not upward, "imports that go up the layers:\n" + "\n".join(upward)


def test_no_modules_import_each_other(graph):
    found = cycles(without_allowed(graph))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_allow_list_only_names_edges_that_still_exist(graph):
    stale = [f"{a} -> {b}" for a, b in ALLOWED if b not in graph.get(a, ())]
    assert not stale, ("these allowed edges are gone; delete them from ALLOWED:\n"
                       + "\n".join(stale))


def test_the_checks_find_what_they_look_for():
    graph = {"descend.nn.a": {"descend.train.b"}, "descend.train.b": {"descend.nn.a"},
             "descend.ops.c": {"descend.tensors"}}
    assert upward_imports(graph) == [
        "descend.nn.a (layer 4) imports descend.train.b (layer 7)"]
    assert cycles(graph) == [["descend.nn.a", "descend.train.b", "descend.nn.a"]]
    with pytest.raises(AssertionError, match=r"descend\.elsewhere\.d belongs to no layer"):
        layer_of("descend.elsewhere.d")


def test_type_checking_and_function_imports_are_not_edges(tmp_path):
    source = ("from typing import TYPE_CHECKING\nimport descend.backend\n"
              "if TYPE_CHECKING:\n    from descend.train import trainer\n"
              "try:\n    from descend import names\nexcept ImportError:\n    pass\n"
              "def later():\n    from descend import viz\n")
    modules = {"descend.backend": tmp_path, "descend.names": tmp_path}
    found = {target for node in _top_level_imports(ast.parse(source).body)
             for target in _imported(node, "descend.config", False, modules)}
    assert found == {"descend.backend", "descend.names"}
