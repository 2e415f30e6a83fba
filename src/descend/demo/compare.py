"""The Boston Housing recipe beside its what-ifs: one model trained once per setting.

>>> from descend.demo.whatif import WhatIf
>>> results = compare({"recipe": WhatIf(), "raw": WhatIf(normalize=False)}, model="linear",
...                   epochs=3)
>>> import math; math.isfinite(results["raw"].models["linear"].scores["test"].mse)
False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend.demo import boston
from descend.demo.whatif import WHERE, WhatIf


def compare(settings: Mapping[str, WhatIf], *, model: str = "mlp1", epochs: int = 200,
            seed: int = 0) -> dict[str, Any]:
    """Train ``model`` once per setting; the results by label, for a side-by-side picture.

    Args:
        settings: label -> :class:`WhatIf`.
        model: ``"linear"``, ``"mlp1"`` or ``"mlp2"``.
        epochs: passes over the training rows.
        seed: the seed of every run (all start from the same weights where shapes agree).

    Returns:
        label -> :class:`~descend.demo.boston.BostonResult`.

    >>> results = compare({"recipe": WhatIf(), "L2": WhatIf(l2=0.1)}, model="linear", epochs=2)
    >>> list(results), results["L2"].settings["what_if"].l2
    (['recipe', 'L2'], 0.1)
    """
    if not settings:
        raise ValueError(f"{WHERE}: compare needs at least one setting")
    results = {}
    for label, what_if in settings.items():
        batch = what_if.batch_size or boston.RECIPE["batch_size"]
        results[label] = boston.run(model, epochs=epochs, seed=seed, batch_size=batch,
                                    what_if=what_if)
    return results
