"""Property tests: random broadcastable shapes for binary ops, random axes for reductions."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import descend as dc
from opcheck import check_against_torch

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "maximum": (dc.maximum, torch.maximum),
}


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
       op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_like_torch(shapes, op, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    fn, torch_fn = BINARY[op]
    check_against_torch(fn, torch_fn, arrays, np.float64, op)
    out = fn(*[dc.tensor(a, dtype="float64", requires_grad=True) for a in arrays])
    assert out.shape == shapes.result_shape


@st.composite
def shape_and_axes(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
    axes = draw(st.none() | st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                                     max_size=len(shape), unique_by=lambda a: a % len(shape)))
    return shape, axes if axes is None else tuple(axes)


REDUCTIONS = {
    "sum": (lambda x, a, k: x.sum(a, keepdims=k), lambda x, a, k: x.sum(a, keepdim=k)),
    "mean": (lambda x, a, k: x.mean(a, keepdims=k), lambda x, a, k: x.mean(a, keepdim=k)),
    "max": (lambda x, a, k: x.max(a, keepdims=k), lambda x, a, k: x.amax(a, keepdim=k)),
    "var": (lambda x, a, k: x.var(a, keepdims=k),
            lambda x, a, k: x.var(a, correction=0, keepdim=k)),
    "logsumexp": (lambda x, a, k: x.logsumexp(a, keepdims=k),
                  lambda x, a, k: torch.logsumexp(x, a, keepdim=k)),
}


@settings(max_examples=60, deadline=None)
@given(case=shape_and_axes(), op=st.sampled_from(sorted(REDUCTIONS)), keepdims=st.booleans(),
       seed=st.integers(0, 2**16))
def test_reductions_over_random_axes_match_torch(case, op, keepdims, seed):
    shape, axes = case
    torch_axes = tuple(range(len(shape))) if axes is None else axes
    x = np.random.default_rng(seed).standard_normal(shape)
    fn, torch_fn = REDUCTIONS[op]
    check_against_torch(lambda t: fn(t, axes, keepdims),
                        lambda t: torch_fn(t, torch_axes, keepdims), [x], np.float64, op)
