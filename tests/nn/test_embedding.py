"""Embedding: lookups, accumulated gradients for repeated indices, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import descend as dc
from descend import nn


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_matches_torch_and_accumulates_repeated_indices(dtype):
    dc.seed(0)
    layer = nn.Embedding(6, 3).astype(dtype)
    table = torch.tensor(layer.embeddings.numpy(), requires_grad=True)
    indices = np.array([[1, 4, 1], [0, 1, 5]])
    upstream = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(dtype)
    y = layer(indices)
    ty = F.embedding(torch.tensor(indices), table)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(layer.embeddings.grad.numpy(), table.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.embeddings.grad.numpy()[1],
                               upstream[0, 0] + upstream[0, 2] + upstream[1, 1], rtol=1e-6)
    assert layer.output_shape == (None, 3, 3) and y.dtype == np.dtype(dtype)


def test_embedding_is_built_at_once_with_keras_initial_values():
    dc.seed(1)
    layer = nn.Embedding(1000, 8)
    assert layer.built and layer.embeddings.shape == (1000, 8)
    assert np.abs(layer.embeddings.numpy()).max() <= 0.05
    assert nn.Embedding(3, 2, embeddings_initializer="ones")(dc.tensor([2])).numpy().tolist() \
        == [[1.0, 1.0]]


@pytest.mark.parametrize(
    ("indices", "error", "message"),
    [
        (np.array([0.0, 1.0]), TypeError, r"Embedding: indices must be integers, got float64 "
         r"values of shape \(2,\)"),
        (np.array([[0, 10]]), ValueError, r"Embedding: index 10 is out of range; indices must "
         r"be in 0..9 \(input_dim=10\)"),
        (np.array([-1]), ValueError, r"Embedding: index -1 is out of range"),
    ],
)
def test_bad_indices_are_explained(indices, error, message):
    with pytest.raises(error, match=message):
        nn.Embedding(10, 2)(indices)


def test_bad_sizes_are_explained():
    with pytest.raises(ValueError, match=r"Embedding: output_dim must be a positive integer, "
                                         r"got 0"):
        nn.Embedding(5, 0)
