"""What if the Boston Housing recipe changed one thing? Normalisation, L2, dropout, the initial
weights, the batch size: each a setting of :class:`WhatIf`, run side by side by
:func:`descend.demo.compare.compare`.

The recipe's own choices are the defaults, so ``WhatIf()`` trains exactly what
``descend demo boston`` trains.

>>> WhatIf().label(), WhatIf(normalize=False, l2=0.01).label()
('the recipe', 'raw features, L2 0.01')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from descend.demo.settings import positive_int

WHERE = "demo boston"

INITS = {"zeros": "zeros", "glorot": "glorot_uniform", "lecun": "lecun_normal"}
"""``--init`` names and the initialiser each gives every kernel."""


@dataclass(frozen=True)
class WhatIf:
    """One change (or several) to the recipe.

    Attributes:
        normalize: z-score the features with the training rows' statistics (the recipe);
            ``False`` trains on the raw features, whose scales differ by a factor of about a
            thousand: SGD at lr 0.01 then diverges.
        l2: the L2 penalty ``l2 · Σ w²`` on every kernel (0: none, the recipe).
        dropout: the fraction of hidden units dropped while training (0: none, the recipe;
            the linear model has no hidden layer to drop from).
        init: ``"zeros"``, ``"glorot"`` or ``"lecun"`` for every kernel (None: the recipe's
            lecun_normal hidden and glorot_uniform output kernels).
        batch_size: rows per gradient step (None: the run's own, 40 in the recipe).

    >>> WhatIf(dropout=1.5)
    Traceback (most recent call last):
    ...
    ValueError: demo boston: dropout must be a fraction in [0, 1), got 1.5
    """

    normalize: bool = True
    l2: float = 0.0
    dropout: float = 0.0
    init: str | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.l2, bool) or not isinstance(self.l2, int | float) or \
                not 0 <= self.l2 < float("inf"):
            raise ValueError(f"{WHERE}: l2 must be a number of at least 0, got {self.l2!r}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float) or \
                not 0 <= self.dropout < 1:
            raise ValueError(f"{WHERE}: dropout must be a fraction in [0, 1), got "
                             f"{self.dropout!r}")
        if self.init is not None and self.init not in INITS:
            raise ValueError(f"{WHERE}: init must be one of {', '.join(INITS)}, got "
                             f"{self.init!r}")
        if self.batch_size is not None:
            positive_int(self.batch_size, "batch_size", WHERE)

    def label(self) -> str:
        """A short description of what differs from the recipe.

        >>> WhatIf(init="zeros", dropout=0.2, batch_size=8).label()
        'dropout 0.2, zeros init, batch 8'
        """
        parts = [] if self.normalize else ["raw features"]
        parts += [f"L2 {self.l2:g}"] if self.l2 else []
        parts += [f"dropout {self.dropout:g}"] if self.dropout else []
        parts += [f"{self.init} init"] if self.init else []
        parts += [f"batch {self.batch_size}"] if self.batch_size else []
        return ", ".join(parts) or "the recipe"

    def layer_options(self, hidden: bool) -> dict[str, Any]:
        """The ``Dense`` options this setting gives a hidden (or the output) layer.

        >>> WhatIf(init="glorot", l2=0.1).layer_options(True)["kernel_initializer"]
        'glorot_uniform'
        """
        init = INITS[self.init] if self.init else ("lecun_normal" if hidden else
                                                   "glorot_uniform")
        options: dict[str, Any] = {"kernel_initializer": init}
        if self.l2:
            from descend.nn.regularizers import L2

            options["kernel_regularizer"] = L2(self.l2)
        return options


NO_CHANGE = WhatIf()
"""The recipe itself: no change."""
