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

    assert sys.modules["descend.tensor"].Tensor is dc.Tensor
    assert sys.modules["descend.backend"].seed is dc.seed
