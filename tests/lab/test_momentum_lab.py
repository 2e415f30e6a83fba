"""The momentum lab: optimal settings from the formulas, measured rates from real SGD runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend.lab import measured_rate, momentum_lab, optimal_settings


def test_optimal_settings_formulas():
    s = optimal_settings(100.0)
    assert s.gd_lr == pytest.approx(2 / 101)
    assert s.gd_rate == pytest.approx(99 / 101)
    assert s.momentum_lr == pytest.approx(4 / 121)
    assert s.momentum == pytest.approx((9 / 11) ** 2)
    assert s.momentum_rate == pytest.approx(9 / 11)
    scaled = optimal_settings(4.0, mu=2.0)
    assert scaled.gd_lr == pytest.approx(2 / 10)
    assert scaled.momentum_lr == pytest.approx(4 / (math.sqrt(8) + math.sqrt(2)) ** 2)


def test_measured_rates_agree_with_the_predictions():
    lab = momentum_lab([4.0, 50.0, 400.0], steps=400)
    predicted_gd = np.array([s.gd_rate for s in lab.settings])
    predicted_hb = np.array([s.momentum_rate for s in lab.settings])
    np.testing.assert_allclose(lab.measured_gd, predicted_gd, rtol=1e-6)
    # with the optimal momentum the error decays like k·ρ^k, so the measured rate is a
    # little above ρ over a finite run
    assert (lab.measured_momentum >= predicted_hb - 1e-9).all()
    np.testing.assert_allclose(lab.measured_momentum, predicted_hb, rtol=0.08)
    assert (lab.measured_momentum < lab.measured_gd).all()
    assert list(lab.races[1]) == ["GD", "Momentum"]
    assert lab.races[1]["Momentum"].optimizer.param_groups[0]["momentum"] == pytest.approx(
        lab.settings[1].momentum)
    assert lab.table().splitlines()[0].split()[:3] == ["κ", "GD", "lr"]


def test_measured_rate_ignores_the_rounding_floor():
    path = np.array([[0.1**k, 0.0] for k in range(30)])
    assert measured_rate(path, (0.0, 0.0)) == pytest.approx(0.1)
    assert measured_rate(np.zeros((5, 2)), (0.0, 0.0)) == 0.0      # already at the minimum


def test_bad_condition_numbers():
    with pytest.raises(ValueError, match=r"need condition_number >= 1 and mu > 0, got 0.5"):
        optimal_settings(0.5)
    with pytest.raises(ValueError, match="at least one condition number"):
        momentum_lab([])
