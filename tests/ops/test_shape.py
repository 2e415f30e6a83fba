"""Shape ops, indexing, joins and padding: values and gradients against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from opcheck import check_op

CASES = [
    ("reshape", lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6)),
    ("reshape_-1", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2)),
    ("transpose", lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    ("T", lambda x: x.T, lambda x: x.permute(2, 1, 0)),
    ("permute", lambda x: x.permute((1, 0, 2)), lambda x: x.permute(1, 0, 2)),
    ("squeeze", lambda x: x.reshape(1, 2, 1, 12).squeeze(), lambda x: x.reshape(2, 12)),
    ("squeeze_axis", lambda x: x.reshape(1, 24).squeeze(0), lambda x: x.reshape(24)),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(1)),
    ("unsqueeze_-1", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1)),
    ("flatten", lambda x: x.flatten(), lambda x: x.flatten()),
    ("flatten_1", lambda x: x.flatten(1), lambda x: x.flatten(1)),
    ("broadcast_to", lambda x: x[:, :1, :].broadcast_to((5, 2, 3, 4)),
     lambda x: x[:, :1, :].expand(5, 2, 3, 4)),
    ("index_int", lambda x: x[1], lambda x: x[1]),
    ("index_slice", lambda x: x[:, 1:3, ::2], lambda x: x[:, 1:3, ::2]),
    ("index_negative", lambda x: x[-1, :, -2], lambda x: x[-1, :, -2]),
    ("index_none_ellipsis", lambda x: x[None, ..., 1], lambda x: x[None, ..., 1]),
    ("index_int_array_repeats", lambda x: x[:, [0, 2, 2, 0]], lambda x: x[:, [0, 2, 2, 0]]),
    ("index_2d_int_arrays", lambda x: x[[0, 1, 1], [2, 0, 2]], lambda x: x[[0, 1, 1], [2, 0, 2]]),
    ("split", lambda x: dc.split(x, 2, axis=2)[1] * dc.split(x, [1], axis=1)[1].sum(),
     lambda x: torch.split(x, 2, dim=2)[1] * torch.split(x, [1, 2], dim=1)[1].sum()),
    ("pad", lambda x: dc.pad(x, ((0, 0), (1, 2), (3, 0)), constant_values=0.5),
     lambda x: F.pad(x, (3, 0, 1, 2), value=0.5)),
    ("pad_int", lambda x: dc.pad(x, 1), lambda x: F.pad(x, (1, 1, 1, 1, 1, 1))),
]


@pytest.mark.parametrize(("name", "fn", "torch_fn"), CASES, ids=[c[0] for c in CASES])
def test_shape_op(name, fn, torch_fn):
    check_op(fn, torch_fn, [(2, 3, 4)], name=name)


def test_boolean_mask_indexing():
    mask = np.random.default_rng(0).random((2, 3, 4)) > 0.5
    check_op(lambda x: x[mask], lambda x: x[torch.tensor(mask)], [(2, 3, 4)], name="mask")
    check_op(lambda x: x[dc.tensor(mask)] * 2, lambda x: x[torch.tensor(mask)] * 2,
             [(2, 3, 4)], name="mask_tensor")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis):
    shapes = {0: [(2, 3), (4, 3), (1, 3)], 1: [(2, 1), (2, 3), (2, 2)],
              -1: [(2, 1), (2, 3), (2, 2)]}[axis]
    check_op(lambda *xs: dc.concat(list(xs), axis=axis), lambda *xs: torch.cat(xs, dim=axis),
             shapes, name="concat")
    check_op(lambda *xs: dc.stack(list(xs), axis=axis), lambda *xs: torch.stack(xs, dim=axis),
             [(2, 3)] * 3, name="stack")


def test_concat_with_an_input_that_needs_no_grad():
    check_op(lambda a, b: dc.concat([a, b]), lambda a, b: torch.cat([a, b]), [(2, 2), (3, 2)],
             grad_inputs=[False, True], name="concat")


def test_split_matches_numpy_sections_and_indices():
    x = dc.arange(10.0)
    assert [p.numpy().tolist() for p in dc.split(x, 2)] == [
        a.tolist() for a in np.split(np.arange(10.0), 2)]
    assert [p.shape for p in dc.split(x, [2, 5, 9])] == [(2,), (3,), (4,), (1,)]


def test_views_and_squeezes_keep_values():
    x = dc.arange(24.0).reshape(2, 3, 4)
    assert x.transpose().shape == (4, 3, 2)
    assert x.reshape((6, 4)).numpy().tolist() == np.arange(24.0).reshape(6, 4).tolist()
    assert x.flatten(0, 1).shape == (6, 4)
