"""Loss landscapes: filter normalisation, slices through the weights, the PCA plane of a path."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim
from descend.lab import (
    filter_normalized_direction,
    loss_landscape_1d,
    loss_landscape_2d,
    pca_directions,
    project_path,
    trajectory_landscape,
    unit_direction,
)


def _model():
    """A tiny two-layer net: kernels (3, 4), (4, 1), biases (4,), (1,) on fixed data."""
    rng = np.random.default_rng(0)
    x = dc.tensor(rng.standard_normal((16, 3)), dtype="float64")
    y = dc.tensor(rng.standard_normal((16, 1)), dtype="float64")
    params = [dc.tensor(rng.standard_normal(s) * 0.5, dtype="float64", requires_grad=True)
              for s in ((3, 4), (4,), (4, 1), (1,))]

    def loss_fn():
        hidden = dc.linear(x, params[0], params[1]).tanh()
        return ((dc.linear(hidden, params[2], params[3]) - y) ** 2).mean()

    return params, loss_fn


def test_filter_normalised_direction_matches_each_filters_norm():
    dc.seed(3)
    params, _ = _model()
    conv = dc.tensor(np.random.default_rng(1).standard_normal((5, 2, 3, 3)))
    direction = filter_normalized_direction([*params, conv])
    for p, d in zip(params[::2], direction[::2]):            # kernels: per output column
        np.testing.assert_allclose(np.linalg.norm(d, axis=0), np.linalg.norm(p.numpy(), axis=0))
    assert not direction[1].any() and not direction[3].any()   # biases ignored
    np.testing.assert_allclose(np.sqrt((direction[4] ** 2).sum(axis=(1, 2, 3))),
                               np.sqrt((conv.numpy() ** 2).sum(axis=(1, 2, 3))), rtol=1e-6)
    whole = filter_normalized_direction(params, ignore_1d=False)[1]
    assert np.linalg.norm(whole) == pytest.approx(np.linalg.norm(params[1].numpy()))


def test_directions_repeat_with_the_seed():
    params, _ = _model()
    dc.seed(7)
    a = filter_normalized_direction(params)
    dc.seed(7)
    b = filter_normalized_direction(params)
    assert all((x == y).all() for x, y in zip(a, b))


def test_1d_landscape_is_the_loss_along_the_direction_and_restores_the_weights():
    params, loss_fn = _model()
    saved = [p.numpy().copy() for p in params]
    d = [np.ones(p.shape) for p in params]
    land = loss_landscape_1d(loss_fn, params, direction=d, span=0.5, steps=5)
    np.testing.assert_allclose(land.alphas, [-0.5, -0.25, 0.0, 0.25, 0.5])
    for i, a in enumerate(land.alphas):
        moved = [dc.tensor(s + a, dtype="float64") for s in saved]
        with dc.no_grad():
            for p, m in zip(params, moved):
                p.data[...] = m.data
            assert land.losses[i] == pytest.approx(loss_fn().item())
            for p, s in zip(params, saved):
                p.data[...] = s
    assert all((p.numpy() == s).all() for p, s in zip(params, saved))


def test_2d_landscape_centre_is_the_current_loss():
    dc.seed(0)
    params, loss_fn = _model()
    land = loss_landscape_2d(loss_fn, params, span=0.3, steps=5)
    assert land.losses.shape == (5, 5) and land.betas is not None
    assert land.losses[2, 2] == pytest.approx(loss_fn().item(), rel=1e-12)
    assert land.losses.std() > 0


def test_pca_of_a_two_parameter_path_reproduces_it_exactly():
    w = dc.tensor([2.0, -1.0], dtype="float64", requires_grad=True)
    target = dc.tensor([0.5, 0.3], dtype="float64")
    scale = dc.tensor([1.0, 8.0], dtype="float64")

    def loss_fn():
        return ((w - target) ** 2 * scale).sum()

    opt = optim.SGD([w], lr=0.05, momentum=0.5)
    snapshots = [[w.numpy().copy()]]
    for _ in range(30):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
        snapshots.append([w.numpy().copy()])
    directions, path, explained = pca_directions(snapshots)
    assert explained.sum() == pytest.approx(1.0)
    basis = np.stack([d[0] for d in directions])
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    reconstructed = snapshots[-1][0] + path @ basis
    np.testing.assert_allclose(reconstructed, np.array([s[0] for s in snapshots]), atol=1e-12)
    assert path[0, 0] >= 0 and (path[-1] == 0).all()
    land = trajectory_landscape(loss_fn, [w], snapshots, steps=4, margin=0.0)
    corner = snapshots[-1][0] + land.alphas[0] * basis[0] + land.betas[0] * basis[1]
    with dc.no_grad():
        saved = w.numpy().copy()
        w.data[...] = corner
        expected = loss_fn().item()
        w.data[...] = saved
    assert land.losses[0, 0] == pytest.approx(expected)
    assert land.path is path or np.array_equal(land.path, path)


def test_a_path_on_random_or_chosen_planes():
    params, loss_fn = _model()
    rng = np.random.default_rng(5)
    snapshots = [[p.numpy() + 0.3 * k * rng.standard_normal(p.shape) for p in params]
                 for k in range(4, -1, -1)]                   # ends at the current weights
    d, e = unit_direction(params, 0, (0, 0)), unit_direction(params, 2, (1, 0))
    land = trajectory_landscape(loss_fn, params, snapshots, directions=[d, e], steps=5,
                                span=2.0)
    expected = [[s[0][0, 0] - snapshots[-1][0][0, 0], s[2][1, 0] - snapshots[-1][2][1, 0]]
                for s in snapshots]                           # least squares on unit axes
    np.testing.assert_allclose(land.path, expected, atol=1e-12)
    assert land.explained is None and land.alphas[0] <= -2.0 and land.alphas[-1] >= 2.0
    assert land.losses[2, 2] != land.losses[0, 0]
    skew = [[a + b for a, b in zip(d, e)], e]                 # not orthogonal: still exact
    np.testing.assert_allclose(project_path(snapshots, skew)[:, 0], land.path[:, 0],
                               atol=1e-12)
    dc.seed(2)
    random_plane = trajectory_landscape(loss_fn, params, snapshots, directions="filter",
                                        steps=5)
    assert not random_plane.directions[0][1].any()            # biases left out
    np.testing.assert_allclose(np.linalg.norm(random_plane.directions[0][0], axis=0),
                               np.linalg.norm(snapshots[-1][0], axis=0))
    assert random_plane.alphas[0] <= -1.0 and (random_plane.path[-1] == 0).all()
    with pytest.raises(ValueError, match="directions must be 'pca', 'filter' or two"):
        trajectory_landscape(loss_fn, params, snapshots, directions="random")
    with pytest.raises(ValueError, match="the snapshots have parameter shapes"):
        trajectory_landscape(loss_fn, params[:2], snapshots)
    with pytest.raises(ValueError, match="span must be positive"):
        trajectory_landscape(loss_fn, params, snapshots, span=-1.0)
    with pytest.raises(ValueError, match="the directions have 2 entries, the snapshots 21"):
        project_path(snapshots, [[np.ones(2)], [np.ones(2)]])


def test_a_slice_through_two_chosen_weights():
    params, loss_fn = _model()
    first, second = unit_direction(params, 0, (1, 2)), unit_direction(params, 2, (3, 0))
    land = loss_landscape_2d(loss_fn, params, directions=[first, second], span=0.5, steps=3)
    with dc.no_grad():
        params[0].data[1, 2] += 0.5
        params[2].data[3, 0] -= 0.5
        expected = loss_fn().item()
        params[0].data[1, 2] -= 0.5
        params[2].data[3, 0] += 0.5
    assert land.losses[0, 2] == pytest.approx(expected, rel=1e-12)   # β = -0.5, α = +0.5
    with pytest.raises(ValueError, match=r"index \(5, 0\) does not pick one entry"):
        unit_direction(params, 0, (5, 0))
    with pytest.raises(ValueError, match="which must pick one of the 4 parameters"):
        unit_direction(params, 7)


def test_bad_landscape_arguments():
    params, loss_fn = _model()
    with pytest.raises(TypeError, match="params must be a non-empty list of Tensors"):
        loss_landscape_1d(loss_fn, [])
    with pytest.raises(ValueError, match="steps must be an integer of at least 2"):
        loss_landscape_1d(loss_fn, params, steps=1)
    with pytest.raises(ValueError, match="same shapes"):
        loss_landscape_1d(loss_fn, params, direction=[np.ones(3)])
    with pytest.raises(ValueError, match="directions must be two, got 1"):
        loss_landscape_2d(loss_fn, params, directions=[[np.ones(p.shape) for p in params]])
    with pytest.raises(ValueError, match="need at least 3 snapshots, got 2"):
        pca_directions([[np.ones(2)], [np.zeros(2)]])
    with pytest.raises(ValueError, match="same parameter shapes"):
        pca_directions([[np.ones(2)], [np.zeros(3)], [np.zeros(2)]])
