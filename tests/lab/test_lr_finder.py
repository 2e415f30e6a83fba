"""The learning-rate finder: exponential sweep, divergence stop, steepest-descent suggestion,
on parameters and on a compiled model (Boston Housing), whose weights it restores exactly."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim
from descend.lab import lr_find, lr_find_params, lr_range_test


def test_learning_rates_grow_exponentially_and_the_loss_is_recorded():
    seen = []
    result = lr_range_test(lambda lr: seen.append(lr) or 1.0, start_lr=1e-4, end_lr=1.0, steps=5)
    np.testing.assert_allclose(result.lrs, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    np.testing.assert_allclose(seen, result.lrs)
    assert result.losses.tolist() == [1.0] * 5 and not result.diverged
    np.testing.assert_allclose(result.smoothed, 1.0)     # bias-corrected average of a constant


def test_quadratic_gradient_descent_suggests_a_stable_learning_rate():
    w = dc.tensor([5.0, -3.0], dtype="float64", requires_grad=True)
    result = lr_find_params([w], lambda: (w * w).sum(), optim.SGD, start_lr=1e-4,
                            end_lr=10.0, steps=80)
    assert result.diverged                      # lr > 1 makes w² blow up
    assert result.lrs[-1] < 10.0
    assert 0.01 < result.suggestion < 1.0        # GD on w² converges for lr < 1
    assert w.numpy().tolist() == [5.0, -3.0] and w.grad is None


def test_non_finite_losses_stop_the_sweep():
    result = lr_range_test(lambda lr: np.inf if lr > 0.1 else 1.0 / (1 + lr), start_lr=1e-3,
                     end_lr=1.0, steps=10)
    assert result.diverged and np.isinf(result.losses[-1]) and len(result.losses) < 10


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"need 0 < start_lr < end_lr, got 1 and 0.1"):
        lr_range_test(lambda lr: 1.0, start_lr=1, end_lr=0.1)
    with pytest.raises(ValueError, match="steps must be an integer of at least 5"):
        lr_range_test(lambda lr: 1.0, steps=2)
    with pytest.raises(ValueError, match="beta must be in"):
        lr_range_test(lambda lr: 1.0, beta=1.0)
    with pytest.raises(ValueError, match="diverge must be greater than 1"):
        lr_range_test(lambda lr: 1.0, diverge=0.5)
    with pytest.raises(ValueError, match=r"lr_find_params: need 0 < start_lr"):
        lr_find_params([dc.zeros(1, requires_grad=True)], lambda: None, optim.SGD, start_lr=0)


@pytest.fixture(scope="module")
def boston():
    (x, y), _ = dc.datasets.load_boston_housing()
    return dc.data.Standardizer().fit_transform(x), y


def _net(optimizer, seed=0):
    dc.seed(seed)
    model = dc.Sequential([dc.nn.Dense(32, activation="relu"), dc.nn.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _adam_after_two_epochs(x, y):
    model = _net(dc.optim.Adam(lr=0.01))         # built and trained right after dc.seed(0)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=0)
    return model


def test_model_finder_restores_weights_and_optimizer_state_exactly(boston):
    x, y = boston
    model, twin = _adam_after_two_epochs(x, y), _adam_after_two_epochs(x, y)
    weights, state = model.state_dict(), model.optimizer.state_dict()
    assert all(np.array_equal(weights[k], v) for k, v in twin.state_dict().items())
    result = lr_find(model, x, y, steps=150, seed=3)
    assert len(result.lrs) > 50 and result.losses.max() > result.losses.min()  # it trained
    after, state_after = model.state_dict(), model.optimizer.state_dict()
    assert all(np.array_equal(weights[k], after[k]) for k in weights)
    assert state_after["param_groups"] == state["param_groups"]          # lr 0.01 again
    for position, entries in state["state"].items():
        assert entries["step"] == state_after["state"][position]["step"]
        np.testing.assert_array_equal(entries["exp_avg"], state_after["state"][position]["exp_avg"])
    assert all(p.grad is None for p in model.parameters())
    # so training on is exactly what it would have been without the finder
    first = model.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=1).history
    second = twin.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=1).history
    assert first == second


def test_model_finder_trains_in_training_mode_and_puts_back_buffers_and_mode(boston):
    x, y = boston
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(16, input_dim=12), dc.nn.BatchNorm(),
                           dc.nn.Activation("relu"), dc.nn.Dropout(0.3), dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.SGD(lr=0.01, momentum=0.9), loss="mse")
    model.fit(x, y, epochs=1, verbose=0, seed=0)
    model.eval()
    saved = model.state_dict()
    modes = []
    batch_norm = model.layers[1]
    original = batch_norm.forward
    batch_norm.forward = lambda t: modes.append(batch_norm.training) or original(t)
    result = lr_find(model, x, y, steps=30, seed=0)
    assert modes == [True] * len(result.lrs)                      # trained as fit trains
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in saved.items())
    assert not any(m.training for m in model.modules())           # back in eval mode


def test_model_finder_suggests_a_learning_rate_that_trains_well(boston):
    x, y = boston
    model = _net("sgd")
    result = lr_find(model, x, y, start_lr=1e-7, end_lr=10.0, steps=200, batch_size=32, seed=0)
    assert result.diverged and len(result.lrs) < 200                      # stopped at the blow-up
    assert result.smoothed[-1] > 4 * result.smoothed.min()
    assert 1e-5 < result.suggestion < result.lrs[-1] / 3
    start = model.get_weights()
    final = {}
    for factor in (0.1, 1.0):
        model.set_weights(start)
        model.compile(optimizer=dc.optim.SGD(lr=factor * result.suggestion), loss="mse")
        final[factor] = model.fit(x, y, epochs=20, batch_size=32, verbose=0,
                                  seed=0).history["loss"][-1]
    assert np.isfinite(final[1.0]) and final[1.0] < 0.3 * y.var()          # well below the mean
    assert final[1.0] < final[0.1]                                       # and faster than lr/10


def test_model_finder_builds_a_lazy_model_and_checks_its_arguments(boston):
    x, y = boston
    model = _net("adam")
    assert not model.built
    result = lr_find(model, x, y, steps=20, batch_size=64, seed=0)
    assert model.built and len(result.lrs) == 20
    with pytest.raises(TypeError, match=r"model must be a compiled dc.Model .* got function"):
        lr_find(lambda lr: 1.0, x, y)
    with pytest.raises(RuntimeError, match=r"call model.compile\(optimizer=..., loss=...\) first"):
        lr_find(dc.Sequential([dc.nn.Dense(1)]), x, y)
    with pytest.raises(ValueError, match="lr_find: batch_size must be a positive integer"):
        lr_find(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match="lr_find: needs targets y"):
        lr_find(model, x, None)
    with pytest.raises(ValueError, match="lr_find: steps must be an integer of at least 5"):
        lr_find(model, x, y, steps=3)
