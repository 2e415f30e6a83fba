"""Saving and loading optimizer state: 50 steps, save, a new optimizer loads it, 50 more steps
equal 100 uninterrupted steps, also through JSON + safetensors (no pickle)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend as dc
from descend import optim

CONFIGS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adadelta", {"weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("Lion", {"lr": 0.001, "weight_decay": 0.1}),
]


def through_json_and_safetensors(state: dict) -> dict:
    """Store the arrays with safetensors and everything else as JSON, then read both back."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    arrays: dict[str, np.ndarray] = {}

    def strip(obj, path):
        if isinstance(obj, np.ndarray):
            arrays[path] = obj
            return {"__array__": path}
        if isinstance(obj, dict):
            return {str(k): strip(v, f"{path}/{k}") for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [strip(v, f"{path}/{i}") for i, v in enumerate(obj)]
        return obj

    text = json.dumps(strip(state, "root"))
    loaded = safetensors_numpy.load(safetensors_numpy.save(arrays))

    def restore(obj):
        if isinstance(obj, dict):
            if set(obj) == {"__array__"}:
                return loaded[obj["__array__"]]
            return {k: restore(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [restore(v) for v in obj]
        return obj

    return restore(json.loads(text))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_resume_from_state_dict_continues_the_same_trajectory(name, kwargs, dtype, problems):
    problem = problems["mlp"]
    cls = getattr(optim, name)

    def make(ps):
        return cls([{"params": ps[:2], "lr": kwargs.get("lr", 1.0) / 2}, {"params": ps[2:]}],
                   **kwargs)

    straight = problem.descend_run(make, 100, dtype=dtype)[-1]

    params, kept = problem.descend_params(dtype), []
    problem.descend_run(lambda ps: kept.append(make(ps)) or kept[0], 50, params=params)
    state = through_json_and_safetensors(kept[0].state_dict())

    def make_loaded(ps):
        optimizer = make(ps)  # a new optimizer, as after a restart
        optimizer.load_state_dict(state)
        return optimizer

    resumed = problem.descend_run(make_loaded, 50, params=params)[-1]
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: resuming changed the trajectory")


def test_state_dict_has_positions_torch_names_and_copies():
    w = dc.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
                                      "weight_decay": 0.0, "amsgrad": False, "maximize": False,
                                      "decoupled_weight_decay": False, "params": [0]}]
    assert state["state"][0]["step"] == 1
    saved = state["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], saved)


def test_loading_restores_hyperparameters_and_tuples():
    w = dc.ones(3, requires_grad=True)
    source = optim.Adam([w], lr=0.1, betas=(0.5, 0.6))
    state = json.loads(json.dumps(source.state_dict()))
    target = optim.Adam([dc.ones(3, requires_grad=True)])
    target.load_state_dict(state)
    assert target.param_groups[0]["lr"] == 0.1
    assert target.param_groups[0]["betas"] == (0.5, 0.6)


def test_loaded_arrays_take_the_parameter_dtype_and_are_copies():
    w = dc.ones(2, requires_grad=True)
    state = {"state": {"0": {"step": 3, "momentum_buffer": np.array([1.0, 2.0])}},
             "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                               "weight_decay": 0.0, "nesterov": False, "maximize": False,
                               "params": [0]}]}
    opt = optim.SGD([w])
    opt.load_state_dict(state)
    buffer = opt.state[0]["momentum_buffer"]
    assert buffer.dtype == np.float32 and opt.state[0]["step"] == 3
    assert buffer is not state["state"]["0"]["momentum_buffer"]


def test_load_errors_say_what_does_not_match():
    a, b = dc.ones(2, requires_grad=True), dc.ones(3, requires_grad=True)
    one_group = optim.SGD([a, b], momentum=0.9)
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: the saved state has 1 "
                                         r"parameter group\(s\), this optimizer has 2"):
        two_groups.load_state_dict(one_group.state_dict())
    with pytest.raises(ValueError, match=r"group 0 was saved with 2 parameter\(s\), this "
                                         r"optimizer's has 1"):
        optim.SGD([a]).load_state_dict(one_group.state_dict())
    with pytest.raises(ValueError, match=r"expected a dict with 'state' and 'param_groups'"):
        optim.SGD([a]).load_state_dict({"weights": []})
    a.grad, b.grad = dc.ones(2), dc.ones(3)
    one_group.step()
    swapped = optim.SGD([b, a], momentum=0.9)
    with pytest.raises(ValueError, match=r"state 'momentum_buffer' has shape \(2,\) but its "
                                         r"parameter has shape \(3,\)"):
        swapped.load_state_dict(one_group.state_dict())


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_a_0_d_parameter_resumes_through_its_state_dict(name, kwargs):
    def steps(optimizer, w, count):
        for _ in range(count):
            optimizer.zero_grad()
            ((w - 3.0) ** 2).backward()
            optimizer.step()

    cls = getattr(optim, name)
    straight = dc.tensor(np.float64(0.5), requires_grad=True)
    steps(cls([straight], **kwargs), straight, 6)
    w = dc.tensor(np.float64(0.5), requires_grad=True)
    first = cls([w], **kwargs)
    steps(first, w, 3)
    state = through_json_and_safetensors(first.state_dict())
    again = cls([w], **kwargs)
    again.load_state_dict(state)
    steps(again, w, 3)
    assert w.shape == () and w.data.tobytes() == straight.data.tobytes()
