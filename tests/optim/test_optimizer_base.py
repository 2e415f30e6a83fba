"""The Optimizer wrapper: construction (torch and Keras style), step, zero_grad, lr, repr."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim


def _param(values=(1.0, 2.0), dtype="float32"):
    return dc.tensor(list(values), dtype=dtype, requires_grad=True)


def _set_grad(param, values):
    param.grad = dc.tensor(list(values), dtype=param.dtype)


def test_torch_style_with_a_list_of_tensors():
    a, b = _param(), _param((3.0,))
    opt = optim.SGD([a, b], lr=0.5)
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"][0] is a and opt.param_groups[0]["params"][1] is b
    assert opt.param_groups[0]["lr"] == 0.5


def test_params_can_be_a_generator():
    a, b = _param(), _param()
    opt = optim.Adam(p for p in [a, b])
    assert len(opt.param_groups[0]["params"]) == 2


def test_keras_style_binds_later_and_keeps_hyperparameters():
    opt = optim.Adam(lr=0.01, betas=(0.8, 0.9))
    assert opt.param_groups == []
    w = _param()
    assert opt.bind([w]) is opt
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["betas"] == (0.8, 0.9)
    _set_grad(w, [1.0, -1.0])
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.99, 2.01], rtol=1e-6)


def test_step_before_binding_says_how_to_bind():
    with pytest.raises(RuntimeError, match=r"Adam.step: no parameters to update yet.*bind"):
        optim.Adam().step()


def test_binding_twice_points_to_add_param_group():
    opt = optim.SGD([_param()])
    with pytest.raises(RuntimeError, match=r"already has parameters; add more with "
                                           r"add_param_group"):
        opt.bind([_param()])


def test_step_updates_in_place_without_a_graph():
    w = _param()
    array = w.data
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.data is array, "step must write into the parameter's own array"
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w.dtype == np.float32


def test_parameters_without_grad_are_skipped():
    a, b = _param(), _param()
    opt = optim.Adam([a, b], lr=0.1)
    _set_grad(a, [1.0, 1.0])
    opt.step()
    np.testing.assert_array_equal(b.numpy(), [1.0, 2.0])
    assert list(opt.state) == [0], "state is made only for parameters that got a gradient"
    assert not np.array_equal(a.numpy(), [1.0, 2.0])


def test_grad_of_the_wrong_shape_is_reported():
    w = _param()
    w.grad = dc.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"SGD.step: parameter 0 has shape \(2,\) but its "
                                         r"grad has shape \(3,\)"):
        optim.SGD([w]).step()


def test_closure_is_called_and_its_loss_returned():
    w = _param()
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)


def test_zero_grad_sets_none_by_default():
    w = _param()
    (w * w).sum().backward()
    opt = optim.SGD([w])
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_without_none_zeros_the_same_array():
    w = _param()
    (w * w).sum().backward()
    grad_array = w.grad.data
    optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad.data is grad_array
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_lr_reads_and_sets_every_group():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.05
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.05]
    assert opt.defaults["lr"] == 0.05


def test_lr_per_group_and_reading_differing_rates_explains():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b]}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    opt.param_groups[1]["lr"] = 0.2
    _set_grad(a, [1.0, 1.0])
    _set_grad(b, [1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.9, 1.9], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [0.8, 1.8], rtol=1e-6)
    with pytest.raises(ValueError, match=r"different learning rates \[0.1, 0.2\]"):
        _ = opt.lr


def test_setting_a_negative_lr_is_refused():
    opt = optim.SGD([_param()])
    with pytest.raises(ValueError, match=r"SGD: lr must be a non-negative number"):
        opt.lr = -1.0


def test_lr_of_an_unbound_optimizer_is_its_default():
    assert optim.RMSprop().lr == 0.01


def test_repr_shows_hyperparameters_and_groups():
    a, b = _param(), dc.zeros((2, 3), requires_grad=True)
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b]}], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.splitlines() == [
        "SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, "
        "maximize=False) with",
        "  group 0: 1 tensor(s), 2 value(s); lr=0.5",
        "  group 1: 1 tensor(s), 6 value(s)",
    ]
    assert repr(optim.Lion()).endswith("with no parameters yet (bind them, or model.compile)")


def test_group_keeps_extra_name_and_defaults_fill_the_rest():
    w = _param()
    opt = optim.Adam([{"params": w, "name": "encoder", "lr": 0.1}])
    group = opt.param_groups[0]
    assert group["name"] == "encoder" and len(group["params"]) == 1 and group["params"][0] is w
    assert group["eps"] == 1e-8 and group["lr"] == 0.1


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_every_optimizer_state_uses_positions(name):
    a, b = _param(), _param((1.0, 1.0, 1.0))
    opt = optim.get(name, lr=0.01).bind([a, b])
    _set_grad(a, [0.5, -0.5])
    _set_grad(b, [0.1, 0.2, 0.3])
    opt.step()
    opt.step()
    assert sorted(opt.state) == [0, 1]
    assert opt.state[0]["step"] == 2 and opt.state[1]["step"] == 2
    for entries, param in ((opt.state[0], a), (opt.state[1], b)):
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                assert value.shape == param.shape and value.dtype == np.float32, key


def test_get_resolves_names_in_any_case_and_passes_hyperparameters():
    opt = optim.get("AdamW", lr=0.1)
    assert type(opt) is optim.AdamW and opt.lr == 0.1 and opt.defaults["weight_decay"] == 0.01
    assert type(optim.get("nadam")) is optim.NAdam is optim.Nadam
    same = optim.SGD()
    assert optim.get(same) is same


def test_get_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"optim.get: unknown optimizer 'adamm'\. Did you mean "
                                         r"'adam'.*\? Valid names: 'adadelta', 'adagrad', 'adam'"):
        optim.get("adamm")
    with pytest.raises(TypeError, match=r"optim.get: expected an optimizer name or an "
                                        r"Optimizer, got int"):
        optim.get(3)
    with pytest.raises(ValueError, match=r"hyperparameters can be given only with a name"):
        optim.get(optim.SGD(), lr=0.1)
