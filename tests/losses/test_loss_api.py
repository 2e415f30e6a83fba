"""Loss API: input kinds, dtypes, reductions' shapes, objects, ``get`` and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import losses

ELEMENTWISE = [losses.mse, losses.mae, losses.huber, losses.log_cosh, losses.bce, losses.hinge]
ALL_NAMES = ["mse", "mae", "huber", "log_cosh", "binary_crossentropy", "bce",
             "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
             "kl_divergence", "kld", "mean_squared_error", "mean_absolute_error"]


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_the_n_vs_n_by_1_trap_raises_naming_both_shapes(loss):
    y_pred = dc.tensor(np.full((4, 1), 0.5), requires_grad=True)
    with pytest.raises(ValueError, match=rf"{loss.__name__}: y_true has shape \(4,\) but y_pred "
                       r"has shape \(4, 1\); they must be equal \(broadcasting them would give "
                       r"shape \(4, 4\)"):
        loss(np.ones(4), y_pred)
    with pytest.raises(ValueError, match=r"y_true has shape \(4, 1\) but y_pred has shape \(4,\)"):
        loss(np.ones((4, 1)), dc.tensor(np.full(4, 0.5)))


@pytest.mark.parametrize("loss", [*ELEMENTWISE, losses.categorical_crossentropy, losses.kld],
                         ids=lambda f: f.__name__)
def test_mismatched_shapes_raise(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: y_true has shape \(4, 2\) but y_pred "
                       r"has shape \(4, 3\); they must be equal$"):
        loss(np.ones((4, 2)), dc.tensor(np.full((4, 3), 0.5)))


@pytest.mark.parametrize("loss", [*ELEMENTWISE, losses.categorical_crossentropy, losses.kld],
                         ids=lambda f: f.__name__)
def test_reduction_none_gives_one_loss_per_sample(loss):
    y = np.eye(3)[[0, 1, 2, 1, 0]]
    p = dc.tensor(np.full((5, 3), 0.25) + np.eye(3)[[0, 0, 2, 1, 1]] * 0.5)
    per_sample = loss(y, p, reduction="none")
    assert per_sample.shape == (5,)
    assert loss(y, p).item() == pytest.approx(per_sample.numpy().mean(), rel=1e-6)
    assert loss(y, p, reduction="sum").item() == pytest.approx(per_sample.numpy().sum(), rel=1e-6)
    sequence = loss(np.stack([y, y], axis=1), dc.stack([p, p], axis=1), reduction="none")
    np.testing.assert_allclose(sequence.numpy(), per_sample.numpy(), rtol=1e-6)


def test_sparse_reduction_none_shape_and_agreement_with_one_hot():
    labels = np.array([[0, 2], [1, 1], [2, 0]])
    z = dc.randn(3, 2, 3)
    sparse = losses.sparse_categorical_crossentropy(labels, z, from_logits=True, reduction="none")
    dense = losses.categorical_crossentropy(np.eye(3)[labels], z, from_logits=True,
                                            reduction="none")
    assert sparse.shape == (3,)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=1e-6)


def test_inputs_may_be_lists_arrays_or_tensors_and_keep_y_pred_dtype():
    expected = 1.0
    for y_true in ([1.0, 2.0], np.array([1, 2]), np.array([1.0, 2.0]), dc.tensor([1.0, 2.0])):
        for y_pred in ([2.0, 1.0], np.array([2.0, 1.0]), dc.tensor([2.0, 1.0])):
            out = losses.mse(y_true, y_pred)
            assert isinstance(out, dc.Tensor) and out.dtype == np.float32
            assert out.item() == expected
    assert losses.mse([1, 2], [2, 1]).dtype == np.float32           # integer predictions


def test_float64_targets_are_not_rounded_through_float32():
    y = np.array([0.1, 1e-9 + 1.0])
    p = dc.tensor([0.0, 1.0], dtype="float64")
    assert losses.mse(y, p).dtype == np.float64
    assert losses.mse(y, p).item() == pytest.approx(((y - p.numpy()) ** 2).mean(), rel=1e-15)


def test_gradient_flows_into_y_pred_and_into_y_true_only_when_it_requires_grad():
    y_true = dc.tensor([1.0, 2.0])
    y_pred = dc.tensor([2.0, 4.0], requires_grad=True)
    losses.mse(y_true, y_pred).backward()
    assert y_true.grad is None
    np.testing.assert_allclose(y_pred.grad.numpy(), [1.0, 2.0])
    y_true.requires_grad_()
    losses.mse(y_true, y_pred).backward()
    np.testing.assert_allclose(y_true.grad.numpy(), [-1.0, -2.0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: losses.mse([1.0], [1.0], reduction="avg"),
     r"mean_squared_error: reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    (lambda: losses.huber([1.0], [1.0], delta=0),
     r"huber: delta must be positive, got 0"),
    (lambda: losses.bce([1.0, 0.0], dc.tensor([2.5, -1.0])),
     r"binary_crossentropy: y_pred holds values from -1 to 2.5, but probabilities lie in "
     r"\[0, 1\]; if these are raw scores \(logits\), pass from_logits=True"),
    (lambda: losses.categorical_crossentropy([[1.0, 0.0]], dc.tensor([[3.0, -1.0]])),
     r"categorical_crossentropy: y_pred holds values from -1 to 3.*from_logits=True"),
    (lambda: losses.sparse_categorical_crossentropy([0, 3], dc.zeros((2, 3)),
                                                    from_logits=True),
     r"sparse_categorical_crossentropy: label 3 is outside the valid range 0..2 for 3 classes"),
    (lambda: losses.sparse_categorical_crossentropy([-1, 0], dc.zeros((2, 3)),
                                                    from_logits=True),
     r"label -1 is outside the valid range 0..2 for 3 classes"),
    (lambda: losses.sparse_categorical_crossentropy([0.5, 1.0], dc.zeros((2, 3)),
                                                    from_logits=True),
     r"sparse_categorical_crossentropy: class labels must be whole numbers .*got 0.5"),
    (lambda: losses.sparse_categorical_crossentropy(np.eye(3)[[0, 1]], dc.zeros((2, 3)),
                                                    from_logits=True),
     r"y_true has shape \(2, 3\) but y_pred has shape \(2, 3\); integer class labels need "
     r"shape \(2,\).*use the categorical \(not sparse\) variant"),
    (lambda: losses.sparse_categorical_crossentropy([0, 1, 2], dc.zeros((2, 3))),
     r"y_true has shape \(3,\) but y_pred has shape \(2, 3\); integer class labels need "
     r"shape \(2,\)"),
    (lambda: losses.categorical_crossentropy([0, 1], dc.full((2, 3), 0.3)),
     r"categorical_crossentropy: y_true has shape \(2,\) but y_pred has shape \(2, 3\).*"
     r"looks like integer class labels: use sparse_categorical_crossentropy"),
    (lambda: losses.categorical_crossentropy([1.0], dc.tensor(0.5)),
     r"categorical_crossentropy: y_pred must have a class axis"),
    (lambda: losses.hinge([2.0, 1.0], dc.zeros(2)),
     r"hinge: y_true must hold labels -1 and 1 \(or 0 and 1\), got values \[1.0, 2.0\]"),
    (lambda: losses.mse("abc", dc.zeros(2)), r"mean_squared_error: y_true must be an array"),
    (lambda: losses.Huber(reduction="mid"), r"Huber: reduction must be one of"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_resolves_every_documented_name(name):
    fn = losses.get(name)
    assert fn is losses.LOSSES[name]
    assert losses.get(name.upper()) is fn


def test_get_unknown_name_lists_valid_names_and_suggests_close_ones():
    with pytest.raises(ValueError, match=r"losses.get: unknown loss 'mse2'\. Did you mean 'mse'"
                       r".*Valid names: .*'binary_crossentropy'.*'sparse_categorical"):
        losses.get("mse2")
    with pytest.raises(TypeError, match=r"losses.get: expected a loss name, function or Loss "
                       r"object, got int"):
        losses.get(3)


def test_get_passes_callables_through_and_instantiates_loss_classes():
    def my_loss(y_true, y_pred):
        return ((y_pred - y_true) ** 4).mean()

    assert losses.get(my_loss) is my_loss
    assert isinstance(losses.get(losses.MeanSquaredError), losses.MeanSquaredError)
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error
    assert losses.bce is losses.binary_crossentropy and losses.kld is losses.kl_divergence


CLASSES = [
    (losses.MeanSquaredError(), losses.mse, {}),
    (losses.MeanAbsoluteError(), losses.mae, {}),
    (losses.Huber(0.5), losses.huber, {"delta": 0.5}),
    (losses.LogCosh(), losses.log_cosh, {}),
    (losses.BinaryCrossentropy(from_logits=True), losses.bce, {"from_logits": True}),
    (losses.CategoricalCrossentropy(from_logits=True), losses.categorical_crossentropy,
     {"from_logits": True}),
    (losses.Hinge(), losses.hinge, {}),
    (losses.KLDivergence(), losses.kld, {}),
]


@pytest.mark.parametrize(("obj", "fn", "options"), CLASSES, ids=lambda c: type(c).__name__)
def test_loss_objects_call_their_function_with_their_options(obj, fn, options):
    y = np.eye(3)[[0, 2, 1, 1]]
    p = dc.tensor(np.full((4, 3), 0.2) + 0.5 * np.eye(3)[[0, 1, 1, 2]])
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(obj(y, p, reduction=reduction).numpy(),
                                      fn(y, p, reduction=reduction, **options).numpy())
    assert obj.get_config() == {"name": fn.__name__, "reduction": "mean", **options}
    assert losses.get(obj) is obj


def test_sparse_object_and_default_reduction():
    loss = losses.SparseCategoricalCrossentropy(reduction="none", name="xent")
    assert loss([0, 1], dc.zeros((2, 4))).shape == (2,)
    assert loss.name == "xent"
    assert repr(loss) == "SparseCategoricalCrossentropy(reduction='none', from_logits=False)"
