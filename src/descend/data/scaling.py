"""Feature scaling fitted on training data: Standardizer (z-score) and MinMaxScaler.

Both learn per-feature statistics from the training set only and apply the same affine map,
``(x - offset_) / scale_``, to any later data (validation, test, a single new sample), so no
information leaks from the test set. Their state is a dict of plain NumPy arrays that a model
file can carry next to the weights.

>>> import numpy as np
>>> from descend.data import Standardizer
>>> x_train = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> sc = Standardizer().fit(x_train)
>>> sc.mean_, sc.std_
(array([ 2., 20.]), array([ 1., 10.]))
>>> sc.transform(np.array([[2.0, 40.0]]))
array([[0., 2.]])
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np

from descend.backend import get_default_dtype
from descend.data.validation import as_numeric, as_samples, check_finite


def _describe(constant: np.ndarray) -> str:
    """Name the columns flagged in ``constant`` (shape ``x.shape[1:]``) for a warning."""
    if constant.ndim == 0:
        return "the feature has"
    where = [int(i[0]) if len(i) == 1 else tuple(int(j) for j in i) for i in np.argwhere(constant)]
    return f"feature column(s) {where} have"


def _divisor(spread: np.ndarray) -> np.ndarray:
    """``spread`` with 0 replaced by 1: constant columns are not scaled."""
    return np.where(spread == 0, 1.0, spread)


class _AffineScaler:
    """Per-feature ``(x - offset_) / scale_``, with the statistics fitted on training data."""

    _state_keys: tuple[str, ...] = ()
    _stretch_word = "scaled"

    def __init__(self) -> None:
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    # subclasses: set offset_, scale_ and their statistics from x (float64) and the mask of
    # columns whose training values are all equal
    def _fit(self, x: np.ndarray, constant: np.ndarray) -> None:
        raise NotImplementedError

    def _where(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def fit(self, x: Any) -> Self:
        """Learn the per-feature statistics from training data ``x`` of shape ``(n, ...)``.

        Statistics are taken over axis 0, so ``x`` of shape ``(n, features)`` gives
        ``(features,)`` arrays. Returns the scaler itself, so ``Standardizer().fit(x)`` chains.

        Raises:
            ValueError: if ``x`` is empty or holds NaN/inf.

        Warns:
            UserWarning: naming the columns whose training values are all equal.

        >>> import numpy as np, warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     sc = Standardizer().fit(np.array([[1.0, 4.0], [3.0, 4.0]]))
        >>> sc.std_, sc.scale_
        (array([1., 0.]), array([1., 1.]))
        >>> print(caught[0].message)
        Standardizer.fit: feature column(s) [1] have zero variance (every training value ...
        """
        x = as_samples(x, "x", self._where("fit")).astype(np.float64)
        # "all values equal", not "std == 0": the float std of [0.1, 0.1, 0.1] is 1e-17
        constant = np.ptp(x, axis=0) == 0
        self._fit(x, constant)
        if constant.any():
            warnings.warn(
                f"{self._where('fit')}: {_describe(constant)} zero variance (every training "
                f"value is the same); they are shifted but not {self._stretch_word} "
                "(divided by 1)",
                UserWarning,
                stacklevel=2,
            )
        return self

    def _require_fitted(self, method: str) -> None:
        if self.scale_ is None:
            raise RuntimeError(
                f"{self._where(method)}: this {type(self).__name__} is not fitted yet; call "
                "fit(x_train) first"
            )

    def _checked(self, x: Any, method: str) -> np.ndarray:
        self._require_fitted(method)
        where = self._where(method)
        array = as_numeric(x, "x", where)
        check_finite(array, "x", where)
        expected, got = self.scale_.shape, array.shape[1:]
        if array.ndim == 0 or got != expected:
            if len(expected) == 1 and array.ndim == 2:
                raise ValueError(
                    f"{where}: x has {got[0]} features per sample but the scaler was fitted on "
                    f"{expected[0]}; expected shape (n, {expected[0]}), got {array.shape}"
                )
            raise ValueError(
                f"{where}: x has samples of shape {got} but the scaler was fitted on samples "
                f"of shape {expected}; got x of shape {array.shape}"
            )
        return array

    @staticmethod
    def _result(values: np.ndarray, like: np.ndarray) -> np.ndarray:
        dtype = like.dtype if like.dtype.kind == "f" else get_default_dtype()
        return values.astype(dtype, copy=False)

    def transform(self, x: Any) -> np.ndarray:
        """Scale ``x`` of shape ``(n, ...)`` with the fitted statistics.

        Returns an array of the same shape: float inputs keep their dtype, integer inputs
        become the default float dtype (float32).

        Raises:
            RuntimeError: before :meth:`fit`.
            ValueError: if the samples' shape differs from the training data's, or ``x``
                holds NaN/inf.

        >>> import numpy as np
        >>> sc = MinMaxScaler().fit(np.array([[0.0], [10.0]]))
        >>> sc.transform(np.array([[2.5], [20.0]]))
        array([[0.25],
               [2.  ]])
        >>> Standardizer().transform(np.zeros((1, 2)))
        Traceback (most recent call last):
        ...
        RuntimeError: Standardizer.transform: this Standardizer is not fitted yet; call ...
        """
        array = self._checked(x, "transform")
        return self._result((array - self.offset_) / self.scale_, array)

    def fit_transform(self, x: Any) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``: for the training data only.

        >>> import numpy as np
        >>> Standardizer().fit_transform(np.array([1.0, 3.0]))
        array([-1.,  1.])
        """
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Map scaled values back to the original units (``x * scale_ + offset_``).

        >>> import numpy as np
        >>> sc = Standardizer().fit(np.array([[10.0], [30.0]]))
        >>> sc.inverse_transform(np.array([[0.5]]))
        array([[25.]])
        """
        array = self._checked(x, "inverse_transform")
        return self._result(array * self.scale_ + self.offset_, array)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The fitted statistics as plain float64 arrays (safe to store in a safetensors file).

        >>> import numpy as np
        >>> Standardizer().fit(np.array([[1.0], [3.0]])).state_dict()
        {'mean': array([2.]), 'std': array([1.])}
        """
        self._require_fitted("state_dict")
        return {key: np.array(getattr(self, f"{key}_"), dtype=np.float64)
                for key in self._state_keys}

    def _state_arrays(self, state: dict[str, Any]) -> list[np.ndarray]:
        where = self._where("from_state_dict")
        if not isinstance(state, dict) or set(state) != set(self._state_keys):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{where}: expected the keys {sorted(self._state_keys)}, got {got}")
        arrays = [as_numeric(state[key], key, where).astype(np.float64)
                  for key in self._state_keys]
        for key, array in zip(self._state_keys, arrays):
            check_finite(array, key, where)
        return arrays


class Standardizer(_AffineScaler):
    """Z-score scaling: ``(x - mean_) / std_`` per feature, statistics from the training set.

    ``std_`` is the population standard deviation (``ddof=0``: the mean of squared deviations,
    no Bessel correction), as TensorFlow.js's ``boston-housing`` normalisation computes it. A
    feature whose training values are all equal has ``std_ == 0``; it is centred but left
    unscaled (divided by 1), and :meth:`fit` warns naming the column.

    Attributes:
        mean_: per-feature mean, shape ``x.shape[1:]`` (``(features,)``), float64.
        std_: per-feature population standard deviation, same shape.
        offset_, scale_: what ``transform`` uses: ``mean_`` and ``std_`` with 0 replaced by 1.

    >>> import numpy as np
    >>> sc = Standardizer()
    >>> z = sc.fit_transform(np.array([[0.0], [2.0], [4.0]], dtype=np.float32))
    >>> z.ravel(), z.dtype
    (array([-1.2247449,  0.       ,  1.2247449], dtype=float32), dtype('float32'))
    >>> sc.inverse_transform(z).ravel()
    array([0., 2., 4.], dtype=float32)
    >>> Standardizer.from_state_dict(sc.state_dict()).mean_
    array([2.])
    """

    _state_keys = ("mean", "std")

    def __init__(self) -> None:
        super().__init__()
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def _fit(self, x: np.ndarray, constant: np.ndarray) -> None:
        self._use(x.mean(axis=0), np.where(constant, 0.0, x.std(axis=0)))

    def _use(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean_, self.std_ = mean, std
        self.offset_, self.scale_ = mean, _divisor(std)

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Standardizer:
        """A fitted Standardizer from :meth:`state_dict`'s ``{"mean": ..., "std": ...}``.

        >>> import numpy as np
        >>> sc = Standardizer.from_state_dict({"mean": np.zeros(2), "std": np.full(2, 2.0)})
        >>> sc.transform(np.array([[4.0, -2.0]]))
        array([[ 2., -1.]])
        """
        scaler = cls()
        mean, std = scaler._state_arrays(state)
        if mean.shape != std.shape or (std < 0).any():
            raise ValueError(
                f"Standardizer.from_state_dict: mean {mean.shape} and std {std.shape} must have "
                "the same shape and std must be non-negative"
            )
        scaler._use(mean, std)
        return scaler


def _checked_range(feature_range: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in feature_range)
    except (TypeError, ValueError):
        raise TypeError(
            f"MinMaxScaler: feature_range must be a pair of numbers (low, high), "
            f"got {feature_range!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"MinMaxScaler: feature_range must be finite with low < high, got {feature_range!r}"
        )
    return low, high


class MinMaxScaler(_AffineScaler):
    """Rescale each feature linearly so the training minimum and maximum map to ``feature_range``.

    ``x_scaled = low + (x - data_min_) * (high - low) / (data_max_ - data_min_)``. Later data
    can fall outside ``feature_range``; it is not clipped. A feature whose training values are
    all equal maps to ``low`` (shifted, divided by 1), and :meth:`fit` warns naming the column.

    Args:
        feature_range: the ``(low, high)`` target interval, ``low < high``.

    Attributes:
        data_min_, data_max_: per-feature training minimum and maximum, shape ``x.shape[1:]``.

    >>> import numpy as np
    >>> MinMaxScaler(feature_range=(-1, 1)).fit_transform(np.array([[0.0], [5.0], [10.0]]))
    array([[-1.],
           [ 0.],
           [ 1.]])
    """

    _state_keys = ("data_min", "data_max", "feature_range")
    _stretch_word = "stretched"

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        self.feature_range = _checked_range(feature_range)
        self.data_min_: np.ndarray | None = None
        self.data_max_: np.ndarray | None = None

    @property
    def feature_range_(self) -> np.ndarray:
        """``feature_range`` as an array, as stored by :meth:`state_dict`."""
        return np.array(self.feature_range)

    def _use(self, data_min: np.ndarray, data_max: np.ndarray) -> None:
        low, high = self.feature_range
        self.data_min_, self.data_max_ = data_min, data_max
        self.scale_ = _divisor((data_max - data_min) / (high - low))
        self.offset_ = data_min - low * self.scale_

    def _fit(self, x: np.ndarray, constant: np.ndarray) -> None:
        self._use(x.min(axis=0), x.max(axis=0))

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> MinMaxScaler:
        """A fitted MinMaxScaler from :meth:`state_dict`'s arrays.

        >>> import numpy as np
        >>> sc = MinMaxScaler().fit(np.array([[0.0], [4.0]]))
        >>> MinMaxScaler.from_state_dict(sc.state_dict()).transform(np.array([[1.0]]))
        array([[0.25]])
        """
        data_min, data_max, feature_range = cls()._state_arrays(state)
        if data_min.shape != data_max.shape or (data_min > data_max).any():
            raise ValueError(
                "MinMaxScaler.from_state_dict: data_min and data_max must have the same shape "
                "and data_min <= data_max"
            )
        scaler = cls(feature_range=tuple(feature_range.tolist()))
        scaler._use(data_min, data_max)
        return scaler
