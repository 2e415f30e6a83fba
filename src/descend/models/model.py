"""``Model``: a Module with the trainer: ``compile``, ``fit``, ``evaluate``, ``predict``.

``fit`` runs the four-step loop over batches and epochs: predict, measure the loss, compute the
gradient (backward), step against it (the optimizer); the trainer is
:class:`descend.train.trainer.Trainer`, which ``Model`` inherits as Keras' ``Model`` inherits
its ``Trainer``. ``dc.Sequential`` is a Model; subclass Model and define ``forward`` for
anything else. The same model still works torch-style (``loss.backward(); optimizer.step()``).

>>> import numpy as np, descend as dc
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)])
>>> model.compile(optimizer=dc.optim.SGD(lr=0.5), loss="mse")
>>> isinstance(model, dc.train.Trainer), isinstance(model, dc.nn.Module)
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from descend import backend
from descend.autograd.mode import no_grad
from descend.config import Configurable
from descend.nn.module import Module
from descend.train.trainer import Trainer


class Model(Configurable, Trainer, Module):
    """A trainable model: ``compile`` once, then ``fit``, ``evaluate`` and ``predict``.

    Subclass it and define ``forward`` (layers as attributes), or use ``dc.Sequential``.
    See :class:`~descend.train.trainer.Trainer` for the training methods and attributes.

    >>> import numpy as np, descend as dc
    >>> class Affine(dc.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layer = dc.nn.Dense(1, input_dim=2)
    ...     def forward(self, x):
    ...         return self.layer(x)
    >>> model = Affine(); model.compile("sgd", "mse")
    >>> model.fit(np.ones((4, 2)), np.zeros(4), epochs=3, verbose=0).epoch
    [0, 1, 2]
    """

    def get_weights(self) -> list[np.ndarray]:
        """Host copies (NumPy arrays) of every parameter's values, in ``parameters()`` order.

        >>> import descend as dc
        >>> [w.shape for w in dc.Sequential([dc.nn.Dense(2, input_dim=3)]).get_weights()]
        [(3, 2), (2,)]
        """
        return [np.array(p.numpy()) for p in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Overwrite every parameter from a list like :meth:`get_weights` returns.

        All shapes are checked before any parameter changes.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
        >>> model.set_weights([np.ones((2, 1)), np.zeros(1)])
        >>> model.predict(np.ones((1, 2)))
        array([[2.]], dtype=float32)
        """
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"set_weights: the model has {len(params)} parameters, got "
                             f"{len(weights)} arrays")
        arrays = [np.asarray(w) for w in weights]
        for p, array in zip(params, arrays):
            if array.shape != p.shape:
                raise ValueError(f"set_weights: shape {array.shape} does not fit a "
                                 f"parameter of shape {p.shape}")
        with no_grad():
            for p, array in zip(params, arrays):
                backend.copy_into(p.data, array)
