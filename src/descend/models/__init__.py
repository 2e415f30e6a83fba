"""Models: ``Model`` (a Module with the trainer) and ``Sequential`` (a stack of layers).

Layers (``dc.nn``) never import models; a model is what you compile and fit.

>>> import descend as dc
>>> dc.models.Sequential is dc.Sequential, dc.models.Model is dc.Model
(True, True)
"""

from descend.models.model import Model
from descend.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
