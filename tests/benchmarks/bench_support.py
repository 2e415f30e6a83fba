"""Helpers of the benchmark tests: import the scripts, compare their variants, fake reports.

``load("cnn_step")`` imports a script with ``benchmarks/`` on ``sys.path`` only while it and
the scripts it imports load (``benchmarks/`` is not a package); ``implementations(table)``
leaves out the torch variants when PyTorch is not installed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    """The benchmark script ``name`` as a module."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def implementations(table: dict) -> dict:
    """``table`` without the entries whose name starts with ``torch`` when torch is missing."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return {k: v for k, v in table.items() if not k.startswith("torch")}
    return table


def assert_same_training(models: dict, steps: int, *, baseline: str = "NumPy",
                         rtol: float = 1e-5, atol: float = 1e-6) -> dict[str, list[float]]:
    """Step every model ``steps`` times; their losses and updated weights must agree."""
    losses = {name: [float(model.step()) for _ in range(steps)]
              for name, model in models.items()}
    reference = [np.asarray(w) for w in models[baseline].weights()]
    for name, model in models.items():
        np.testing.assert_allclose(losses[name], losses[baseline], rtol=rtol, err_msg=name)
        weights = [np.asarray(w) for w in model.weights()]
        assert [w.shape for w in weights] == [r.shape for r in reference], name
        for i, (w, r) in enumerate(zip(weights, reference)):
            np.testing.assert_allclose(w, r, rtol=rtol, atol=atol,
                                       err_msg=f"{name}: parameter {i} after {steps} step(s)")
    return losses


def entry(median: float = 1e-3, ratio: float = 1.0, times: tuple = (1e-3,) * 4) -> dict:
    """A ``harness.compare``-shaped entry with the given median, ratio and times."""
    return {"median_s": median, "iqr_s": 0.0, "ratio": ratio, "ratio_lo": ratio - 0.05,
            "ratio_hi": ratio + 0.05, "inner": 1, "times": list(times)}


def fake_run(rows: dict[str, dict], others: float | None = 0.0) -> dict:
    """A run of a workload whose ``rows`` map a label to ``{variant: entry}``."""
    return {"rows": {label: {"results": results, "others": others}
                     for label, results in rows.items()},
            "threads": {"blas (openblas)": "1"}, "machine": {"cpu": "test cpu"}}
