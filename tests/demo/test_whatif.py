"""What-if flags of ``descend demo boston``: each changes the model or data, the recipe stays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend.cli import main
from descend.demo import boston, plots
from descend.demo.compare import compare
from descend.demo.whatif import WhatIf


def test_each_setting_changes_the_model_it_builds():
    assert [type(layer).__name__ for layer in boston.build_model(1, what_if=WhatIf(dropout=0.2))
            ] == ["Dense", "Dropout", "Dense"]
    zeros = boston.build_model(1, what_if=WhatIf(init="zeros"))
    assert all(not layer.kernel.data.any() for layer in (zeros[0], zeros[1]))
    l2 = boston.build_model(0, what_if=WhatIf(l2=0.5))
    assert l2.has_regularizers() and not boston.build_model(0).has_regularizers()


def test_raw_features_diverge_and_the_recipe_does_not():
    results = compare({"recipe": WhatIf(), "raw": WhatIf(normalize=False)}, model="linear",
                      epochs=5)
    assert math.isfinite(results["recipe"].models["linear"].scores["test"].mse)
    assert not math.isfinite(results["raw"].models["linear"].scores["test"].mse)
    raw = boston.load_data(normalize=False)["train"][0]
    assert raw.std(axis=0).max() / raw.std(axis=0).min() > 100     # scales a world apart


def test_l2_and_batch_size_change_the_curves():
    results = compare({"recipe": WhatIf(), "L2": WhatIf(l2=1.0), "batch 8": WhatIf(
        batch_size=8)}, model="linear", epochs=5)
    losses = {k: r.models["linear"].history.history["loss"] for k, r in results.items()}
    assert losses["L2"][-1] > losses["recipe"][-1]            # the penalty is in the loss
    assert results["batch 8"].settings["batch_size"] == 8
    assert losses["batch 8"] != losses["recipe"]


def test_whatif_picture_has_one_panel_per_setting(tmp_path, picture_check):
    results = compare({"recipe": WhatIf(), "raw features": WhatIf(normalize=False),
                       "L2 1": WhatIf(l2=1.0)}, model="linear", epochs=10)
    fig = plots.whatif_curves(results, tmp_path / "a.png")
    first = picture_check(tmp_path / "a.png", (1300, 380))
    assert [ax.get_title() for ax in fig.axes] == ["recipe", "raw features", "L2 1"]
    assert "overflowed in epoch 1" in fig.axes[1].texts[0].get_text()
    plots.whatif_curves({"recipe": results["recipe"]}, tmp_path / "b.png")
    assert not np.array_equal(first, picture_check(tmp_path / "b.png", (460, 380)))


def test_cli_flags_and_their_errors(tmp_path, capsys):
    path = tmp_path / "w.png"
    assert main(["demo", "boston", "--model", "linear", "--epochs", "3", "--l2", "0.1",
                 "--init", "glorot", "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  what-if L2 0.1, glorot init" in out
    assert f"wrote {path} (the recipe beside the what-if)" in out and path.exists()
    for argv, message in ((["--dropout", "1"], "argument --dropout: expected a fraction"),
                          (["--init", "ones"], "argument --init: invalid choice"),
                          (["--l2", "-1"], "argument --l2: expected a number, 0 or more")):
        with pytest.raises(SystemExit):
            main(["demo", "boston", *argv])
        assert message in capsys.readouterr().err


def test_whatif_checks_its_settings():
    with pytest.raises(ValueError, match="l2 must be a number of at least 0"):
        WhatIf(l2=-1)
    with pytest.raises(ValueError, match="init must be one of zeros, glorot, lecun"):
        WhatIf(init="he")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        WhatIf(batch_size=0)
