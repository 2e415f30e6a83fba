"""``Model``: a Module with the Keras/TF.js workflow: compile, fit, evaluate, predict.

``fit`` runs the four-step loop over batches and epochs: predict, measure the loss, compute the
gradient (backward), step against it (the optimizer). ``dc.Sequential`` is a Model; subclass
Model and define ``forward`` for anything else. The same model still works torch-style
(``loss.backward(); optimizer.step()``).

>>> import numpy as np, descend as dc
>>> dc.seed(0)
>>> x = np.linspace(-1, 1, 64).reshape(-1, 1); y = 3 * x + 2
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)])
>>> model.compile(optimizer=dc.optim.SGD(lr=0.5), loss="mse", metrics=["mae"])
>>> history = model.fit(x, y, epochs=40, batch_size=16, verbose=0, seed=0)
>>> round(history.history["loss"][-1], 4), model.evaluate(x, y)["mae"] < 1e-3
(0.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descend import backend
from descend.autograd.mode import no_grad
from descend.config import Configurable
from descend.nn.module import Module
from descend.tensor import Tensor
from descend.train import loop
from descend.train.adapter import make_dataset
from descend.train.compiled import Compiled
from descend.train.loggers import History


class Model(Configurable, Module):
    """A trainable model: ``compile`` once, then ``fit``, ``evaluate`` and ``predict``.

    Attributes:
        optimizer: the optimizer ``compile`` set up (bound to the parameters at fit).
        stop_training: set it to True from a callback to end ``fit`` after the batch.
        history: the :class:`~descend.train.loggers.History` of the last ``fit``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.compiled: Compiled | None = None
        self.stop_training = False
        self.history: History | None = None
        self.epochs_trained = 0
        self.fit_seed: int | None = None

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None) -> None:
        """Choose how to train: the optimizer, the loss to minimise and metrics to report.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``, ...; defaults apply) or a
                ``dc.optim`` optimizer made without parameters (``dc.optim.SGD(lr=0.01)``).
            loss: a name (``"mse"``, ``"sparse_categorical_crossentropy"``, ...), a
                ``dc.losses`` object, or a function ``f(y_true, y_pred) -> Tensor``.
            metrics: names (``"mae"``, ``"accuracy"``, ...) or ``dc.metrics`` objects.

        Unknown names raise a ``ValueError`` listing the valid ones, here and not mid-fit.
        """
        self.compiled = Compiled.resolve(optimizer, loss, metrics)
        if self.built:
            self._bind_optimizer()

    @property
    def optimizer(self) -> Any:
        """The compiled optimizer (``None`` before ``compile``)."""
        return None if self.compiled is None else self.compiled.optimizer

    def _require_compiled(self, where: str) -> Compiled:
        if self.compiled is None:
            raise RuntimeError(f"{where}: call model.compile(optimizer=..., loss=...) first, so "
                               "the model knows what to minimise")
        return self.compiled

    def _bind_optimizer(self) -> None:
        compiled = self._require_compiled("fit")
        if not compiled.optimizer.param_groups:
            compiled.optimizer.bind(self.parameters())

    def _ensure_built(self, x_shape: tuple[int, ...]) -> None:
        if not self.built:
            self.build((None, *x_shape[1:]))
        self._bind_optimizer()

    # ----------------------------------------------------------------- training
    def fit(self, x: Any = None, y: Any = None, batch_size: int = 32, epochs: int = 1,
            verbose: int = 1, callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, sample_weight: Any = None,
            class_weight: Mapping[int, float] | None = None, seed: int | None = None) -> History:
        """Train for ``epochs`` passes over the data, in batches; returns the ``History``.

        Args:
            x, y: inputs ``(n, ...)`` and targets ``(n, ...)`` as arrays or lists; or ``x``
                a ``dc.data.Dataset``, or a list of ``(x, y)`` batches.
            batch_size: samples per gradient step (the last batch may be smaller).
            epochs: the epoch to stop after (counting from 0, so ``epochs - initial_epoch``
                epochs run).
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
            callbacks: ``dc.callbacks`` objects (EarlyStopping, ModelCheckpoint, ...).
            validation_split: the fraction of samples held out for validation, taken from
                the end before shuffling (as Keras does).
            validation_data: ``(x_val, y_val)`` to validate on instead.
            shuffle: a new sample order every epoch.
            initial_epoch: the epoch to start from (to resume training).
            sample_weight: one weight per sample, scaling its loss.
            class_weight: ``{class: weight}``, scaling the loss of each class's samples.
            seed: makes shuffling and dropout repeatable: epoch ``k`` draws from
                ``(seed, k)`` alone, so a resumed run continues exactly. Without it, a seed is
                drawn from ``dc.seed``'s generator.

        Returns:
            The History: ``history.history["loss"]``, ``["val_loss"]``, metrics, ``["lr"]``.
        """
        compiled = self._require_compiled("fit")
        plan = loop.plan_fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                             validation_split=validation_split, validation_data=validation_data,
                             shuffle=shuffle, initial_epoch=initial_epoch,
                             sample_weight=sample_weight, class_weight=class_weight, seed=seed)
        self.history = loop.run_fit(self, compiled, plan, callbacks)
        return self.history

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """One gradient step on one batch; returns its loss and metrics.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
        >>> sorted(model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1))))
        ['loss']
        """
        compiled = self._require_compiled("train_on_batch")
        data = loop.fresh_dataset(x, y, sample_weight, "train_on_batch", self)
        batch_metrics = compiled.make_metrics(data.y.shape, self.output_shape)
        loss, _ = loop.train_step(self, compiled, data.arrays, batch_metrics)
        return {"loss": loss, **{m.name: m.result() for m in batch_metrics}}

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """The loss and metrics on one batch, without training."""
        return self.evaluate(x, y, batch_size=max(len(np.asarray(x)), 1),
                             sample_weight=sample_weight)

    # ----------------------------------------------------------------- inference
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int = 32,
                 sample_weight: Any = None, verbose: int = 0) -> dict[str, float]:
        """The loss and metrics on ``(x, y)``, computed in batches without building a graph.

        Returns:
            ``{"loss": ..., "<metric>": ...}``; the loss includes regularisation penalties,
            as during training.
        """
        compiled = self._require_compiled("evaluate")
        data = make_dataset(x, y, sample_weight, "evaluate", self.dtype)
        if getattr(data, "y", 1) is None:
            raise ValueError("evaluate: needs targets y as well as inputs x")
        if not self.built and hasattr(data, "x"):
            self._ensure_built(data.x.shape)
        logs = loop.evaluate_batches(self, compiled, data, loop.check_batch_size(batch_size))
        if verbose:
            from descend.train.progress import format_logs

            print(format_logs(logs))
        return logs

    def predict(self, x: Any, batch_size: int = 32) -> np.ndarray:
        """The model's outputs for inputs ``x`` as a NumPy array (eval mode, no graph).

        >>> import numpy as np, descend as dc
        >>> dc.Sequential([dc.nn.Dense(3, input_dim=2)]).predict(np.ones((5, 2))).shape
        (5, 3)
        """
        data = make_dataset(x, None, None, "predict", self.dtype)
        size = loop.check_batch_size(batch_size)
        if not self.built and hasattr(data, "x"):
            self.build((None, *data.x.shape[1:]))
        outputs = []
        with loop.inference_mode(self):
            for batch in (data.batches(size) if hasattr(data, "batches") else data):
                outputs.append(self(Tensor._wrap(batch[0])).data)
        return np.concatenate(outputs, axis=0)

    # ----------------------------------------------------------------- utilities
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter's values, in ``parameters()`` order."""
        return [p.data.copy() for p in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Overwrite every parameter from a list like :meth:`get_weights` returns."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"set_weights: the model has {len(params)} parameters, got "
                             f"{len(weights)} arrays")
        with no_grad():
            for p, w in zip(params, weights):
                array = np.asarray(w)
                if array.shape != p.shape:
                    raise ValueError(f"set_weights: shape {array.shape} does not fit a "
                                     f"parameter of shape {p.shape}")
                p.data[...] = array

    def random_seed(self) -> int:
        """A seed for one fit, drawn from descend's generator (so ``dc.seed`` repeats it)."""
        return int(backend.rng().integers(2**31))
