"""The course's pictures: secants, the Taylor argument, gradient arrows, shrinking steps."""

from __future__ import annotations

import numpy as np
import pytest

from descend import lab, viz


def test_secant_picture_closes_in_on_the_derivative(tmp_path, picture):
    fig = viz.plot_secant(lambda x: x * x, 2.0, [0.5, 0.1, 0.01], path=tmp_path / "a.png")
    first = picture(tmp_path / "a.png", (1000, 420))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[1:] == ["Δx = 0.5: Δy/Δx = 4.5", "Δx = 0.1: Δy/Δx = 4.1",
                         "Δx = 0.01: Δy/Δx = 4.01", "tangent: f′(2) = 4"]
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [4.5, 4.1, 4.01])
    viz.plot_secant(lambda x: x * x * x, 1.0, [0.5, 0.1, 0.01], path=tmp_path / "b.png")
    assert not np.array_equal(first, picture(tmp_path / "b.png", (1000, 420)))
    with pytest.raises(ValueError, match="every Δx must be a finite non-zero number"):
        viz.plot_secant(lambda x: x * x, 2.0, [0.0])


def test_taylor_picture_marks_minus_the_gradient_best(tmp_path, picture):
    t = lab.taylor("double_well", at=(1.6, 0.8))
    down = -t.gradient / np.linalg.norm(t.gradient)
    assert t.best_angle == pytest.approx(np.arctan2(down[1], down[0]) % (2 * np.pi))
    assert t.slopes.min() >= -np.linalg.norm(t.gradient) - 1e-12   # nothing beats −∇L
    assert t.gap()[1] < t.gap()[-1] and t.gap()[0] == 0            # the line fits near θ only
    fig = viz.plot_taylor("double_well", at=(1.6, 0.8), result=t, path=tmp_path / "a.png")
    first = picture(tmp_path / "a.png", (1400, 440))
    star = fig.axes[1].get_lines()[-1]
    assert star.get_marker() == "*"
    assert star.get_ydata()[0] == pytest.approx(-np.linalg.norm(t.gradient))
    viz.plot_taylor("quadratic", at=(-3.0, 1.5), path=tmp_path / "b.png")
    assert not np.array_equal(first, picture(tmp_path / "b.png", (1400, 440)))
    with pytest.raises(ValueError, match="needs a finite, non-zero gradient"):
        lab.taylor("quadratic", at=(0.0, 0.0))


def test_gradient_arrows_point_downhill_at_a_point_and_along_a_path(tmp_path, picture):
    t = lab.race("quadratic", ["gd"], steps=12)["GD"]
    fig = viz.plot_gradients("quadratic", at=[(-3.0, 1.5)], trajectory=t, every=3,
                             path=tmp_path / "a.png")
    first = picture(tmp_path / "a.png", (560, 460))
    up, down_at, along = fig.axes[0].collections[-3:]
    np.testing.assert_allclose([up.U, up.V], [-down_at.U, -down_at.V])
    gradient = np.array([-3.0, 15.0])           # ∇ ½(x² + 10y²) at (−3, 1.5)
    np.testing.assert_allclose([up.U[0], up.V[0]], gradient / np.linalg.norm(gradient) * 10 / 12)
    assert len(along.get_offsets()) == 5        # steps 0, 3, 6, 9, 12
    viz.plot_gradients("double_well", path=tmp_path / "b.png")
    assert not np.array_equal(first, picture(tmp_path / "b.png", (560, 460)))
    with pytest.raises(ValueError, match="every must be a positive integer"):
        viz.plot_gradients("quadratic", trajectory=t, every=0)


def test_a_scheduled_race_shows_the_steps_shrinking(tmp_path, picture):
    r = lab.race("quadratic", ["gd", "adam"], steps=40, schedule="exponential:0.9")
    fig = viz.plot_race(r, path=tmp_path / "a.png")
    first = picture(tmp_path / "a.png", (1360, 420))
    assert fig.axes[2].get_title() == "step length and learning rate"
    lengths = fig.axes[2].get_lines()[-2].get_ydata()          # GD's step lengths
    assert lengths[-1] < lengths[0] / 10
    viz.plot_race(lab.race("quadratic", ["gd", "adam"], steps=40, schedule="step:10,0.5"),
                  path=tmp_path / "b.png")
    assert not np.array_equal(first, picture(tmp_path / "b.png", (1360, 420)))
