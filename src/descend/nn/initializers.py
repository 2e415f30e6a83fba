"""Initial values for parameters, by name (``"he_normal"``) or object (``HeNormal()``).

Definitions follow Keras. Variance-scaling initialisers use the fans of the kernel layout:
a Dense kernel ``(in, out)`` has fan_in = in and fan_out = out; a conv kernel
``(filters, in_channels, kh, kw)`` has fan_in = in_channels·kh·kw and fan_out = filters·kh·kw.
The ``*_normal`` ones draw from a normal truncated at two standard deviations, scaled up by
1 / 0.87962566103423978 so the result still has the intended variance. Every draw comes
from ``descend.backend.rng()``, so ``dc.seed(n)`` repeats it.

>>> import descend as dc
>>> dc.seed(0)
>>> w = dc.nn.initializers.get("he_normal")((256, 128))
>>> w.shape, w.dtype, round(float(w.var()) * 256, 1)       # variance ≈ 2 / fan_in
((256, 128), dtype('float32'), 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from descend import backend
from descend.config import Configurable, register_configurable
from descend.nn.registry import lookup

TRUNCATION_STD = 0.87962566103423978
"""The standard deviation of a unit normal truncated to [-2, 2]."""

InitializerLike = str | Callable[..., np.ndarray]


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel: ``(in, out)`` for 2-D, ``(out, in, *spatial)`` above.

    >>> compute_fans((13, 64)), compute_fans((32, 16, 3, 3))
    ((13, 64), (144, 288))
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def truncated_normal(shape: Sequence[int], stddev: float, mean: float = 0.0) -> np.ndarray:
    """Normal draws, each redrawn until within two standard deviations of the mean (float64).

    >>> bool((abs(truncated_normal((1000,), stddev=0.5)) <= 1.0).all())
    True
    """
    z = backend.rng().standard_normal(tuple(shape))
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = backend.rng().standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return mean + stddev * z


class Initializer(Configurable):
    """Base: ``init(shape, dtype=None)`` returns a new NumPy array of that shape.

    Subclasses implement :meth:`sample`, which draws float64 values.

    >>> class Halves(Initializer):
    ...     def sample(self, shape):
    ...         return np.full(shape, 0.5)
    >>> Halves()((2,), dtype="float64")
    array([0.5, 0.5])
    """

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        """Float64 values of ``shape``."""
        raise NotImplementedError

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        return np.asarray(self.sample(tuple(int(s) for s in shape)), dtype=dtype)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k[0] != "_")
        return f"{type(self).__name__}({options})"


@register_configurable
class Constant(Initializer):
    """Every value equal to ``value``.

    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def get_config(self) -> dict[str, Any]:
        if type(self).__init__ is not Constant.__init__:  # Zeros, Ones: no arguments
            return super().get_config()
        return {"value": self.value}

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.full(shape, self.value)


@register_configurable
class Zeros(Constant):
    """All zeros.

    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __init__(self) -> None:
        super().__init__(0.0)



@register_configurable
class Ones(Constant):
    """All ones.

    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __init__(self) -> None:
        super().__init__(1.0)



@register_configurable
class RandomNormal(Initializer):
    """Normal draws with ``mean`` and ``stddev`` (Keras defaults 0 and 0.05).

    >>> RandomNormal(stddev=1.0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = float(mean), float(stddev)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev}

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        return backend.rng().normal(self.mean, self.stddev, shape)


@register_configurable
class RandomUniform(Initializer):
    """Uniform draws in [minval, maxval) (Keras defaults -0.05 and 0.05).

    >>> bool((abs(RandomUniform()((100,))) <= 0.05).all())
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05) -> None:
        self.minval, self.maxval = float(minval), float(maxval)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval}

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        return backend.rng().uniform(self.minval, self.maxval, shape)


@register_configurable
class TruncatedNormal(Initializer):
    """Normal draws redrawn until within 2·stddev of the mean (Keras defaults 0 and 0.05).

    >>> bool((abs(TruncatedNormal(stddev=1.0)((1000,))) <= 2.0).all())
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = float(mean), float(stddev)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev}

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        return truncated_normal(shape, self.stddev, self.mean)


@register_configurable
class VarianceScaling(Initializer):
    """Values with variance ``scale / n``, n the fan chosen by ``mode`` (Keras).

    Args:
        scale: the variance numerator.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (their mean).
        distribution: ``"truncated_normal"`` (corrected to keep the variance) or ``"uniform"``
            (in ±sqrt(3·scale / n)).

    >>> VarianceScaling(2.0, "fan_in", "uniform")((4, 3)).shape
    (4, 3)
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal") -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', "
                             f"got {mode!r}")
        if distribution not in ("truncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: distribution must be 'truncated_normal' or "
                             f"'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def get_config(self) -> dict[str, Any]:
        if type(self).__init__ is not VarianceScaling.__init__:  # GlorotUniform, HeNormal, ...
            return super().get_config()  # (no arguments)
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}

    def __repr__(self) -> str:
        return super().__repr__() if type(self) is VarianceScaling else f"{type(self).__name__}()"

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return backend.rng().uniform(-limit, limit, shape)
        return truncated_normal(shape, math.sqrt(variance) / TRUNCATION_STD)


@register_configurable
class GlorotUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010); Dense's default.

    >>> GlorotUniform()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")


@register_configurable
class GlorotNormal(VarianceScaling):
    """Truncated normal with variance 2 / (fan_in + fan_out) (Glorot & Bengio, 2010).

    >>> GlorotNormal()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal")


@register_configurable
class HeUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / fan_in) (He et al., 2015), suited to ReLU layers.

    >>> HeUniform()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "uniform")


@register_configurable
class HeNormal(VarianceScaling):
    """Truncated normal with variance 2 / fan_in (He et al., 2015), suited to ReLU layers.

    >>> HeNormal()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal")


@register_configurable
class LecunUniform(VarianceScaling):
    """Uniform in ±sqrt(3 / fan_in) (LeCun et al., 1998).

    >>> LecunUniform()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "uniform")


@register_configurable
class LecunNormal(VarianceScaling):
    """Truncated normal with variance 1 / fan_in (LeCun et al., 1998), suited to SELU.

    >>> LecunNormal()((4, 3)).shape
    (4, 3)
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal")


@register_configurable
class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``: rows or columns orthonormal, whichever fit.

    The kernel is seen as the matrix ``(shape[0], prod(shape[1:]))``: ``(in, out)`` for a Dense
    kernel, ``(filters, in_channels·kh·kw)`` for a conv kernel.

    >>> w = Orthogonal()((3, 5), dtype="float64")
    >>> bool(np.allclose(w @ w.T, np.eye(3)))
    True
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape with at least 2 axes, got {shape}")
        rows, cols = shape[0], math.prod(shape[1:])
        a = backend.rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


_BY_NAME: dict[str, Callable[[], Initializer]] = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}


def get(identifier: InitializerLike) -> Callable[..., np.ndarray]:
    """An initializer from its name, or the object/callable ``(shape, dtype) -> array`` itself.

    >>> get("glorot_uniform"), get("random_normal")
    (GlorotUniform(), RandomNormal(mean=0.0, stddev=0.05))
    """
    found = lookup(identifier, _BY_NAME, "initializer",
                   "a name such as 'glorot_uniform' or an initializer object")
    return found() if isinstance(identifier, str) else found
