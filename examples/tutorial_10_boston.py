"""Tutorial 10: Boston Housing what-ifs: normalisation, regularisation, dropout, initialisation.

Each picture puts the recipe beside one change, train (solid) and validation (dashed) MSE per
epoch: the linear model on raw features (at the recipe's lr 0.01, and at 3e-6, about the
largest that does not diverge), and the one-hidden-layer MLP with L2, dropout and all-zero
initial weights.
Run: python examples/tutorial_10_boston.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import sys
from pathlib import Path

from descend.demo import boston, plots
from descend.demo.compare import compare
from descend.demo.whatif import WhatIf


def main(out: str | Path = "docs/images/course", epochs: int = 200) -> dict:
    raw = WhatIf(normalize=False)
    linear = compare({"the recipe": WhatIf(), "raw features": raw}, model="linear",
                     epochs=epochs)
    linear["raw features, lr 3e-6"] = boston.run("linear", epochs=epochs, lr=3e-6, what_if=raw)
    mlp = compare({"the recipe": WhatIf(), "L2 0.01": WhatIf(l2=0.01),
                   "dropout 0.3": WhatIf(dropout=0.3), "zeros init": WhatIf(init="zeros")},
                  model="mlp1", epochs=epochs)
    for label, result in [*linear.items(), *mlp.items()]:
        (model,) = result.models.values()
        s = model.scores
        print(f"{model.name:18} {label:13} train {s['train'].mse:8.2f}  "
              f"val {s['validation'].mse:8.2f}  test {s['test'].mse:8.2f}")
    pictures = [Path(out) / "10_normalization.png", Path(out) / "10_mlp_what_ifs.png"]
    plots.whatif_curves(linear, pictures[0])
    plots.whatif_curves(mlp, pictures[1])
    return {"linear": linear, "mlp": mlp, "pictures": pictures}


if __name__ == "__main__":
    main(*sys.argv[1:2])
