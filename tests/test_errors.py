"""Bad input gets a clear error whose message names the op, what was given and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda: dc.ones((32, 13)) @ dc.ones((12, 1)), ValueError,
         r"matmul: shapes \(32, 13\) and \(12, 1\) do not align: 13 != 12"),
        (lambda: dc.ones(3) @ dc.tensor(2.0), ValueError, r"matmul: both operands need"),
        (lambda: dc.ones((2, 3, 4)) @ dc.ones((5, 4, 2)), ValueError,
         r"matmul: batch shapes \(2,\) and \(5,\)"),
        (lambda: dc.ones(3) + dc.ones(4), ValueError,
         r"add: shapes \(3,\) and \(4,\) cannot be broadcast"),
        (lambda: dc.ones((2, 3)) * dc.ones((3, 2)), ValueError,
         r"mul: shapes \(2, 3\) and \(3, 2\) cannot be broadcast"),
        (lambda: dc.ones(3) + "a", TypeError, r"add: expected a Tensor, a NumPy array or a number, "
         r"got str"),
        (lambda: dc.tensor([1, 2], requires_grad=True), TypeError,
         r"only floating-point tensors can have gradients, this one is int64"),
        (lambda: dc.tensor("abc"), TypeError, r"tensor: cannot make a tensor from str"),
        (lambda: dc.tensor([[1.0, 2.0], [3.0]]), ValueError, r"rectangular"),
        (lambda: dc.tensor(np.array(["a"])), TypeError, r"expected numbers"),
        (lambda: dc.ones(6).reshape(4, 2), ValueError,
         r"reshape: cannot reshape a tensor of shape \(6,\) \(6 elements\) into shape \(4, 2\)"),
        (lambda: dc.ones((2, 3)).sum(axis=2), ValueError,
         r"sum: axis 2 is out of range for a tensor with 2 dimension\(s\)"),
        (lambda: dc.ones((2, 3)).transpose(0, 0), ValueError, r"transpose: axes .* permutation"),
        (lambda: dc.ones((2, 3)).squeeze(1), ValueError, r"squeeze: axis 1 has size 3"),
        (lambda: dc.ones((2, 3)).broadcast_to((4, 3, 2)), ValueError,
         r"broadcast_to: cannot broadcast shape \(2, 3\) to \(4, 3, 2\)"),
        (lambda: dc.concat([dc.ones((2, 3)), dc.ones((2, 4))]), ValueError,
         r"concat: shapes \(2, 3\) and \(2, 4\) differ outside axis 0"),
        (lambda: dc.stack([dc.ones(2), dc.ones(3)]), ValueError, r"stack: all tensors must"),
        (lambda: dc.concat([]), ValueError, r"concat: needs at least one tensor"),
        (lambda: dc.split(dc.ones(5), 2), ValueError, r"split: axis 0 has length 5"),
        (lambda: dc.pad(dc.ones(2), -1), ValueError, r"pad: pad_width must be non-negative"),
        (lambda: dc.ones(3)[5], IndexError, r"getitem: index 5 is out of bounds.*shape \(3,\)"),
        (lambda: dc.ones(3)[np.array([0.5])], IndexError, r"getitem: index arrays must be"),
        (lambda: dc.ones(3).item(), ValueError, r"item: only a tensor with exactly one element"),
        (lambda: dc.clip(dc.ones(2), 1, 0), ValueError, r"clip: min \(1\) must not be greater"),
        (lambda: dc.where(dc.ones(2), dc.ones(2), 0.0), TypeError,
         r"where: the condition must be boolean"),
        (lambda: dc.ones((2, 2)).mean(axis=(0, 0)), ValueError, r"names the same axis twice"),
        (lambda: dc.ones((0, 3)).max(), ValueError, r"max: cannot reduce an empty tensor"),
        (lambda: dc.ones(1).var(ddof=1), ValueError, r"var: 1 value\(s\) .* no degrees"),
        (lambda: dc.zeros(-1), ValueError, r"zeros: shape must be non-negative"),
        (lambda: dc.gelu(dc.ones(1), approximate="fast"), ValueError,
         r"gelu: approximate must be 'none' or 'tanh'"),
        (lambda: dc.seed(-3), ValueError, r"seed: expected a non-negative integer"),
        (lambda: dc.set_default_dtype("int32"), TypeError, r"expected a floating dtype"),
        (lambda: dc.ones(2).backward(), RuntimeError, r"does not require grad"),
        (lambda: dc.linear(dc.ones((4, 3)), dc.ones((2, 5))), ValueError,
         r"linear: input of shape \(4, 3\) does not fit kernel of shape \(2, 5\)"),
    ],
)
def test_bad_input_raises_a_clear_error(action, error, message):
    with pytest.raises(error, match=message):
        action()


def test_bool_of_a_many_element_tensor_is_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(dc.ones(3))
