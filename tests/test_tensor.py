"""Tensor creation, properties, conversions, repr, seeding and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc


def test_creation_functions_default_to_float32():
    for t in [dc.tensor([1.0]), dc.tensor(np.ones(2)), dc.zeros(2), dc.ones(2, 3),
              dc.full((2,), 3.0), dc.eye(3), dc.rand(2), dc.randn(2), dc.arange(0.0, 1.0, 0.5)]:
        assert t.dtype == np.float32


def test_float64_on_request_and_integers_stay_integers():
    assert dc.tensor([1.0], dtype="float64").dtype == np.float64
    assert dc.zeros(2, dtype=np.float64).dtype == np.float64
    assert dc.tensor([1, 2]).dtype == np.int64
    assert dc.arange(3).dtype == np.int64
    assert dc.tensor([True]).dtype == np.bool_


def test_like_functions_copy_shape_and_dtype():
    base = dc.ones((2, 3), dtype="float64")
    for t in [dc.zeros_like(base), dc.ones_like(base), dc.full_like(base, 2.0),
              dc.rand_like(base), dc.randn_like(base)]:
        assert t.shape == (2, 3) and t.dtype == np.float64


def test_properties_and_conversions():
    t = dc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.T.shape == (3, 2)
    assert t.numpy() is t.data
    assert dc.tensor(3.5).item() == 3.5
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert np.asarray(t).shape == (2, 3)
    assert [row.shape for row in t] == [(3,), (3,)]


def test_tensor_copies_its_data():
    a = np.ones(3, dtype=np.float32)
    t = dc.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


def test_repr_is_readable():
    assert repr(dc.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(dc.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(dc.tensor([1.5], dtype="float64")) == "tensor([1.5], dtype=float64)"
    x = dc.tensor(2.0, requires_grad=True)
    assert repr(x * x) == "tensor(4., grad_fn=<mul>)"


def test_seed_makes_every_draw_repeatable():
    def draws():
        return np.concatenate([dc.rand(3).numpy(), dc.randn(2).numpy(),
                               dc.randn_like(dc.zeros(2)).numpy()])

    dc.seed(7)
    first = draws()
    dc.seed(7)
    assert (draws() == first).all()
    dc.seed(8)
    assert not (draws() == first).all()


def test_numpy_arrays_on_the_left_defer_to_tensor():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, dc.Tensor) and y.requires_grad


def test_comparisons_give_boolean_tensors_without_grad():
    x = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (x > 1.5).numpy().tolist() == [False, True, True]
    assert (x == 2.0).numpy().tolist() == [False, True, False]
    assert not (x > 1).requires_grad
    assert len({x, x}) == 1


def test_default_dtype_can_change():
    dc.set_default_dtype("float64")
    try:
        assert dc.ones(1).dtype == np.float64
        assert dc.tensor([1.0]).dtype == np.float64
    finally:
        dc.set_default_dtype("float32")


def test_requires_grad_cannot_be_dropped_from_a_computed_tensor():
    x = dc.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2).requires_grad_(False)
