"""``descend.demo.boston``: the TF.js Boston Housing recipe lands in the reference ranges.

The ranges come from an independent plain-NumPy run of the same recipe on the same split
(``shared/data/boston-housing/reference_numbers.py``): baseline test MSE 82.96, linear SGD
≈ 28.6, one and two hidden layers ≈ 18.4 and ≈ 17.5.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import descend as dc
from descend.data.datasets import BOSTON_FEATURE_NAMES, load_boston_housing
from descend.demo import boston, plots


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda s: f"seed{s}")
def result(request):
    return boston.run(seed=request.param)


def test_baseline_is_the_train_mean_test_mse(result):
    assert result.baseline["test"].mse == pytest.approx(82.96, abs=0.1)
    (_, y_train), (_, y_test) = load_boston_housing()
    expected = np.mean((y_test.astype(np.float64) - y_train.astype(np.float64).mean()) ** 2)
    assert result.baseline["test"].mse == pytest.approx(expected, rel=1e-12)


def test_models_land_in_the_reference_ranges(result):
    linear = result.models["linear"].scores["test"].mse
    assert 25 <= linear <= 32
    for key in ("mlp1", "mlp2"):
        mse = result.models[key].scores["test"].mse
        assert 14 <= mse <= 23, key
        assert mse < linear, key
    assert linear < result.baseline["test"].mse / 2


def test_every_split_has_mse_and_mae_with_mae_below_rmse(result):
    assert result.rows == {"train": 266, "validation": 67, "test": 173}
    for model in result.models.values():
        assert set(model.scores) == {"train", "validation", "test"}
        for scores in model.scores.values():
            assert 0 < scores.mae <= np.sqrt(scores.mse)
        # the validation rows are what fit validated on: its last val_loss is their MSE
        assert model.history.history["val_loss"][-1] == pytest.approx(
            model.scores["validation"].mse, rel=1e-4)
        assert len(model.history.history["loss"]) == 200


def test_linear_weights_are_the_kernel_sorted_by_magnitude(result):
    dense = result.models["linear"].model[0]
    kernel = dense.kernel.data[:, 0]
    assert [w.code for w in result.weights] == [
        BOSTON_FEATURE_NAMES[i] for i in np.argsort(-np.abs(kernel), kind="stable")]
    assert sorted(abs(w.weight) for w in result.weights)[::-1] == \
        [abs(w.weight) for w in result.weights]
    assert result.bias == pytest.approx(float(dense.bias.data[0]))
    by_code = {w.code: w for w in result.weights}
    assert by_code["lstat"].description == "School drop-out rate"
    assert by_code["rm"].weight > 0 and by_code["lstat"].weight < 0  # rooms up, price up


def test_the_same_seed_repeats_and_a_model_alone_matches_the_full_run():
    alone = boston.run("mlp1", epochs=20, seed=3)
    again = boston.run(["linear", "mlp1"], epochs=20, seed=3)
    assert alone.models["mlp1"].scores == again.models["mlp1"].scores
    other = boston.run("mlp1", epochs=20, seed=4)
    assert other.models["mlp1"].scores != alone.models["mlp1"].scores
    assert list(again.models) == ["linear", "mlp1"] and not alone.weights


def test_other_optimizers_and_settings_are_used():
    result = boston.run("linear", epochs=30, optimizer="adam", lr=0.5, batch_size=333)
    model = result.models["linear"]
    assert type(model.model.optimizer).__name__ == "Adam"
    assert model.model.optimizer.param_groups[0]["lr"] == 0.5
    assert len(model.history.history["loss"]) == 30
    assert result.settings["batch_size"] == 333
    assert boston.run("linear", epochs=1, optimizer="adagrad").settings["lr"] is None


def test_table_is_aligned_and_lists_every_model(result):
    lines = result.table().splitlines()
    assert "MSE ($1000s²)" in lines[0] and "MAE ($1000s)" in lines[0]
    assert lines[1].split() == ["model", "params", "train", "val", "test", "train", "val",
                                "test"]
    assert [line.split("  ")[0] for line in lines[2:]] == [
        "baseline: train mean", "linear regression", "MLP 50 sigmoid", "MLP 50-50 sigmoid"]
    assert len({len(line) for line in lines[1:]}) == 1  # right-aligned numbers end together
    assert lines[3].split()[2:4] == ["13", f"{result.models['linear'].scores['train'].mse:.2f}"]
    assert "82.96" in lines[2]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"models": "cnn"}, "unknown model 'cnn'. Valid names: 'all', 'linear', 'mlp1', 'mlp2'"),
    ({"models": ["linear", "mlp3"]},
     "unknown model 'mlp3'. Did you mean 'mlp2' or 'mlp1'? Valid names: 'linear', 'mlp1', 'mlp2'"),
    ({"models": []}, "no model to train"),
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ({"lr": -1.0}, "lr must be a positive number, got -1.0"),
    ({"optimizer": "sdg"}, "unknown optimizer 'sdg'"),
    ({"validation_split": 1.0}, "validation_split must be a fraction between 0 and 1"),
])
def test_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        boston.run(**kwargs)


def test_an_optimizer_that_is_not_a_name_is_a_type_error():
    with pytest.raises(TypeError, match="optimizer must be a name such as 'sgd'"):
        boston.run(optimizer=dc.optim.Adam())


def test_plot_draws_one_panel_per_model_with_test_and_baseline_lines(tmp_path):
    pytest.importorskip("matplotlib")
    result = boston.run(["linear", "mlp2"], epochs=5)
    path = tmp_path / "curves.png"
    fig = plots.boston_curves(result, path)
    assert path.stat().st_size > 5000
    assert [ax.get_title() for ax in fig.axes] == ["linear regression", "MLP 50-50 sigmoid"]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["training", "validation",
                      f"test {result.models['linear'].scores['test'].mse:.1f}",
                      f"baseline test {result.baseline['test'].mse:.1f}"]
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
