"""The digits benchmark: fit, the bare loop and the torch loop train the same model alike."""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import entry, fake_run, load

fit_digits = load("fit_digits")


@pytest.fixture(scope="module")
def small():
    return fit_digits.workload(epochs=2, rows=96)      # 3 batches of 32 per epoch


def test_the_split_holds_out_a_stratified_fifth():
    x_train, x_test, _, y_test = fit_digits.split()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert np.bincount(y_test).min() >= 35


def test_fit_and_the_loop_train_to_the_same_weights_and_torch_follows(small):
    x_test = fit_digits.split()[1]
    initial = fit_digits.make_model().predict(x_test)
    loop = fit_digits.trained_predict("loop", small)(x_test)
    np.testing.assert_allclose(fit_digits.trained_predict("fit", small)(x_test), loop,
                               rtol=1e-5, atol=1e-6)
    assert np.abs(loop - initial).max() > 1e-3, "training must move the predictions"
    pytest.importorskip("torch")
    logits = fit_digits.trained_predict("torch", small)(x_test)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, loop, rtol=1e-3, atol=1e-5)


def test_accuracies_are_fractions_of_the_test_set(small):
    accuracy = fit_digits.accuracies(small)
    assert set(accuracy) >= {"loop", "fit"}
    assert all(0.0 <= a <= 1.0 for a in accuracy.values())
    assert accuracy["fit"] == accuracy["loop"]


def test_the_target_is_fits_overhead_and_the_table_shows_accuracy():
    run = fake_run({"digits": {"loop": entry(0.1), "fit": entry(0.104, ratio=1.04),
                               "torch": entry(0.15, ratio=1.5)}})
    row = run["rows"]["digits"]
    row["accuracy"], row["batches"] = {"loop": 0.95, "fit": 0.95, "torch": 0.948}, 450
    (target,) = fit_digits.targets({1: run})
    assert target.met() and target.values[1] == 1.04
    markdown = fit_digits.BENCH.markdown({1: run})
    assert "222 µs / 231 µs / 333 µs | 95.0% / 95.0% / 94.8% |" in markdown
