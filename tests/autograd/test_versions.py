"""In-place safety, as torch: a tensor that backward reads and that changed in place since an op
saved it makes backward raise, naming the op and the tensor, instead of a wrong gradient."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

import descend as dc


def test_every_in_place_change_bumps_the_version():
    x = dc.tensor([1.0, 2.0, 3.0])
    assert x.version == 0
    x += 1
    x -= 1
    x *= 2
    x /= 2
    x[0] = 7.0
    assert x.version == 5 and x.tolist() == [7.0, 2.0, 3.0]


def test_an_optimizer_step_bumps_the_version_of_the_parameters_it_updates():
    w, idle = dc.ones(2, requires_grad=True), dc.ones(2, requires_grad=True)
    (w * w).sum().backward()
    dc.optim.SGD([w, idle], lr=0.1).step()
    assert (w.version, idle.version) == (1, 0)  # idle has no gradient: not updated


def test_a_weight_changed_under_no_grad_before_backward_is_named():
    w = dc.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * dc.tensor([3.0, 4.0])).sum()
    with dc.no_grad():
        w -= 1
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    message = str(info.value)
    assert "'mul'" in message and "'w'" in message and "shape (2,)" in message
    assert "its version is now 1" in message


def test_a_constant_the_graph_saved_and_changed_in_place_is_caught():
    a = dc.tensor([1.0, 2.0])
    w = dc.ones(2, requires_grad=True)
    loss = (w * a).sum()
    a += 10
    with pytest.raises(RuntimeError, match=r"a tensor of shape \(2,\), which 'mul' saved"):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    w = dc.tensor([1.0, 2.0], requires_grad=True, name="kernel")
    opt = dc.optim.SGD([w], lr=0.1)
    w.grad = dc.ones(2)
    loss = (w * w).sum()
    opt.step()
    with pytest.raises(RuntimeError, match=r"'kernel'.*'mul' saved.*version is now 1"):
        loss.backward()


def test_setting_items_of_a_saved_tensor_is_caught():
    x = dc.tensor([1.0, 2.0])
    w = dc.ones(2, requires_grad=True)
    loss = (w / x).sum()
    x[1] = 0.5
    with pytest.raises(RuntimeError, match="'div' saved"):
        loss.backward()


def test_an_op_s_saved_output_changed_in_place_is_caught():
    w = dc.tensor([0.0, 1.0], requires_grad=True)
    y = w.exp()
    loss = y.sum()  # sum does not read y's values
    with dc.no_grad():
        y *= 2
    with pytest.raises(RuntimeError, match="'exp' saved"):
        loss.backward()


@pytest.mark.parametrize("op", [
    lambda w, a: w + a, lambda w, a: w - a, lambda w, a: -a + w,
    lambda w, a: w + a.reshape(2, 1).T.reshape(2), lambda w, a: w + a.sum(),
], ids=["add", "sub", "neg", "reshape and transpose", "sum"])
def test_ops_whose_backward_does_not_read_an_input_do_not_raise_for_it(op):
    # torch does not either: these backwards need only shapes
    a = dc.tensor([1.0, 2.0], requires_grad=True)
    w = dc.tensor([3.0, 4.0], requires_grad=True)
    loss = op(w, a).sum()
    with dc.no_grad():
        a += 10
        w -= 1
    loss.backward()
    torch_a = torch.tensor([1.0, 2.0], requires_grad=True)
    torch_w = torch.tensor([3.0, 4.0], requires_grad=True)
    op(torch_w, torch_a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), torch_a.grad.numpy())
    np.testing.assert_array_equal(w.grad.numpy(), torch_w.grad.numpy())


def test_a_change_before_an_op_saved_the_tensor_is_harmless():
    a = dc.tensor([1.0, 2.0])
    w = dc.ones(2, requires_grad=True)
    a += 1
    (w * a).sum().backward()
    assert w.grad.tolist() == [2.0, 3.0]


def test_only_an_op_that_saved_the_tensor_before_its_change_raises():
    a, w = dc.tensor([1.0, 2.0]), dc.ones(2, requires_grad=True)
    early = (w * a).sum()
    a += 1
    late = (w * a).sum()
    late.backward()
    assert w.grad.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"'mul' saved.*version is now 1"):
        early.backward()


def test_a_change_after_backward_is_harmless():
    w = dc.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with dc.no_grad():
        w -= 1
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("reduce", ["std", "var"])
@pytest.mark.parametrize("axis", [None, 1])
def test_the_spread_of_equal_values_has_gradient_zero_as_in_torch(reduce, axis):
    values = np.full((2, 3), 1.5)
    ours = dc.tensor(values, dtype="float64", requires_grad=True)
    getattr(ours, reduce)(axis=axis).sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    torch_dim = None if axis is None else axis
    getattr(theirs, reduce)(dim=torch_dim, correction=0).sum().backward()
    assert not np.isnan(ours.grad.numpy()).any()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


VIEWS = {
    "reshape": (lambda t: t.reshape(6), lambda t: t.reshape(6)),
    "transpose": (lambda t: t.T, lambda t: t.T),
    "index": (lambda t: t[1], lambda t: t[1]),
    "slice of a reshape": (lambda t: t.reshape(3, 2)[1:], lambda t: t.reshape(3, 2)[1:]),
}


def _saved_then_changed(lib, make_view, change_view: bool):
    """Save ``x`` (or a view of it) in a product, then change the other one in place."""
    x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    view = make_view(x)
    saved = x if change_view else view
    w = lib.ones(saved.shape, requires_grad=True)
    loss = (w * saved).sum()
    with (torch.no_grad() if lib is torch else dc.no_grad()):
        changed = view if change_view else x
        changed += 1
    return loss


@pytest.mark.parametrize("change_view", [True, False], ids=["view changed", "base changed"])
@pytest.mark.parametrize("name", list(VIEWS))
def test_a_view_shares_its_base_s_version_as_in_torch(name, change_view):
    ours, theirs = VIEWS[name]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _saved_then_changed(torch, theirs, change_view).backward()
    with pytest.raises(RuntimeError, match="'mul' saved"):
        _saved_then_changed(dc, ours, change_view).backward()


def test_a_reshape_that_copies_keeps_a_version_of_its_own_as_in_torch():
    for lib in (torch, dc):  # the transpose is not contiguous: reshape copies it
        loss = _saved_then_changed(lib, lambda t: t.T.reshape(6), change_view=False)
        loss.backward()


def test_a_view_s_version_is_its_base_s():
    x = dc.zeros((2, 3))
    row, column = x[0], x.T[:, 1]
    row += 1
    assert (x.version, row.version, column.version) == (1, 1, 1)
    x[x > 0] = 2.0                  # a boolean index copies: the copy is not a view
    picked = x[x > 0]
    picked += 1
    assert (x.version, picked.version) == (2, 1)


def test_a_detached_tensor_does_not_keep_its_source_and_graph_alive():
    w = dc.ones(3, requires_grad=True)
    loss = (w * w).sum()
    logged = loss.detach()
    source = weakref.ref(loss)
    del loss
    gc.collect()
    assert source() is None and logged.item() == 3.0
