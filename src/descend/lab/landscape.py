"""Loss landscapes of any model: slices through parameter space, and the path training took.

A model with millions of weights has no surface to draw, but its loss along one or two
directions through the trained weights does. Random directions are *filter-normalised*
(Li et al., "Visualizing the Loss Landscape of Neural Nets", 2018): each filter (output unit)
of the direction is scaled to the norm of the same filter in the weights, so the picture does
not depend on how the weights happen to be scaled. The training path is best seen in the plane
of its first two principal components (PCA of the saved weights, centred on the last).

All functions need only ``loss_fn()`` (no arguments, returns the loss) and the list of parameter
tensors (``model.parameters()``); they evaluate without gradients and restore the weights.

>>> import descend as dc
>>> dc.seed(0)
>>> w = dc.tensor([[1.0, -2.0], [0.5, 1.0]], requires_grad=True)
>>> loss_fn = lambda: ((w - 1.0) ** 2).sum()
>>> land = dc.lab.loss_landscape_2d(loss_fn, [w], steps=5)
>>> land.losses.shape, bool(land.losses[2, 2] == loss_fn().item())
((5, 5), True)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from descend import backend
from descend.autograd.mode import no_grad
from descend.tensors import ArrayLike, Tensor

LossFn = Callable[[], Tensor | float]
Direction = list[np.ndarray]


@dataclass
class Landscape:
    """The loss on a line (1-D) or a plane (2-D) through the weights.

    Attributes:
        alphas: ``(n,)`` steps along the first direction.
        betas: ``(m,)`` steps along the second direction (``None`` for 1-D).
        losses: ``(n,)`` for 1-D, ``(m, n)`` for 2-D (rows follow ``betas``).
        directions: the directions, each a list of arrays shaped like the parameters.
        path: ``(k, 2)`` coordinates of a training trajectory in the plane, if projected.
        explained: the fraction of the trajectory's variance each PCA direction explains.

    >>> import numpy as np
    >>> land = Landscape(np.linspace(-1, 1, 3), None, np.array([1.0, 0.0, 1.0]), [])
    >>> land.losses[land.alphas == 0].item()
    0.0
    """

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray
    directions: list[Direction]
    path: np.ndarray | None = None
    explained: np.ndarray | None = None


def _arrays(params: Sequence[Tensor], where: str) -> list[Tensor]:
    params = list(params)
    if not params or not all(isinstance(p, Tensor) for p in params):
        raise TypeError(f"{where}: params must be a non-empty list of Tensors (model.parameters())")
    return params


def filter_normalized_direction(params: Sequence[Tensor], *, ignore_1d: bool = True) -> Direction:
    """A random direction shaped like ``params``, each filter scaled to the weights' filter norm.

    A filter is one output unit: a column of a ``(in, out)`` dense kernel, one ``filters`` slice
    of a ``(filters, in, kh, kw)`` convolution kernel. Biases and other 1-D parameters get a zero
    direction when ``ignore_1d`` (as in Li et al.), else are scaled as a whole. Draws from
    ``dc.seed``'s generator.

    >>> import descend as dc, numpy as np
    >>> dc.seed(0)
    >>> k = dc.tensor(np.ones((3, 2)))
    >>> d = filter_normalized_direction([k])[0]
    >>> np.linalg.norm(d, axis=0).round(6).tolist()     # each column's norm = sqrt(3)
    [1.732051, 1.732051]
    """
    arrays = [p.data for p in _arrays(params, "filter_normalized_direction")]
    return _filter_normalized(arrays, ignore_1d=ignore_1d)


def _filter_normalized(weights: Sequence[ArrayLike], *, ignore_1d: bool) -> Direction:
    direction = []
    for array in weights:
        w = np.asarray(array, dtype=np.float64)
        d = backend.rng().standard_normal(w.shape)
        if w.ndim <= 1:
            d = np.zeros_like(w) if ignore_1d else d * np.linalg.norm(w) / (np.linalg.norm(d)
                                                                           + 1e-12)
        else:
            axis = w.ndim - 1 if w.ndim == 2 else 0
            reduce = tuple(i for i in range(w.ndim) if i != axis)
            d_norm = np.sqrt((d * d).sum(axis=reduce, keepdims=True))
            w_norm = np.sqrt((w * w).sum(axis=reduce, keepdims=True))
            d = d * w_norm / (d_norm + 1e-12)
        direction.append(d)
    return direction


@contextlib.contextmanager
def _moved(params: list[Tensor], base: list[np.ndarray]) -> Iterator[Callable[..., None]]:
    """Yield ``move(*offsets)`` that sets each parameter to base + offset; restore at the end."""
    saved = [np.array(p.data) for p in params]

    def move(offsets: list[np.ndarray]) -> None:
        for p, b, o in zip(params, base, offsets):
            np.copyto(p.data, b + o, casting="unsafe")

    try:
        with no_grad():
            yield move
    finally:
        for p, s in zip(params, saved):
            np.copyto(p.data, s)


def unit_direction(params: Sequence[Tensor], which: int, index: int | tuple[int, ...] = ()
                   ) -> Direction:
    """The direction that moves one chosen weight only: entry ``index`` of ``params[which]``.

    Two of them slice the loss through two chosen weights of any model.

    >>> import descend as dc
    >>> k, b = dc.ones((2, 3), requires_grad=True), dc.zeros(3, requires_grad=True)
    >>> d = unit_direction([k, b], 0, (1, 2))
    >>> d[0].tolist(), d[1].tolist()
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [0.0, 0.0, 0.0])
    """
    params = _arrays(params, "unit_direction")
    if not isinstance(which, int) or not -len(params) <= which < len(params):
        raise ValueError(f"unit_direction: which must pick one of the {len(params)} "
                         f"parameters, got {which!r}")
    direction = [np.zeros(p.shape) for p in params]
    try:
        direction[which][index] = 1.0
    except (IndexError, ValueError):
        raise ValueError(f"unit_direction: index {index!r} does not pick one entry of parameter "
                         f"{which}, whose shape is {params[which].shape}") from None
    return direction


def _check_direction(params: list[Tensor], direction: Sequence[ArrayLike], where: str
                     ) -> Direction:
    direction = [np.asarray(d, dtype=np.float64) for d in direction]
    shapes = [p.shape for p in params]
    if [d.shape for d in direction] != shapes:
        raise ValueError(f"{where}: a direction must have one array per parameter with the same "
                         f"shapes {shapes}, got {[d.shape for d in direction]}")
    return direction


def _grid(span: float, steps: int, where: str) -> np.ndarray:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"{where}: steps must be an integer of at least 2, got {steps!r}")
    if not span > 0:
        raise ValueError(f"{where}: span must be positive, got {span!r}")
    return np.linspace(-span, span, steps)


def loss_landscape_1d(loss_fn: LossFn, params: Sequence[Tensor], *,
                      direction: Sequence[ArrayLike] | None = None, span: float = 1.0,
                      steps: int = 41) -> Landscape:
    """The loss at ``θ + α·d`` for ``steps`` values of α in ``[−span, span]``.

    Args:
        loss_fn: computes the loss of the model as it currently is (no arguments).
        params: the parameter tensors (``model.parameters()``); restored afterwards.
        direction: the direction ``d`` (default: filter-normalised random).
        span: how far to go each way, in units of ``d``.
        steps: how many points.

    >>> import descend as dc
    >>> w = dc.tensor([3.0], requires_grad=True)
    >>> land = dc.lab.loss_landscape_1d(lambda: (w * w).sum(), [w], direction=[[1.0]], steps=3)
    >>> land.losses.tolist()
    [4.0, 9.0, 16.0]
    """
    params = _arrays(params, "loss_landscape_1d")
    alphas = _grid(span, steps, "loss_landscape_1d")
    d = (filter_normalized_direction(params, ignore_1d=False) if direction is None
         else _check_direction(params, direction, "loss_landscape_1d"))
    base = [np.array(p.data, dtype=np.float64) for p in params]
    losses = np.empty(steps)
    with _moved(params, base) as move:
        for i, a in enumerate(alphas):
            move([a * di for di in d])
            losses[i] = float(loss_fn())
    return Landscape(alphas, None, losses, [d])


def _plane(loss_fn: LossFn, params: list[Tensor], base: list[np.ndarray],
           directions: list[Direction], alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    d, e = directions
    losses = np.empty((betas.size, alphas.size))
    with _moved(params, base) as move:
        for j, b in enumerate(betas):
            for i, a in enumerate(alphas):
                move([a * di + b * ei for di, ei in zip(d, e)])
                losses[j, i] = float(loss_fn())
    return losses


def loss_landscape_2d(loss_fn: LossFn, params: Sequence[Tensor], *,
                      directions: Sequence[Sequence[ArrayLike]] | None = None, span: float = 1.0,
                      steps: int = 21) -> Landscape:
    """The loss at ``θ + α·d + β·e`` on a ``steps`` × ``steps`` grid over ``[−span, span]²``.

    Args:
        loss_fn: computes the loss of the model as it currently is (no arguments).
        params: the parameter tensors; restored afterwards.
        directions: ``(d, e)`` (default: two filter-normalised random directions).
        span: how far to go each way.
        steps: points per axis (the cost is ``steps²`` evaluations of ``loss_fn``).

    >>> import descend as dc
    >>> w = dc.tensor([1.0, 2.0], requires_grad=True)
    >>> land = dc.lab.loss_landscape_2d(lambda: (w * w).sum(), [w], steps=3,
    ...                                 directions=[[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> land.losses.tolist()           # rows: β = -1, 0, 1 (along w[1]); columns: α (w[0])
    [[1.0, 2.0, 5.0], [4.0, 5.0, 8.0], [9.0, 10.0, 13.0]]
    """
    params = _arrays(params, "loss_landscape_2d")
    grid = _grid(span, steps, "loss_landscape_2d")
    if directions is None:
        dirs = [filter_normalized_direction(params) for _ in range(2)]
    elif len(directions) != 2:
        raise ValueError(f"loss_landscape_2d: directions must be two, got {len(directions)}")
    else:
        dirs = [_check_direction(params, d, "loss_landscape_2d") for d in directions]
    base = [np.array(p.data, dtype=np.float64) for p in params]
    return Landscape(grid, grid, _plane(loss_fn, params, base, dirs, grid, grid), dirs)


def _flatten(snapshots: Sequence[Sequence[ArrayLike]], where: str
             ) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """``(k, n)`` rows of all weights of each snapshot, and the parameter shapes."""
    if len(snapshots) < 3:
        raise ValueError(f"{where}: need at least 3 snapshots, got {len(snapshots)}")
    shapes = [np.shape(a) for a in snapshots[-1]]
    if any([np.shape(a) for a in snap] != shapes for snap in snapshots):
        raise ValueError(f"{where}: every snapshot must have the same parameter shapes")
    flat = np.stack([np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in snap])
                     for snap in snapshots])
    return flat, shapes


def _unflatten(vector: np.ndarray, shapes: list[tuple[int, ...]]) -> Direction:
    sizes = np.cumsum([int(np.prod(sh)) for sh in shapes])[:-1]
    return [part.reshape(sh) for part, sh in zip(np.split(vector, sizes), shapes)]


def pca_directions(snapshots: Sequence[Sequence[ArrayLike]]) -> tuple[list[Direction],
                                                                        np.ndarray, np.ndarray]:
    """The first two principal directions of a trajectory of weights, centred on the last.

    Args:
        snapshots: the weights at successive times, each a list of arrays (one per parameter).

    Returns:
        ``(directions, path, explained)``: the two directions (lists of arrays shaped like the
        parameters, unit norm over all of them), the ``(k, 2)`` coordinates of every snapshot
        relative to the last, and the fraction of variance each direction explains.

    >>> import numpy as np
    >>> snaps = [[np.array([t, 2 * t])] for t in (3.0, 2.0, 1.0, 0.0)]   # a straight line
    >>> dirs, path, explained = pca_directions(snaps)
    >>> explained.round(6).tolist(), path[:, 0].round(4).tolist()[:2]
    ([1.0, 0.0], [6.7082, 4.4721])
    """
    flat, shapes = _flatten(snapshots, "pca_directions")
    centred = flat - flat[-1]
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    if vt.shape[0] < 2:
        raise ValueError("pca_directions: the weights need at least 2 entries in all")
    sign = np.where(centred[0] @ vt[:2].T < 0, -1.0, 1.0)
    axes = vt[:2] * sign[:, None]
    variance = s**2
    explained = variance[:2] / max(variance.sum(), 1e-300)
    return [_unflatten(ax, shapes) for ax in axes], centred @ axes.T, explained


def project_path(snapshots: Sequence[Sequence[ArrayLike]],
                 directions: Sequence[Sequence[ArrayLike]]) -> np.ndarray:
    """The ``(k, 2)`` coordinates ``(α, β)`` of each snapshot on the plane through the last one.

    The plane is spanned by the two ``directions`` (need not be orthogonal); each snapshot
    ``θ`` is mapped to the ``(α, β)`` whose point ``θ_last + α·d + β·e`` is nearest to it (least
    squares), so the last snapshot is at ``(0, 0)``.

    >>> import numpy as np
    >>> snaps = [[np.array([2.0, 1.0, 5.0])], [np.array([1.0, 0.0, 3.0])],
    ...          [np.array([0.0, 0.0, 0.0])]]
    >>> project_path(snaps, [[np.array([1.0, 0.0, 0.0])], [np.array([0.0, 1.0, 0.0])]])
    array([[2., 1.],
           [1., 0.],
           [0., 0.]])
    """
    flat, _ = _flatten(snapshots, "project_path")
    if len(directions) != 2:
        raise ValueError(f"project_path: directions must be two, got {len(directions)}")
    basis = np.stack([np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in d])
                      for d in directions])
    if basis.shape[1] != flat.shape[1]:
        raise ValueError(f"project_path: the directions have {basis.shape[1]} entries, the "
                         f"snapshots {flat.shape[1]}; both must be shaped like the parameters")
    coefficients, *_ = np.linalg.lstsq(basis.T, (flat - flat[-1]).T, rcond=None)
    return coefficients.T


def _path_plane(params: list[Tensor], snapshots: Sequence[Sequence[ArrayLike]],
                directions: str | Sequence[Sequence[ArrayLike]]) -> list[Direction]:
    """The two directions of a non-PCA plane: filter-normalised random ones, or given ones."""
    if isinstance(directions, str):
        if directions != "filter":
            raise ValueError(f"trajectory_landscape: directions must be 'pca', 'filter' or two "
                             f"directions, got {directions!r}")
        return [_filter_normalized(snapshots[-1], ignore_1d=True) for _ in range(2)]
    if len(directions) != 2:
        raise ValueError(f"trajectory_landscape: directions must be two, got {len(directions)}")
    return [_check_direction(params, d, "trajectory_landscape") for d in directions]


def trajectory_landscape(loss_fn: LossFn, params: Sequence[Tensor],
                         snapshots: Sequence[Sequence[ArrayLike]], *,
                         directions: str | Sequence[Sequence[ArrayLike]] = "pca",
                         steps: int = 21, margin: float = 0.25, span: float | None = None
                         ) -> Landscape:
    """The loss on a plane through the last snapshot, with the training path projected onto it.

    With ``directions="pca"`` the plane is the one the path moved in most: its first two
    principal components. ``"filter"`` takes two filter-normalised random directions (scaled
    to the last snapshot's weights), as :func:`loss_landscape_2d` does; in a space of many
    weights they are almost orthogonal to the path, which then looks short. The grid covers
    the path plus ``margin`` of its extent on every side, and at least ``[−span, span]²``.

    Args:
        loss_fn: computes the loss of the model as it currently is (no arguments).
        params: the parameter tensors; restored afterwards.
        snapshots: the weights saved during training (each a list of arrays, first to last).
        directions: ``"pca"``, ``"filter"`` or two directions (each a list of arrays shaped
            like the parameters).
        steps: grid points per axis.
        margin: extra room around the path, as a fraction of its extent.
        span: the least half-width of the grid (default: none for ``"pca"``, 1 otherwise).

    Returns:
        A :class:`Landscape` with ``path`` (``(k, 2)``, the last snapshot at ``(0, 0)``) and,
        for PCA, ``explained``.

    >>> import descend as dc, numpy as np
    >>> w = dc.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    >>> snaps = [[np.array([2.0 ** -k, 3.0 ** -k])] for k in range(6)]
    >>> land = dc.lab.trajectory_landscape(lambda: (w * w).sum(), [w], snaps, steps=5)
    >>> land.losses.shape, land.path.shape, round(float(land.explained.sum()), 6)
    ((5, 5), (6, 2), 1.0)
    """
    params = _arrays(params, "trajectory_landscape")
    _grid(1.0, steps, "trajectory_landscape")
    shapes = [p.shape for p in params]
    if snapshots and [np.shape(a) for a in snapshots[-1]] != shapes:
        raise ValueError(f"trajectory_landscape: the snapshots have parameter shapes "
                         f"{[np.shape(a) for a in snapshots[-1]]}, the params {shapes}")
    if isinstance(directions, str) and directions == "pca":
        dirs, path, explained = pca_directions(snapshots)
    else:
        dirs = _path_plane(params, snapshots, directions)
        path, explained = project_path(snapshots, dirs), None
        span = 1.0 if span is None else span
    lo, hi = path.min(axis=0), path.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-8)
    lo, hi = lo - pad, hi + pad
    if span is not None:
        if not span > 0:
            raise ValueError(f"trajectory_landscape: span must be positive, got {span!r}")
        lo, hi = np.minimum(lo, -span), np.maximum(hi, span)
    alphas, betas = (np.linspace(lo[i], hi[i], steps) for i in range(2))
    base = [np.asarray(a, dtype=np.float64) for a in snapshots[-1]]
    losses = _plane(loss_fn, params, base, dirs, alphas, betas)
    return Landscape(alphas, betas, losses, dirs, path, explained)
