"""grad, value_and_grad, vjp, jacobian, hessian, gradcheck; worked examples from the theory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descend as dc
from descend.autograd.engine import record_backward


def f64(values):
    return dc.tensor(values, dtype="float64")


def test_grad_with_several_argnums_matches_torch():
    a, b = np.random.default_rng(0).standard_normal((2, 3))

    def f(x, y):
        return (x.sin() * y + x * x).sum()

    ga, gb = dc.grad(f, argnums=(0, 1))(f64(a), f64(b))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta.sin() * tb + ta * ta).sum().backward()
    np.testing.assert_allclose(ga.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), tb.grad.numpy(), rtol=1e-12)


def test_grad_leaves_dot_grad_alone_and_needs_a_scalar():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    dc.grad(lambda t: (t * t).sum())(x)
    assert x.grad is None
    with pytest.raises(ValueError, match="single-value"):
        dc.grad(lambda t: t * 2)(x)


def test_vjp_and_jacobian_agree_with_torch():
    a = np.random.default_rng(1).standard_normal(4)

    def f(x):
        return x.tanh() * x.sum()

    jac = dc.jacobian(f)(f64(a)).numpy()
    expected = torch.autograd.functional.jacobian(lambda t: t.tanh() * t.sum(), torch.tensor(a))
    np.testing.assert_allclose(jac, expected.numpy(), rtol=1e-12)
    v = np.arange(4.0)
    _, pullback = dc.vjp(f, f64(a))
    np.testing.assert_allclose(pullback(f64(v))[0].numpy(), v @ jac, rtol=1e-12)


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    A = np.random.default_rng(2).standard_normal((4, 4))
    x = np.random.default_rng(3).standard_normal(4)
    H = dc.hessian(lambda t: t @ f64(A) @ t)(f64(x))
    np.testing.assert_allclose(H.numpy(), A + A.T, rtol=1e-12, atol=1e-12)


def test_hessian_matches_torch_on_a_nonlinear_function():
    x = np.random.default_rng(4).standard_normal(3)
    H = dc.hessian(lambda t: (t.sigmoid() * t.exp()).sum() + (t[0] * t[1] * t[2]))(f64(x))
    expected = torch.autograd.functional.hessian(
        lambda t: (t.sigmoid() * t.exp()).sum() + t[0] * t[1] * t[2], torch.tensor(x))
    np.testing.assert_allclose(H.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_second_derivative_of_tanh_matches_its_closed_form():
    xs = np.linspace(-3, 3, 13)
    second = dc.grad(dc.grad(lambda t: t.tanh()))
    got = np.array([second(f64(v)).item() for v in xs])
    t = np.tanh(xs)
    np.testing.assert_allclose(got, -2 * t * (1 - t * t), rtol=1e-12, atol=1e-14)


def test_third_derivative_by_nesting():
    third = dc.grad(dc.grad(dc.grad(lambda t: t**4)))
    assert third(f64(2.0)).item() == pytest.approx(24 * 2.0)


@pytest.mark.parametrize("op", ["exp", "log", "sigmoid", "softplus", "gelu", "elu", "sin"])
def test_second_derivatives_match_torch(op):
    x = np.random.default_rng(5).uniform(0.3, 2.0, 5)
    H = dc.hessian(lambda t: getattr(dc, op)(t).sum())(f64(x)).numpy()
    tf = {"exp": torch.exp, "log": torch.log, "sigmoid": torch.sigmoid,
          "softplus": torch.nn.functional.softplus, "gelu": torch.nn.functional.gelu,
          "elu": torch.nn.functional.elu, "sin": torch.sin}[op]
    expected = torch.autograd.functional.hessian(lambda t: tf(t).sum(), torch.tensor(x))
    np.testing.assert_allclose(H, expected.numpy(), rtol=1e-9, atol=1e-12)


def test_gradcheck_catches_a_wrong_backward():
    from descend.autograd.function import Function

    class WrongSquare(Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * self.inputs[0] * 3  # should be 2

    with pytest.raises(dc.GradcheckError, match=r"input 0 .* at element \(0,\).*analytic"):
        dc.gradcheck(lambda x: WrongSquare.apply(x), [np.array([0.5, 1.0])])


def test_worked_example_edge_gradients_of_squared_error():
    # loss = (v*x - y)**2 at v=0, x=2, y=5: d/d(sub) = -10, d/d(mul) = -10, d/dv = -20
    v = dc.tensor(0.0, requires_grad=True)
    x, y = dc.tensor(2.0), dc.tensor(5.0)
    product = v * x
    difference = product - y
    loss = difference**2
    with record_backward() as records:
        loss.backward()
    grads = {r.fn.name: r.grad_output.item() for r in records}
    assert grads["pow"] == 1.0
    assert grads["sub"] == -10.0
    assert grads["mul"] == -10.0
    assert v.grad.item() == -20.0


def test_worked_example_sigmoid_neuron_gradients():
    rng = np.random.default_rng(6)
    for _ in range(5):
        w, b, x, y = rng.standard_normal(4)
        tw, tb = f64(w), f64(b)
        def error(p, q, x=x, y=y):
            return 0.5 * ((p * x + q).sigmoid() - y) ** 2

        gw, gb = dc.grad(error, argnums=(0, 1))(tw, tb)
        f = 1 / (1 + np.exp(-(w * x + b)))
        assert gw.item() == pytest.approx((f - y) * f * (1 - f) * x, rel=1e-12)
        assert gb.item() == pytest.approx((f - y) * f * (1 - f), rel=1e-12)


def test_transformations_work_inside_no_grad_and_nest_under_gradcheck():
    with dc.no_grad():
        assert dc.grad(lambda t: (t**3).sum())(f64([2.0])).item() == 12.0
    # gradcheck differentiates numerically under no_grad: the inner grad must still record
    dc.gradcheck(lambda t: dc.grad(lambda u: (u.sin() * u).sum())(t), [np.array([0.3, 1.2])])
