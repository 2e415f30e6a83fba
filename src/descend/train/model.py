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
from descend.data import Dataset
from descend.data.batching import check_batch_size
from descend.nn.module import Module
from descend.train import loop
from descend.train.adapter import BatchSource, make_dataset, match_target_shape
from descend.train.compiled import Compiled
from descend.train.loggers import History
from descend.train.plan import plan_fit
from descend.train.progress import check_verbose, format_logs
from descend.train.steps import evaluate_batches, forward, inference_mode, train_step


class Model(Configurable, Module):
    """A trainable model: ``compile`` once, then ``fit``, ``evaluate`` and ``predict``.

    Subclass it and define ``forward`` (layers as attributes), or use ``dc.Sequential``.

    Attributes:
        optimizer: the optimizer ``compile`` set up (bound to the parameters at fit).
        stop_training: set it to True from a callback to end ``fit`` after the batch.
        history: the :class:`~descend.train.loggers.History` of the last ``fit``.
        epochs_trained: epochs trained so far (what ``initial_epoch`` resumes from).
        fit_seed: the seed of the last ``fit`` (saved with ``include_optimizer=True``).

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

    def __init__(self) -> None:
        super().__init__()
        self.compiled: Compiled | None = None
        self.stop_training = False
        self.history: History | None = None
        self.epochs_trained = 0
        self.fit_seed: int | None = None

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None, *, jit_compile: bool = False) -> None:
        """Choose how to train: the optimizer, the loss to minimise and metrics to report.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``, ...; defaults apply) or a
                ``dc.optim`` optimizer made without parameters (``dc.optim.SGD(lr=0.01)``).
            loss: a name (``"mse"``, ``"sparse_categorical_crossentropy"``, ...), a
                ``dc.losses`` object, or a function ``f(y_true, y_pred) -> Tensor``.
            metrics: names (``"mae"``, ``"accuracy"``, ...) or ``dc.metrics`` objects.
            jit_compile: run each training step through ``dc.jit``: traced once per batch
                shape, then replayed as NumPy calls, with the same weights as without it.

        Unknown names raise a ``ValueError`` listing the valid ones, here and not mid-fit.

        >>> import descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
        >>> model.compile(dc.optim.SGD(lr=0.1, momentum=0.9), "huber", metrics=["mae"])
        >>> model.optimizer.lr, model.compiled.loss_name, model.compiled.metric_names
        (0.1, 'huber', ['mae'])
        """
        if not isinstance(jit_compile, bool):
            raise ValueError(f"compile: jit_compile must be True or False, got {jit_compile!r} "
                             "('auto' is not supported yet)")
        self.compiled = Compiled.resolve(optimizer, loss, metrics)
        self.compiled.jit_compile = jit_compile
        if self.built:
            self._bind_optimizer()

    @property
    def optimizer(self) -> Any:
        """The compiled optimizer (``None`` before ``compile``).

        >>> import descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("adam", "mse")
        >>> type(model.optimizer).__name__, len(model.optimizer.param_groups[0]["params"])
        ('Adam', 2)
        """
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
        """Build for inputs like ``x_shape`` and learn the output shape; bind the optimizer."""
        if not self.built or self.output_shape is None:  # a trial pass tells the output shape
            self.build((None, *x_shape[1:]))
        self._bind_optimizer()

    # ----------------------------------------------------------------- training
    def fit(self, x: Any = None, y: Any = None, batch_size: int = 32, epochs: int = 1,
            verbose: int = 1, callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, sample_weight: Any = None,
            class_weight: Mapping[int, float] | None = None, seed: int | None = None) -> History:
        """Train for ``epochs`` passes over the data, in batches; returns the ``History``.

        Everything is checked before the first step (data, arguments, and one forward pass
        with the loss and metrics on the first batch), so bad input fails at once with a
        message naming the argument, and no weight changes.

        Args:
            x, y: inputs ``(n, ...)`` and targets ``(n, ...)`` as NumPy arrays or nested lists
                (targets ``(n,)`` become a column ``(n, 1)`` for a model with one output); or
                ``x`` a ``dc.data.Dataset`` (``y`` inside it), or an iterable of ``(x, y)`` /
                ``(x, y, sample_weight)`` batches (a list serves every epoch; a one-shot
                iterator such as a generator, one epoch only).
            batch_size: samples per gradient step (the last batch may be smaller).
            epochs: the epoch to stop after (counting from 0, so ``epochs - initial_epoch``
                epochs run).
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
            callbacks: ``dc.callbacks`` objects (EarlyStopping, ModelCheckpoint, ...).
            validation_split: the fraction of samples held out for validation, taken from
                the end before shuffling (as Keras does).
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight)`` or a
                Dataset to validate on instead.
            shuffle: a new sample order every epoch (True or False).
            initial_epoch: the epoch to start from (to resume training).
            sample_weight: one non-negative weight ``w_i`` per sample: a batch's loss is
                ``mean_i(w_i * loss_i)`` (Keras' "sum over batch size").
            class_weight: ``{class: weight}``; every sample's weight is multiplied by its
                class's (the class from integer labels, one-hot rows or 0/1 targets). Every
                class present in ``y`` needs a weight.
            seed: makes shuffling and dropout repeatable: epoch ``k`` shuffles from
                ``(seed, k)`` and draws dropout masks from ``(seed, k, 1)``, so a resumed run
                continues exactly. Without it, a seed is drawn from ``dc.seed``'s generator
                (or, when resuming with ``initial_epoch``, the seed of the previous fit).

        Returns:
            The History: ``history.history["loss"]``, ``["val_loss"]``, metrics, ``["lr"]``;
            one entry per epoch. Logged losses are sample means over the epoch plus the
            regularisation penalty.

        Raises:
            RuntimeError: if the model was not compiled.
            ValueError, TypeError: for bad data or arguments (before any training).

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=3)]); model.compile("sgd", "mse")
        >>> history = model.fit(np.ones((10, 3)), np.ones(10), epochs=2, batch_size=4,
        ...                     validation_split=0.2, verbose=0, seed=0)
        >>> list(history.history), len(history.history["val_loss"])
        (['loss', 'val_loss', 'lr'], 2)
        """
        compiled = self._require_compiled("fit")
        plan = plan_fit(self, compiled, x, y, batch_size=batch_size, epochs=epochs,
                        verbose=verbose, validation_split=validation_split,
                        validation_data=validation_data, shuffle=shuffle,
                        initial_epoch=initial_epoch, sample_weight=sample_weight,
                        class_weight=class_weight, seed=seed)
        self.history = loop.run_fit(self, compiled, plan, callbacks)
        return self.history

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """One gradient step on one batch; returns its loss and metrics (before the step).

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
        >>> sorted(model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1))))
        ['loss']
        """
        compiled = self._require_compiled("train_on_batch")
        data = self._arrays(x, y, sample_weight, "train_on_batch")
        self._ensure_built(data.x.shape)
        y = match_target_shape(data.y, self.output_shape)
        batch_metrics = compiled.make_metrics(y.shape, self.output_shape)
        loss = train_step(self, compiled, data.x, y, data.sample_weight, batch_metrics,
                          regularized=self.has_regularizers(), where="train_on_batch")
        return {"loss": loss, **{m.name: m.result() for m in batch_metrics}}

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """The loss and metrics on one batch, without training.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.test_on_batch(np.ones((4, 2)), np.zeros((4, 1)))
        {'loss': 4.0, 'mae': 2.0}
        """
        data = self._arrays(x, y, sample_weight, "test_on_batch")
        return self.evaluate(data, batch_size=len(data))

    def _arrays(self, x: Any, y: Any, sample_weight: Any, where: str) -> Dataset:
        data = make_dataset(x, y, sample_weight, where, self.dtype)
        if not isinstance(data, Dataset) or data.y is None:
            raise ValueError(f"{where}: needs arrays x and y (one batch)")
        return data

    # ----------------------------------------------------------------- inference
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int = 32,
                 sample_weight: Any = None, verbose: int = 0) -> dict[str, float]:
        """The loss and metrics on ``(x, y)``, computed in batches without building a graph.

        Args:
            x, y: inputs and targets, as for :meth:`fit` (arrays, a Dataset, batches).
            batch_size: samples per forward pass (does not change the result).
            sample_weight: one weight per sample: the loss is ``mean(w_i * loss_i)``.
            verbose: 1 or 2 print the result, 0 is silent.

        Returns:
            ``{"loss": ..., "<metric>": ...}``; the loss includes regularisation penalties,
            as during training.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2, kernel_initializer="zeros")])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.evaluate(np.ones((3, 2)), np.full(3, 2.0))
        {'loss': 4.0, 'mae': 2.0}
        """
        compiled = self._require_compiled("evaluate")
        size = check_batch_size(batch_size, "evaluate")
        check_verbose(verbose, "evaluate")
        data = make_dataset(x, y, sample_weight, "evaluate", self.dtype)
        first = data.first() if isinstance(data, BatchSource) else (data.x, data.y)
        if first is None or len(first) < 2 or first[1] is None:
            raise ValueError("evaluate: y is missing; give the targets: evaluate(x, y)")
        self._ensure_built(first[0].shape)
        if isinstance(data, Dataset) and data.y is not (
                targets := match_target_shape(data.y, self.output_shape)):
            data = Dataset(data.x, targets, data.sample_weight)
        logs = evaluate_batches(self, compiled, data, size)
        if verbose:
            print(format_logs(logs))
        return logs

    def predict(self, x: Any, batch_size: int = 32) -> np.ndarray:
        """The model's outputs for inputs ``x`` as a NumPy array (eval mode, no graph).

        Args:
            x: inputs ``(n, ...)`` (array, list, Dataset, or batches ``(x,)``).
            batch_size: samples per forward pass (does not change the result).

        Returns:
            The outputs, shape ``(n, ...)`` (e.g. ``(n, classes)``), in the model's dtype.

        >>> import numpy as np, descend as dc
        >>> dc.Sequential([dc.nn.Dense(3, input_dim=2)]).predict(np.ones((5, 2))).shape
        (5, 3)
        """
        size = check_batch_size(batch_size, "predict")
        data = make_dataset(x, None, None, "predict", self.dtype)
        if isinstance(data, Dataset):
            data = Dataset(data.x)
        first = data.first() if isinstance(data, BatchSource) else (data.x,)
        if first is None:
            raise ValueError("predict: the iterable of batches is empty")
        if not self.built:
            self.build((None, *first[0].shape[1:]))
        outputs = []
        with inference_mode(self):
            for batch in (data.batches(size) if isinstance(data, Dataset) else data):
                outputs.append(forward(self, batch[0], "predict").data)
        return np.concatenate(outputs, axis=0)

    # ----------------------------------------------------------------- utilities
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter's values, in ``parameters()`` order.

        >>> import descend as dc
        >>> [w.shape for w in dc.Sequential([dc.nn.Dense(2, input_dim=3)]).get_weights()]
        [(3, 2), (2,)]
        """
        return [p.data.copy() for p in self.parameters()]

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
                p.data[...] = array

    def _draw_seed(self) -> int:
        """A seed for one fit, drawn from descend's generator (so ``dc.seed`` repeats it)."""
        return int(backend.rng().integers(2**31))
