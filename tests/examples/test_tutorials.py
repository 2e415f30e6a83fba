"""Every tutorial script runs, prints what its page says and draws real pictures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from viz.conftest import check_picture

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def tutorial(number: str):
    """Import ``examples/tutorial_<number>_*.py`` as a module."""
    (script,) = EXAMPLES.glob(f"tutorial_{number}_*.py")
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_01_by_hand_finds_the_least_squares_line(tmp_path, capsys):
    result = tutorial("01").main(tmp_path)
    minimum = dc.lab.LinearRegression().minimum
    np.testing.assert_allclose(result["params"][-1], minimum, atol=1e-3)
    assert "guess kernel  2.0, bias -1.0: loss 0.042" in capsys.readouterr().out
    check_picture(result["picture"], (1360, 420))


def test_02_learning_rates_too_small_right_too_large(tmp_path):
    result = tutorial("02").main(tmp_path)
    sweep = list(result["sweep"].values())
    assert [t.diverged for t in sweep] == [False, False, True]
    assert sweep[1].steps_to_tol < 30 and sweep[0].steps_to_tol is None
    check_picture(result["picture"], (1360, 420))
    check_picture(result["surface"], (640, 500))


def test_03_slopes(tmp_path, capsys):
    result = tutorial("03").main(tmp_path)
    assert [round(m, 6) for _, m in result["slopes"]] == [5.0, 4.5, 4.1, 4.01]
    out = capsys.readouterr().out
    assert "x² from 2 to 2.5: Δy/Δx = 4.5" in out and "f′(2) = 4" in out
    assert "∂L/∂x = -3, ∂L/∂y = 15" in out
    np.testing.assert_allclose(result["jacobian"][0, :, 0, :], result["layer"].kernel.numpy().T)
    secant, arrows = (check_picture(p) for p in result["pictures"])
    assert secant.shape != arrows.shape


def test_04_taylor(tmp_path):
    result = tutorial("04").main(tmp_path)
    t = result["taylor"]
    assert np.degrees(t.best_angle) == pytest.approx(188.7, abs=0.1)
    assert t.gap()[2] < 0.05 and t.gap()[-1] > 5          # the line fits only near θ
    check_picture(result["picture"], (1400, 440))


def test_05_backprop_edges_match_the_chain_rule_by_hand(tmp_path):
    result = tutorial("05").main(tmp_path)
    assert [g for _, _, g in result["edges"]] == result["by_hand"] == [-10.0, -10.0, -20.0]
    assert "grad -20" in result["dot"].read_text()
    if result["picture"] is not None:                 # Graphviz's dot is installed
        check_picture(result["picture"])


def test_06_the_sigmoid_neuron_crawls_across_the_plateau(tmp_path):
    result = tutorial("06").main(tmp_path)
    run, slopes = result["run"], result["slopes"]
    assert slopes[0] < 0.01 and slopes[80] > 20 * slopes[0]
    assert run.losses[30] > 0.4 and run.final_loss < 0.01
    assert min(result["guesses"].values()) == result["guesses"][(2.0, -2.0)]
    guesses, race, surface = (check_picture(p) for p in result["pictures"])
    assert guesses.shape != race.shape != surface.shape


def test_07_optimizers_and_a_decaying_rate(tmp_path):
    result = tutorial("07").main(tmp_path)
    race, decayed = result["race"], list(result["decayed"].values())
    assert race["RMSProp"].steps_to_tol < race["Momentum"].steps_to_tol < race["GD"].steps_to_tol
    assert decayed[0].diverged and not decayed[1].diverged
    np.testing.assert_allclose(decayed[1].lrs[:3], [0.25, 0.25 * 0.97, 0.25 * 0.97**2])
    check_picture(result["pictures"][0], (1080, 660))
    check_picture(result["pictures"][1], (1360, 420))


def test_08_local_minima_restarts_and_random_search(tmp_path):
    result = tutorial("08").main(tmp_path)
    race, restarts = result["race"], result["restarts"]
    assert race["GD"].steps_to_tol is None and race["Momentum"].steps_to_tol == 24
    assert race["Random search"].evaluations == race["GD"].evaluations
    deep = [t for t in restarts.values() if t.final_loss < 0]
    assert len(deep) == 3
    for path in result["pictures"]:
        check_picture(path)


def test_09_small_batches_are_noisier(tmp_path):
    result = tutorial("09").main(tmp_path, epochs=20)
    assert result["noise"][8] > 3 * result["noise"][128]
    assert list(result["results"]) == ["batch 8", "batch 40", "batch 128"]
    check_picture(result["picture"], (1300, 380))


def test_10_boston_what_ifs(tmp_path):
    result = tutorial("10").main(tmp_path, epochs=20)
    raw = result["linear"]["raw features"].models["linear"].scores["test"].mse
    assert not np.isfinite(raw)
    slow = result["linear"]["raw features, lr 3e-6"].models["linear"].scores["train"].mse
    recipe = result["linear"]["the recipe"].models["linear"].scores["train"].mse
    assert np.isfinite(slow) and slow > 2 * recipe
    assert list(result["mlp"]) == ["the recipe", "L2 0.01", "dropout 0.3", "zeros init"]
    first, second = (check_picture(p) for p in result["pictures"])
    assert first.shape != second.shape


def test_11_digits(tmp_path):
    result = tutorial("11").main(tmp_path, epochs=5)
    assert result["accuracy"] > 0.85
    check_picture(result["picture"])


def test_12_landscape_and_lr_finder(tmp_path):
    result = tutorial("12").main(tmp_path, epochs=10, steps=7)
    assert 1e-4 < result["finder"].suggestion < 1.0
    assert len(result["recorder"].snapshots) == 11
    for path in result["pictures"]:
        check_picture(path)
