"""Weight penalties added to the loss: ``L1``, ``L2``, ``L1L2`` (Keras definitions).

A layer takes one per parameter (``Dense(..., kernel_regularizer="l2")``);
``model.regularization_loss()`` adds up every layer's penalties, and the training loss is the
data loss plus that sum. The penalty is ``l1·Σ|w| + l2·Σw²`` (no ½ in front, as in Keras).

>>> import descend as dc
>>> w = dc.tensor([[1.0, -2.0]], requires_grad=True)
>>> L1L2(l1=0.1, l2=0.01)(w).item()     # 0.1·3 + 0.01·5
0.35
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descend.config import Configurable, register_configurable
from descend.creation import zeros
from descend.nn.registry import lookup
from descend.tensors import Tensor

RegularizerLike = str | Callable[[Tensor], Tensor]


@register_configurable
class L1L2(Configurable):
    """``l1·Σ|w| + l2·Σw²``; with both 0 it penalises nothing.

    Args:
        l1: the weight of the sum of absolute values (pushes weights to exactly 0).
        l2: the weight of the sum of squares (weight decay: shrinks weights evenly).

    >>> import descend as dc
    >>> L1L2(l2=0.5)(dc.tensor([2.0])).item()
    2.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"{type(self).__name__}: {name} must be a non-negative number, got {value!r}"
                )
        self.l1, self.l2 = float(l1), float(l2)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}

    def __call__(self, weight: Tensor) -> Tensor:
        terms = []
        if self.l1:
            terms.append(weight.abs().sum() * self.l1)
        if self.l2:
            terms.append((weight * weight).sum() * self.l2)
        if not terms:
            return zeros((), dtype=weight.dtype, device=weight.device)
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


@register_configurable
class L1(L1L2):
    """``l1·Σ|w|`` (Keras default l1 = 0.01).

    >>> import descend as dc
    >>> L1(0.5)(dc.tensor([1.0, -3.0])).item()
    2.0
    """

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}

    def __repr__(self) -> str:
        return f"L1(l1={self.l1})"


@register_configurable
class L2(L1L2):
    """``l2·Σw²`` (Keras default l2 = 0.01).

    >>> import descend as dc
    >>> L2(0.5)(dc.tensor([1.0, -3.0])).item()
    5.0
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}

    def __repr__(self) -> str:
        return f"L2(l2={self.l2})"


_BY_NAME: dict[str, Callable[[], L1L2]] = {
    "l1": L1, "l2": L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01),
}


def get(identifier: RegularizerLike | None) -> Callable[[Tensor], Tensor] | None:
    """A regularizer from its name (``"l1"``, ``"l2"``, ``"l1_l2"``: 0.01 each), object or None.

    >>> get("l1_l2")
    L1L2(l1=0.01, l2=0.01)
    """
    if identifier is None:
        return None
    found = lookup(identifier, _BY_NAME, "regularizer",
                   "a name such as 'l2', a regularizer object or None")
    return found() if isinstance(identifier, str) else found
