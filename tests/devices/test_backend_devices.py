"""Device names, the array module of an array, and the error when CuPy is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import descend as dc
from descend import backend
from devices import fake_cupy


@pytest.mark.parametrize("name, expected", [
    ("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cuda:3", "cuda:3"),
    (" CUDA:1 ", "cuda:1"), (backend.Device("cuda", 2), "cuda:2"),
])
def test_device_names_parse(name, expected):
    assert str(backend.device(name)) == expected
    assert backend.device(name) == expected


@pytest.mark.parametrize("name", ["gpu", "cuda:", "cuda:x", "cpu:0", "cuda:-1", "", "tpu"])
def test_bad_device_names_say_what_is_expected(name):
    with pytest.raises(ValueError, match=rf"device: expected 'cpu' or 'cuda\[:N\]', got '{name}'"):
        backend.device(name)


def test_a_device_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"device: expected 'cpu' or 'cuda\[:N\]', got int 0"):
        dc.tensor([1.0], device=0)


def test_asking_for_cuda_without_cupy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # what `import cupy` sees when not installed
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'descend\[gpu\]'"):
        dc.tensor([1.0], device="cuda")
    with pytest.raises(ModuleNotFoundError, match="CuPy"):
        dc.nn.Dense(2, input_dim=3).to("cuda")


def test_cpu_work_never_imports_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    x = dc.tensor([[1.0, 2.0]], requires_grad=True, device="cpu")
    (x @ dc.ones((2, 1))).sum().backward()
    assert x.to("cpu") is x and str(x.grad.device) == "cpu"


def test_array_module_and_device_of(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    host, there = np.ones(2), fake_cupy.asarray(np.ones(2))
    assert backend.array_module(host) is np and backend.array_module(1.0) is np
    assert backend.array_module(there) is fake_cupy
    assert backend.array_module(host, there) is fake_cupy
    assert str(backend.device_of(host)) == "cpu" and str(backend.device_of(there)) == "cuda:0"
    assert type(backend.to_host(there)) is np.ndarray
    assert backend.to_device(there, "cuda:0") is there


def test_the_stand_in_is_as_strict_as_cupy(monkeypatch):
    """What makes the fake-cuda tests meaningful: host arrays and NumPy functions fail on it."""
    there = fake_cupy.asarray(np.ones(3, np.float32))
    for leak in (lambda: np.asarray(there), lambda: there + np.ones(3),
                 lambda: np.where(there > 0, there, 0), lambda: fake_cupy.exp(np.ones(3))):
        with pytest.raises(TypeError):
            leak()
    assert type(np.exp(there)) is fake_cupy.ndarray and type(there.sum()) is fake_cupy.ndarray
