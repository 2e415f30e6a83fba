"""The devices tests run on: the CPU, CuPy's stand-in over NumPy, and a real GPU when present.

``fake-cuda`` makes ``import cupy`` find :mod:`devices.fake_cupy`, so descend takes its CUDA
path on any machine; results there must equal the CPU's exactly (the same NumPy computes
them). ``cuda`` runs only with CuPy and a GPU, and compares with the CPU within tolerance.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pytest

import descend as dc
from devices import fake_cupy

NAMES = ("cpu", "fake-cuda", "cuda")


@dataclass(frozen=True)
class Target:
    """A device under test: its test name, what descend calls it, and whether results must
    equal the CPU's bit for bit."""

    name: str
    device: str
    exact: bool

    def check(self, tensor: dc.Tensor, what: str) -> None:
        """Fail unless ``tensor``'s values live on this device (no leak to the host)."""
        on_device = type(tensor.data) is np.ndarray if self.device == "cpu" else \
            type(tensor.data) is not np.ndarray and tensor.device == self.device
        if not on_device:
            raise AssertionError(f"{what} is a {type(tensor.data).__name__} on "
                                 f"{tensor.device}, expected an array on {self.name}")


def gpu_missing() -> str | None:
    """Why real CUDA tests cannot run here (``None`` when CuPy sees a GPU)."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'descend[gpu]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CuPy raises its own runtime errors without a driver
        return f"CuPy finds no GPU ({err})"
    return None if count else "CuPy finds no GPU"


def target(name: str, monkeypatch: pytest.MonkeyPatch) -> Target:
    """Set up device ``name`` for one test (skipping ``cuda`` without a GPU)."""
    if name == "fake-cuda":
        monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
        return Target(name, "cuda:0", exact=True)
    if name == "cuda":
        reason = gpu_missing()
        if reason:
            pytest.skip(f"no real GPU: {reason}")
        return Target(name, "cuda:0", exact=False)
    return Target(name, "cpu", exact=True)
