"""Data utilities (``dc.data``): arrays in, mini-batches out.

Splitting (:func:`train_test_split`), scaling fitted on training data only
(:class:`Standardizer`, :class:`MinMaxScaler`), label encoding (:func:`one_hot`), aligned and
checked arrays served in reproducible shuffled batches (:class:`Dataset`,
:func:`batch_indices`), and ready-made data sets in :mod:`descend.data.datasets`.

>>> import descend as dc
>>> from descend.data import Dataset, Standardizer, train_test_split
>>> from descend.data.datasets import load_boston_housing
>>> (x_train, y_train), (x_test, y_test) = load_boston_housing()
>>> sc = Standardizer().fit(x_train)
>>> train = Dataset(sc.transform(x_train), y_train)
>>> xb, yb = next(train.batches(40, shuffle=True, seed=0))
>>> xb.shape, yb.shape
((40, 12), (40, 1))
"""

from __future__ import annotations

import importlib
from types import ModuleType

from descend.data.batching import as_generator, batch_indices, num_batches, sample_order
from descend.data.dataset import Dataset
from descend.data.encoding import one_hot
from descend.data.scaling import MinMaxScaler, Standardizer
from descend.data.split import train_test_split
from descend.data.validation import check_finite

__all__ = [
    "Dataset", "MinMaxScaler", "Standardizer", "as_generator", "batch_indices", "check_finite",
    "num_batches", "one_hot", "sample_order", "train_test_split",
]


def __getattr__(name: str) -> ModuleType:
    """``dc.data.datasets``, loaded on first use (it brings hashing and temporary files).

    >>> import descend as dc
    >>> dc.data.datasets.__name__
    'descend.data.datasets'
    """
    if name == "datasets":
        return importlib.import_module("descend.data.datasets")
    raise AttributeError(f"module 'descend.data' has no attribute {name!r}")
