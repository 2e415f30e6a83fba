"""Worked examples that run end to end: ``descend demo boston`` and ``descend demo mnist``.

Each demo is a module with ``run(...)``, which trains and returns the results as data (the
trained models, their ``History`` and final metrics), and ``command(args)``, which prints them
for the ``descend demo`` command.

>>> from descend import demo
>>> sorted(demo.boston.MODELS)
['linear', 'mlp1', 'mlp2']
"""

from descend.demo import boston, mnist

__all__ = ["boston", "mnist"]
