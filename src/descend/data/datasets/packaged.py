"""Small data sets shipped inside the package: Boston Housing (12 features) and 8×8 digits.

The files live in ``descend/data/files/`` with a ``PROVENANCE.md`` each; their sha256 values
are checked on every load, so a damaged installation fails loudly instead of training on
wrong numbers. No network is used.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from importlib import resources

import numpy as np

BOSTON_FEATURE_NAMES = ("crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax",
                        "ptratio", "lstat")
"""Column codes of the 12 Boston Housing features, in column order (``B`` dropped)."""

BOSTON_FEATURE_DESCRIPTIONS = (
    "Crime rate", "Land zone size", "Industrial proportion", "Next to river",
    "Nitric oxide concentration", "Number of rooms per house", "Age of housing",
    "Distance to commute", "Distance to highway", "Tax rate", "School class size",
    "School drop-out rate",
)
"""TensorFlow.js's ``featureDescriptions`` for the same columns (its last label, "School
drop-out rate", is how tfjs-examples names LSTAT, the % lower-status population)."""

_SHA256 = {
    "boston_housing/train-data.csv":
        "ee3d989cf9b6347e1af60b4012d82f35fa6f9d913101ef75c8b2431c03434977",
    "boston_housing/train-target.csv":
        "891c5d7098a4588adb2431e616951f4c93b15451df1499933307554276902ef4",
    "boston_housing/test-data.csv":
        "9b0c14008774600d1586a1ba12ffeb6766a1f14a4a77cfefc6cdbd327929c4e4",
    "boston_housing/test-target.csv":
        "28efffb2abbe2fc7234b3b8ab5e6be0455a907594536be0562d264de9357903d",
    "digits/digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
}


def packaged_bytes(name: str) -> bytes:
    """The bytes of ``descend/data/files/<name>``, after checking their sha256.

    >>> len(packaged_bytes("digits/digits.csv.gz"))
    57523
    """
    data = (resources.files("descend.data") / "files" / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != _SHA256[name]:
        raise ValueError(
            f"descend's packaged file data/files/{name} is damaged (sha256 {digest}, expected "
            f"{_SHA256[name]}); reinstall descend"
        )
    return data


def _csv(name: str, header: tuple[str, ...]) -> np.ndarray:
    text = packaged_bytes(name).decode("ascii")
    first, _, body = text.partition("\n")
    if tuple(first.strip().split(",")) != header:
        raise ValueError(f"data/files/{name}: header {first!r}, expected {','.join(header)}")
    return np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float32, ndmin=2)


def load_boston_housing() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Boston Housing, 12 features, the 333/173 train/test split of the TensorFlow.js demo.

    Predict ``medv``, the median home value of a Boston-area town in $1000s (capped at 50),
    from 12 features: :data:`BOSTON_FEATURE_NAMES` (codes) and
    :data:`BOSTON_FEATURE_DESCRIPTIONS` (the tfjs-examples labels), in column order.

    Provenance: the Harrison & Rubinfeld (1978) table as shipped in scikit-learn 1.1.3
    (BSD-3-Clause), 506 rows. The ``B`` column -- ``1000(Bk - 0.63)^2``, Bk the proportion of
    Black residents -- is dropped, as tfjs-examples does: it encodes the authors' assumption
    that racial self-segregation affects prices, and scikit-learn deprecated and removed the
    data set for that reason. Use it to learn regression mechanics, and read the data set's
    history before drawing conclusions from it.

    The split is a fixed stand-in: tfjs-examples downloads its split at run time and it
    could not be obtained, so these are 333 train and 173 test rows with the tfjs sizes and
    features, drawn by a seeded shuffle (``random.Random(20180724)``) -- not the tfjs rows.
    Numbers will be close to, not equal to, those of the tfjs demo.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``, float32: ``x_train`` ``(333, 12)``,
        ``y_train`` ``(333, 1)``, ``x_test`` ``(173, 12)``, ``y_test`` ``(173, 1)`` (targets
        are 2-D, like tfjs's ``tensor2d``). Features are raw; standardize them with
        :class:`descend.data.Standardizer` fitted on ``x_train``.

    >>> (x_train, y_train), (x_test, y_test) = load_boston_housing()
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape, x_train.dtype
    ((333, 12), (333, 1), (173, 12), (173, 1), dtype('float32'))
    >>> float(y_train.max())
    50.0
    """
    arrays = []
    for part in ("train", "test"):
        arrays.append((_csv(f"boston_housing/{part}-data.csv", BOSTON_FEATURE_NAMES),
                       _csv(f"boston_housing/{part}-target.csv", ("medv",))))
    return arrays[0], arrays[1]


def load_digits(*, as_images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 handwritten digits (1797 images, 10 classes), small enough for quick experiments.

    Provenance: scikit-learn's ``digits.csv.gz`` (BSD-3-Clause), the test set of the UCI
    "Optical Recognition of Handwritten Digits" data (13 writers; the training set's 30 are
    not included): 32×32 bitmaps counted in non-overlapping 4×4 blocks, so each pixel is
    0..16. There is no fixed train/test split; use :func:`descend.data.train_test_split`
    (with ``stratify=y`` for balanced classes).

    Args:
        as_images: return ``x`` as ``(1797, 1, 8, 8)`` NCHW images instead of flat rows.

    Returns:
        ``(x, y)``: ``x`` float32 ``(1797, 64)`` (row-major pixels) scaled to [0, 1]
        (divided by 16); ``y`` int64 ``(1797,)`` labels 0..9.

    >>> x, y = load_digits()
    >>> x.shape, x.dtype, float(x.max()), y.shape, y.dtype, y[:5].tolist()
    ((1797, 64), dtype('float32'), 1.0, (1797,), dtype('int64'), [0, 1, 2, 3, 4])
    >>> load_digits(as_images=True)[0].shape
    (1797, 1, 8, 8)
    """
    text = gzip.decompress(packaged_bytes("digits/digits.csv.gz")).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    x = (table[:, :64] / 16.0).astype(np.float32)
    y = table[:, 64].astype(np.int64)
    return (x.reshape(-1, 1, 8, 8) if as_images else x), y
