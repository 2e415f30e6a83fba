"""The package imports light, once, and without optional dependencies."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light_and_never_imports_torch_or_matplotlib():
    code = ("import sys, descend; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'tqdm', 'safetensors') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_modules_are_loaded_once_even_with_doctests_collected():
    import descend as dc

    assert sys.modules["descend.tensors"].Tensor is dc.Tensor
    assert sys.modules["descend.backend"].seed is dc.seed


def test_import_leaves_the_lab_pictures_and_demos_for_first_use():
    code = ("import sys, descend as dc; "
            "heavy = ('descend.lab', 'descend.viz', 'descend.demo', 'matplotlib', 'tqdm', "
            "'graphviz'); loaded = lambda: sorted(m for m in heavy if m in sys.modules); "
            "print(loaded()); dc.explain; dc.callbacks.TerminalChart; print(loaded())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split("\n")[:2]
    assert before == "[]"
    assert after == "['descend.lab', 'descend.viz']"


def test_the_compiled_step_loads_with_its_first_use():
    code = ("import sys, numpy as np, descend as dc; "
            "loaded = lambda: 'descend.compiler' in sys.modules; print(loaded()); "
            "model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); "
            "model.compile('sgd', 'mse'); model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0); "
            "print(loaded()); model.compile('sgd', 'mse', jit_compile=True); "
            "model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0); print(loaded()); "
            "from descend.compiler import jit; print(dc.jit is jit)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True", "True"]


def test_lazy_names_are_the_real_objects_and_unknown_names_still_fail():
    import pytest

    import descend as dc
    from descend.lab.explanation import explain
    from descend.viz.live import LivePlot

    assert dc.explain is explain and dc.lab.explain is explain
    assert dc.callbacks.LivePlot is LivePlot
    assert {"lab", "viz", "demo", "explain"} <= set(dir(dc))
    with pytest.raises(AttributeError, match="module 'descend' has no attribute 'nope'"):
        dc.nope
    with pytest.raises(AttributeError, match=r"use dc\.Sequential"):
        dc.nn.Sequential


SHADOWED = {
}
"""Modules hidden behind a same-named attribute of their package, to fix (only shrinks)."""


def shadowed_modules() -> list[str]:
    """Modules ``p.m`` for which ``getattr(p, "m")`` is something else (say, a function)."""
    import importlib
    import pkgutil

    import descend

    names = [info.name for info in pkgutil.walk_packages(descend.__path__, "descend.")]
    for name in names:
        importlib.import_module(name)
    return sorted(name for name in names if getattr(
        sys.modules[name.rpartition(".")[0]], name.rpartition(".")[2], None)
        is not sys.modules[name])


def test_no_module_is_shadowed_by_a_function_of_the_same_name():
    assert shadowed_modules() == sorted(SHADOWED)
