"""BatchNorm and LayerNorm against torch: outputs, gradients, running statistics, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import nn
from opcheck import check_op

pytestmark = pytest.mark.usefixtures("op_device")  # check_op on each device


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)], ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batchnorm_tracks_torch_over_several_steps(shape, dtype):
    tol = {"float64": 1e-10, "float32": 1e-5}[dtype]
    rng = np.random.default_rng(0)
    ours = nn.BatchNorm(momentum=0.2, eps=1e-3).astype(dtype)
    theirs = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(
        shape[1], momentum=0.2, eps=1e-3, dtype=getattr(torch, dtype))
    for _step in range(3):
        data = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
        upstream = rng.standard_normal(shape).astype(dtype)
        x = dc.tensor(data, dtype=dtype, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        y, ty = ours(x), theirs(tx)
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=tol, rtol=tol)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=tol, rtol=tol)
        for mine, torch_value in [(ours.gamma.grad, theirs.weight.grad),
                                  (ours.beta.grad, theirs.bias.grad),
                                  (ours.running_mean, theirs.running_mean),
                                  (ours.running_var, theirs.running_var)]:
            np.testing.assert_allclose(mine.numpy(), torch_value.numpy(), atol=tol, rtol=tol)
        ours.zero_grad()
        theirs.zero_grad()
    ours.eval(), theirs.eval()
    data = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(ours(dc.tensor(data, dtype=dtype)).numpy(),
                               theirs(torch.tensor(data)).detach().numpy(), atol=tol, rtol=tol)


def test_batchnorm_gradcheck_in_training_and_eval_mode():
    layer = nn.BatchNorm(input_shape=(3, 4, 4)).astype("float64")
    dc.gradcheck(lambda x: layer(x) ** 2, [np.random.default_rng(1).standard_normal(
        (2, 3, 4, 4))])
    layer.eval()
    dc.gradcheck(lambda x: layer(x) ** 2, [np.random.default_rng(2).standard_normal((2, 3))
                                           .reshape(2, 3, 1, 1)])


def test_batchnorm_state_and_errors():
    bn = nn.BatchNorm()
    assert not bn.built and bn.state_dict() == {}
    bn(dc.randn(4, 6))
    assert [name for name, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    with pytest.raises(ValueError, match=r"BatchNorm: expected \(None, 6\) features, \(None, "
                                         r"6, length\) or \(None, 6, height, width\) images, got "
                                         r"shape \(4, 5\)"):
        bn(dc.randn(4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm: training needs more than one value per "
                                         r"channel .* got input of shape \(1, 6\)"):
        bn(dc.randn(1, 6))
    assert bn.eval()(dc.randn(1, 6)).shape == (1, 6)
    with pytest.raises(ValueError, match=r"BatchNorm: momentum must be a number in \[0, 1\], "
                                         r"got 1.5"):
        nn.BatchNorm(momentum=1.5)
    with pytest.raises(ValueError, match=r"BatchNorm: eps must be a positive number, got 0"):
        nn.BatchNorm(eps=0)


@pytest.mark.parametrize("normalized_shape", [(5,), (4, 5)], ids=str)
def test_layernorm_matches_torch(normalized_shape):
    def ours(x, gamma, beta):
        layer = nn.LayerNorm(normalized_shape, eps=1e-3)
        layer.gamma, layer.beta = gamma, beta
        return layer(x)

    check_op(ours, lambda x, g, b: F.layer_norm(x, normalized_shape, g, b, eps=1e-3),
             [(3, 4, 5), normalized_shape, normalized_shape], name="LayerNorm")


def test_layernorm_over_chosen_axes_builds_lazily():
    layer = nn.LayerNorm(axis=(1, 2))
    assert not layer.built
    x = dc.randn(2, 3, 4, 5, dtype="float64")
    y = layer(x).numpy()
    assert layer.gamma.shape == (3, 4)
    mean = y.mean(axis=(1, 2))
    np.testing.assert_allclose(mean, np.zeros_like(mean), atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1 - 1e-5 / (x.numpy().var(axis=(1, 2))
                                                                + 1e-5), rtol=1e-6)
    with pytest.raises(ValueError, match=r"LayerNorm: expected sizes \(3, 4\) on the "
                                         r"normalised axes \(1, 2\), got shape \(2, 3, 5, 5\)"):
        layer(dc.randn(2, 3, 5, 5))
    with pytest.raises(ValueError, match=r"LayerNorm: expected an input with axes \(1, 2\) to "
                                         r"normalise over, got shape \(2,\)"):
        nn.LayerNorm(axis=(1, 2))(dc.randn(2))
