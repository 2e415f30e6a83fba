"""Hand-computed steps from the theory, Lion against its published update, and the pure rules.

The rule functions (``Optimizer.rule``) must work on bare NumPy arrays, keep float32 float32,
and never write into the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim


def _steps_on_parabola(opt_cls, steps, **kwargs):
    """Values of w after each step on (w - 3)² from w = 0, in float64."""
    w = dc.tensor([0.0], dtype="float64", requires_grad=True)
    opt = opt_cls([w], **kwargs)
    values = []
    for _ in range(steps):
        opt.zero_grad()
        ((w - 3) ** 2).sum().backward()
        opt.step()
        values.append(w.item())
    return values


def test_one_gradient_descent_step_on_a_parabola():
    # w1 = w0 - lr · 2 (w0 - 3) = 0 + 0.1 · 6
    assert _steps_on_parabola(optim.SGD, 1, lr=0.1) == pytest.approx([0.6], abs=1e-15)


def test_momentum_second_step_by_hand():
    # b1 = g1 = -6, w1 = 0.6; g2 = 2 (0.6 - 3) = -4.8, b2 = 0.9 · -6 - 4.8 = -10.2,
    # w2 = 0.6 + 0.1 · 10.2 = 1.62
    assert _steps_on_parabola(optim.SGD, 2, lr=0.1, momentum=0.9) == pytest.approx(
        [0.6, 1.62], abs=1e-14)


def test_nesterov_second_step_by_hand():
    # d1 = g1 + 0.9 b1 = -11.4, w1 = 1.14; g2 = -3.72, b2 = -5.4 - 3.72 = -9.12,
    # d2 = -3.72 + 0.9 · -9.12 = -11.928, w2 = 1.14 + 1.1928 = 2.3328
    assert _steps_on_parabola(optim.SGD, 2, lr=0.1, momentum=0.9, nesterov=True) == \
        pytest.approx([1.14, 2.3328], abs=1e-14)


def test_dampening_second_step_by_hand():
    # b2 = 0.9 · -6 + (1 - 0.5) · -4.8 = -7.8, w2 = 0.6 + 0.78 = 1.38
    assert _steps_on_parabola(optim.SGD, 2, lr=0.1, momentum=0.9, dampening=0.5) == \
        pytest.approx([0.6, 1.38], abs=1e-14)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.Adamax, optim.Lion])
def test_sign_like_first_step_moves_every_coordinate_by_lr(cls):
    w = dc.tensor([0.0, 0.0, 0.0], dtype="float64", requires_grad=True)
    w.grad = dc.tensor([100.0, -0.01, 3.0], dtype="float64")
    kwargs = {"weight_decay": 0.0} if cls is optim.AdamW else {}
    cls([w], lr=0.1, **kwargs).step()
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1, -0.1], rtol=1e-6)


def test_weight_decay_is_added_to_the_gradient():
    # g = 2 (w - 3) + 0.5 w at w = 0 is -6: the same first step; then it differs
    plain = _steps_on_parabola(optim.SGD, 2, lr=0.1)
    decayed = _steps_on_parabola(optim.SGD, 2, lr=0.1, weight_decay=0.5)
    assert decayed[0] == pytest.approx(plain[0])
    assert decayed[1] == pytest.approx(0.6 + 0.1 * (4.8 - 0.3), abs=1e-14)


def _lion_by_hand(problem, steps, lr, beta1, beta2, weight_decay, sign=1.0):
    """Algorithm 2 of Chen et al. 2023, written out with the gradients from descend."""
    params = problem.descend_params()
    thetas = [p.numpy().copy() for p in params]
    moments = [np.zeros_like(t) for t in thetas]
    snapshots = []
    for _ in range(steps):
        tensors = [dc.tensor(t, dtype="float64", requires_grad=True) for t in thetas]
        (problem.descend_loss(tensors) * sign).backward()
        for i, t in enumerate(tensors):
            g = -t.grad.numpy() if sign < 0 else t.grad.numpy()
            c = beta1 * moments[i] + (1 - beta1) * g
            thetas[i] = thetas[i] - lr * (np.sign(c) + weight_decay * thetas[i])
            moments[i] = beta2 * moments[i] + (1 - beta2) * g
        snapshots.append([t.copy() for t in thetas])
    return snapshots


@pytest.mark.parametrize("problem_name", ["mlp", "rosenbrock"])
@pytest.mark.parametrize("kwargs", [{}, {"weight_decay": 0.5}, {"betas": (0.5, 0.9)},
                                    {"maximize": True, "weight_decay": 0.1}])
def test_lion_matches_the_published_update(kwargs, problem_name, problems):
    problem = problems[problem_name]
    lr = 0.003
    beta1, beta2 = kwargs.get("betas", (0.9, 0.99))
    sign = -1.0 if kwargs.get("maximize") else 1.0
    ours = problem.descend_run(lambda ps: optim.Lion(ps, lr=lr, **kwargs), 100, sign=sign)
    theirs = _lion_by_hand(problem, 100, lr, beta1, beta2, kwargs.get("weight_decay", 0.0),
                           sign)
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        diff = max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))
        assert diff <= 1e-12, f"Lion {kwargs} differs from the paper by {diff} at step {step}"


ALL = sorted(optim.OPTIMIZERS)


def _flags(name):
    """A hyperparameter set that turns on most branches of each rule."""
    extra = {"sgd": {"momentum": 0.9, "nesterov": True}, "rmsprop": {"centered": True,
                                                                     "momentum": 0.5},
             "adam": {"amsgrad": True}, "adamw": {"amsgrad": True}}
    return {"lr": 0.01, "weight_decay": 0.1, "maximize": True, **extra.get(name, {})}


@pytest.mark.parametrize("name", ALL)
def test_rule_alone_equals_the_optimizer(name):
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(10)]
    w = dc.tensor(start, requires_grad=True)
    opt = optim.get(name, **_flags(name)).bind([w])
    rule, hparams = type(opt).rule, opt.param_groups[0]
    param = start.copy()
    state = rule.init(param, hparams)
    for g in grads:
        w.grad = dc.tensor(g)
        opt.step()
        assert rule.update(g, state, param, hparams) is param
    np.testing.assert_array_equal(param, w.numpy())
    assert state["step"] == 10


@pytest.mark.parametrize("name", ALL)
def test_rule_keeps_float32_and_leaves_the_gradient_alone(name):
    param = np.ones((5,), np.float32)
    grad = np.linspace(-1, 1, 5).astype(np.float32)
    before = grad.copy()
    hparams = optim.get(name, **_flags(name)).defaults
    hparams["lr"] = np.float64(0.01)  # a NumPy scalar, as a lab might pass, must not promote
    rule = optim.OPTIMIZERS[name].rule
    state = rule.init(param, hparams)
    for _ in range(3):
        rule.update(grad, state, param, hparams)
    assert param.dtype == np.float32
    assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))
    np.testing.assert_array_equal(grad, before)
    assert np.all(np.isfinite(param)) and not np.array_equal(param, np.ones(5, np.float32))
