"""Tensors on devices: ``device=``, ``.to``, ``.numpy()``, mixing devices, one seed everywhere."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError

CREATORS = {
    "tensor": lambda **kw: dc.tensor([[1.0, 2.0]], **kw),
    "zeros": lambda **kw: dc.zeros(2, 3, **kw),
    "ones": lambda **kw: dc.ones((2,), **kw),
    "full": lambda **kw: dc.full((2,), 7.0, **kw),
    "arange": lambda **kw: dc.arange(0.0, 1.0, 0.25, **kw),
    "eye": lambda **kw: dc.eye(3, **kw),
    "rand": lambda **kw: dc.rand(4, **kw),
    "randn": lambda **kw: dc.randn(2, 2, **kw),
    "zeros_like": lambda **kw: dc.zeros_like(np.ones(3), **kw),
    "ones_like": lambda **kw: dc.ones_like(np.ones(3), **kw),
    "full_like": lambda **kw: dc.full_like(np.ones(3), 2.0, **kw),
    "rand_like": lambda **kw: dc.rand_like(np.ones(3), **kw),
    "randn_like": lambda **kw: dc.randn_like(np.ones(3), **kw),
}


@pytest.mark.parametrize("make", CREATORS.values(), ids=list(CREATORS))
def test_every_creation_function_takes_device_and_one_seed_draws_the_same(make, device):
    dc.seed(3)
    t = make(device=device.device, requires_grad=True)
    dc.seed(3)
    cpu = make()
    device.check(t, "the new tensor")
    assert t.requires_grad and t.dtype == cpu.dtype
    assert np.array_equal(t.numpy(), cpu.numpy())


def test_like_functions_follow_the_tensor_they_copy(device):
    t = dc.ones(2, device=device.device)
    for made in (dc.zeros_like(t), dc.ones_like(t), dc.rand_like(t), dc.full_like(t, 1.0)):
        device.check(made, "a *_like tensor")


def test_to_moves_and_numpy_copies_back(device):
    t = dc.tensor([1.0, 2.0])
    moved = t.to(device.device)
    device.check(moved, "t.to(device)")
    assert moved.to(device.device) is moved  # already there: the same tensor, as in torch
    host = moved.numpy()
    assert type(host) is np.ndarray and host.tolist() == [1.0, 2.0]
    assert str(moved.device) == device.device and moved.device == device.device
    back = moved.to("cpu")
    assert type(back.data) is np.ndarray and back.tolist() == [1.0, 2.0]
    assert moved.sum().item() == 3.0


def test_gradients_flow_back_through_to(device):
    x = dc.tensor([1.0, -2.0], requires_grad=True)
    y = x.to(device.device)
    (y * y).sum().backward()
    assert type(x.grad.data) is np.ndarray
    assert x.grad.tolist() == [2.0, -4.0]


def test_python_numbers_mix_with_tensors_on_any_device(device):
    t = dc.tensor([1.0, 2.0], device=device.device)
    for out in (t * 2, 2 * t, t + 1, 1 - t, t / 2, t ** 2, t > 1.5, dc.where(t > 1.5, t, 0.0)):
        device.check(out, "an op with a Python number")
    assert (t * 2 + 1).tolist() == [3.0, 5.0]


def test_mixing_devices_in_one_op_names_the_op_and_both_devices(device):
    if device.device == "cpu":
        pytest.skip("needs a second device")
    here, cpu = dc.ones((2, 2), device=device.device), dc.ones((2, 2))
    for op, run in [("add", lambda: here + cpu), ("matmul", lambda: cpu @ here),
                    ("concat", lambda: dc.concat([here, cpu])),
                    ("mul", lambda: here * np.ones((2, 2), np.float32))]:
        with pytest.raises(RuntimeError, match=rf"{op}: expected all inputs on one device, "
                                               rf"got (cuda:0 and cpu|cpu and cuda:0)"):
            run()
    with pytest.raises(RuntimeError, match="greater: expected all inputs on one device"):
        here > cpu  # noqa: B015 (the comparison is what is tested)


def test_a_tensor_on_a_gpu_is_not_converted_to_numpy_implicitly(device):
    if device.device == "cpu":
        pytest.skip("implicit conversion is fine on the CPU")
    with pytest.raises(TypeError, match=r"on cuda:0 to NumPy implicitly; use \.numpy\(\)"):
        np.asarray(dc.ones(2, device=device.device))


def test_repr_names_a_device_other_than_the_cpu(device):
    text = repr(dc.tensor([1.0], device=device.device))
    assert ("device=" in text) == (device.device != "cpu")


def test_the_compiled_step_refuses_a_device(device):
    if device.device == "cpu":
        pytest.skip("jit runs on the CPU")
    w = dc.ones((2, 1), requires_grad=True, device=device.device)
    step = dc.jit(lambda x: (x @ w).sum())
    with pytest.raises(TraceError, match=r"jit_compile on device cuda:0 is not supported yet; "
                                         r"the compiled step replays NumPy calls"):
        step(dc.ones((3, 2), device=device.device))


def test_functional_transforms_run_on_the_device(device):
    def f(t):
        return (t * t * t).sum()

    x = dc.tensor([1.0, -2.0], dtype="float64", device=device.device)
    for transform in (dc.grad(f), dc.hessian(f), dc.jacobian(lambda t: t * t)):
        out = transform(x)
        device.check(out, "a functional transform's result")
        expected = transform(x.to("cpu"))
        assert np.allclose(out.numpy(), expected.numpy(), rtol=0 if device.exact else 1e-12)


def test_in_place_updates_stay_on_the_device_and_refuse_another(device):
    t = dc.ones(2, device=device.device)
    t += dc.ones(2, device=device.device)
    t *= 3
    device.check(t, "a tensor updated in place")
    assert t.tolist() == [6.0, 6.0]
    if device.device != "cpu":
        with pytest.raises(RuntimeError, match=r"in-place '\+=': expected all inputs on one "
                                               r"device, got cuda:0 and cpu"):
            t += dc.ones(2)
