"""L1, L2, L1L2: penalties, gradients against torch, names and errors."""

from __future__ import annotations

import pytest

import descend as dc
from descend.nn import regularizers
from descend.nn.regularizers import L1, L1L2, L2
from opcheck import check_op

pytestmark = pytest.mark.usefixtures("op_device")  # check_op on each device


@pytest.mark.parametrize(
    ("regularizer", "torch_fn"),
    [
        (L1(0.3), lambda w: 0.3 * w.abs().sum()),
        (L2(0.2), lambda w: 0.2 * (w ** 2).sum()),
        (L1L2(l1=0.1, l2=0.5), lambda w: 0.1 * w.abs().sum() + 0.5 * (w ** 2).sum()),
    ],
    ids=["l1", "l2", "l1_l2"],
)
def test_penalty_and_gradient_match_torch(regularizer, torch_fn):
    check_op(regularizer, torch_fn, [(3, 4)], away_from=0.0, name=repr(regularizer))


def test_zero_weights_penalise_nothing():
    assert L1L2()(dc.ones((2, 2), dtype="float64")).item() == 0.0


def test_names_give_keras_defaults():
    assert repr(regularizers.get("l1")) == "L1(l1=0.01)"
    assert repr(regularizers.get("l2")) == "L2(l2=0.01)"
    assert repr(regularizers.get("l1_l2")) == "L1L2(l1=0.01, l2=0.01)"
    assert regularizers.get(None) is None
    penalty = L2(0.5)
    assert regularizers.get(penalty) is penalty


def test_bad_names_and_values_are_explained():
    with pytest.raises(ValueError, match=r"regularizers.get: unknown regularizer 'L3'\. Valid "
                                         r"names: 'l1', 'l1_l2', 'l2'"):
        regularizers.get("L3")
    with pytest.raises(TypeError, match=r"regularizer: expected a name such as 'l2', a "
                                        r"regularizer object or None, got float"):
        regularizers.get(0.01)
    with pytest.raises(ValueError, match=r"L2: l2 must be a non-negative number, got -1"):
        L2(-1)
