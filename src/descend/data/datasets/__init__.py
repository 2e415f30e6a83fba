"""Ready-made data sets (``dc.datasets``): Boston Housing and 8×8 digits ship inside the
package; MNIST and Fashion-MNIST are read from the standard IDX files (downloaded once).

>>> import descend.data.datasets as datasets
>>> (x_train, y_train), (x_test, y_test) = datasets.load_boston_housing()
>>> x_train.shape, y_test.shape
((333, 12), (173, 1))
"""

from descend.data.datasets.mnist import (
    FASHION_MNIST,
    FASHION_MNIST_CLASSES,
    MNIST,
    load_fashion_mnist,
    load_mnist,
)
from descend.data.datasets.packaged import (
    BOSTON_FEATURE_DESCRIPTIONS,
    BOSTON_FEATURE_NAMES,
    load_boston_housing,
    load_digits,
)

__all__ = [
    "BOSTON_FEATURE_DESCRIPTIONS", "BOSTON_FEATURE_NAMES", "FASHION_MNIST",
    "FASHION_MNIST_CLASSES", "MNIST", "load_boston_housing", "load_digits",
    "load_fashion_mnist", "load_mnist",
]
