"""``explain_step``: the reconstructed step equals the real one for every optimizer and option."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim
from descend.lab import explain_step

CONFIGS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.2}),
    (optim.SGD, {"lr": 0.1, "weight_decay": 0.3, "maximize": True}),
    (optim.Adagrad, {"lr": 0.3, "lr_decay": 0.1, "weight_decay": 0.1}),
    (optim.RMSprop, {"lr": 0.01}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.8, "weight_decay": 0.1}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.1}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.Adamax, {"lr": 0.1, "weight_decay": 0.05}),
    (optim.NAdam, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.NAdam, {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (optim.RAdam, {"lr": 0.1}),
    (optim.RAdam, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.Adadelta, {"lr": 1.0}),
    (optim.Lion, {"lr": 0.01, "weight_decay": 0.1}),
]


def _run(cls, options, steps):
    w = dc.tensor([0.8, -1.5, 2.0], dtype="float64", requires_grad=True, name="w")
    b = dc.tensor([0.3], dtype="float64", requires_grad=True, name="b")
    opt = cls([w, b], **options)
    before = None
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w * w * w).sum() * 0.1 + (w.sum() * b - 1.0) ** 2)
        loss.backward()
        before = {"w": w.numpy().copy(), "b": b.numpy().copy()}
        opt.step()
    return opt, before, {"w": w, "b": b}


@pytest.mark.parametrize(("cls", "options"), CONFIGS,
                         ids=[f"{c.__name__}-{'-'.join(o)}" for c, o in CONFIGS])
@pytest.mark.parametrize("steps", [1, 8])
def test_the_reconstructed_step_is_the_step_the_optimizer_took(cls, options, steps):
    opt, before, params = _run(cls, options, steps)
    report = explain_step(opt).to_dict()
    assert report["optimizer"] == cls.__name__
    for name, p in params.items():
        info = report["params"][name]
        np.testing.assert_allclose(info["previous"], before[name], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(info["update"], before[name] - p.numpy(), rtol=1e-7,
                                   atol=1e-12)
        np.testing.assert_array_equal(info["grad"], p.grad.numpy())
        assert report["steps"][name] == steps
        assert np.shape(info["effective_lr"]) == p.shape


def test_adam_first_step_by_hand():
    w = dc.tensor([3.0], dtype="float64", requires_grad=True, name="w")
    opt = optim.Adam([w], lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    (w * w).sum().backward()
    opt.step()
    info = explain_step(opt).params["w"]
    g = 6.0
    assert info["exp_avg"].item() == pytest.approx(0.1 * g)
    assert info["exp_avg_sq"].item() == pytest.approx(0.01 * g * g)
    assert info["bias_correction1"] == pytest.approx(0.1)
    assert info["bias_correction2"] == pytest.approx(0.01)
    assert info["exp_avg_hat"].item() == pytest.approx(g)
    assert info["exp_avg_sq_hat"].item() == pytest.approx(g * g)
    assert info["effective_lr"].item() == pytest.approx(0.01 / (6.0 + 1e-8))
    assert info["value"].item() == pytest.approx(3.0 - 0.01 * 6 / (6 + 1e-8))


def test_momentum_velocity_and_nesterov_lookahead_by_hand():
    w = dc.tensor([1.0], dtype="float64", requires_grad=True, name="w")
    opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    info = explain_step(opt).params["w"]
    g1 = 2.0
    w1 = 1.0 - 0.1 * (g1 + 0.9 * g1)
    g2 = 2 * w1
    v2 = 0.9 * g1 + g2
    w2 = w1 - 0.1 * (g2 + 0.9 * v2)
    assert info["momentum_buffer"].item() == pytest.approx(v2)
    assert info["value"].item() == pytest.approx(w2)
    assert info["lookahead"].item() == pytest.approx(w2 - 0.1 * 0.9 * v2)
    assert info["effective_lr"].item() == 0.1


def test_adagrad_accumulates_squares_and_shrinks_the_effective_lr():
    w = dc.tensor([1.0, 4.0], dtype="float64", requires_grad=True, name="w")
    opt = optim.Adagrad([w], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    info = explain_step(opt).params["w"]
    np.testing.assert_allclose(info["sum"], [4.0, 64.0])
    np.testing.assert_allclose(info["effective_lr"], [0.5 / (2 + 1e-10), 0.5 / (8 + 1e-10)])


def test_the_table_names_every_quantity():
    opt, _, _ = _run(optim.Adam, {"lr": 0.1}, 2)
    text = str(explain_step(opt))
    assert text.startswith("Adam step 2, parameter w (lr 0.1, betas (0.9, 0.999)")
    for label in ("first moment m (exp_avg)", "bias-corrected v̂ = v / (1 − β2^t)",
                  "effective learning rate per coordinate", "step taken Δ"):
        assert label in text


def test_unknown_optimizers_and_missing_steps_are_explained():
    with pytest.raises(TypeError, match=r"expected a dc.optim optimizer, got object"):
        explain_step(object())
    w = dc.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"call it right after optimizer.step"):
        explain_step(optim.SGD([w], lr=0.1))
    opt = optim.Adadelta([w], weight_decay=0.1)
    (w * w).sum().backward()
    opt.step()
    with pytest.raises(ValueError, match="Adadelta's step cannot be reconstructed"):
        explain_step(opt)
