"""Proof that fit trains: Boston Housing linear regression and an MLP on the 8×8 digits.

The Boston recipe is the tfjs-examples one, as in shared/data/boston-housing/README.md:
z-scores from the training features, plain SGD lr 0.01, batch 40, 200 epochs, the last 20%
of the training rows for validation. That README's plain-NumPy reference on this split gives
train MSE 16.02, validation MSE 48.21 and test MSE 28.60 (28.48..28.73 over 5 seeds), against
82.96 for always predicting the training mean.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import descend as dc


@pytest.fixture(scope="module")
def boston():
    (x_train, y_train), (x_test, y_test) = dc.datasets.load_boston_housing()
    scaler = dc.data.Standardizer().fit(x_train)
    return (scaler.transform(x_train), y_train), (scaler.transform(x_test), y_test)


def test_boston_linear_regression_beats_the_baseline_as_the_reference_does(boston):
    (x_train, y_train), (x_test, y_test) = boston
    baseline = float(np.mean((y_test - y_train.mean()) ** 2))
    assert baseline == pytest.approx(82.96, abs=0.01)
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=12)])
    model.compile(dc.optim.SGD(lr=0.01), "mse")
    history = model.fit(x_train, y_train, batch_size=40, epochs=200, validation_split=0.2,
                        verbose=0, seed=0)
    test_mse = model.evaluate(x_test, y_test, batch_size=40)["loss"]
    assert test_mse < 35 and test_mse < baseline / 2.5
    assert 27.5 < test_mse < 29.8  # the reference: 28.48..28.73
    assert history.history["loss"][-1] == pytest.approx(16.02, rel=0.05)
    assert history.history["val_loss"][-1] == pytest.approx(48.21, rel=0.05)
    assert history.history["loss"][0] > 10 * history.history["loss"][-1]  # it did learn


def test_an_mlp_reaches_95_percent_on_the_digits_within_a_minute_on_one_core():
    x, y = dc.datasets.load_digits()
    x_train, x_test, y_train, y_test = dc.data.train_test_split(x, y, test_size=0.25, seed=0,
                                                                stratify=y)
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(64, activation="relu", input_dim=64),
                           dc.nn.Dense(10, activation="softmax")])
    model.compile(dc.optim.Adam(lr=3e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0, seed=0)
        scores = model.evaluate(x_test, y_test)
    elapsed = time.perf_counter() - start
    assert scores["accuracy"] >= 0.95, scores
    assert elapsed < 60, f"took {elapsed:.1f} s"
    predicted = model.predict(x_test).argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(scores["accuracy"])
