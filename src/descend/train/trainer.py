"""``Trainer``: the Keras workflow, compile, fit, evaluate, predict, as a model's methods.

``dc.Model`` is a Module with this trainer (Keras' ``Model`` inherits its ``Trainer`` the
same way). Read it top-down: ``fit`` checks its arguments and data, builds the model, then
runs epochs of :meth:`Trainer.train_step` (predict, measure the loss, compute the gradient,
step against it) with the callbacks around them; ``evaluate`` runs
:meth:`Trainer.test_step` and ``predict`` :meth:`Trainer.predict_step` over batches. A
subclass may override any step.

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

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descend import backend
from descend.autograd.anomaly import is_anomaly_enabled
from descend.data import Dataset
from descend.data.batching import check_batch_size
from descend.tensors import Tensor
from descend.train.adapter import BatchSource, make_dataset, match_target_shape
from descend.train.callbacks import CallbackList
from descend.train.checks import callbacks_as_list
from descend.train.compiled import Compiled
from descend.train.loggers import History
from descend.train.plan import (
    FitSettings,
    check_fit_arguments,
    first_inputs,
    fit_datasets,
    read_fit_data,
)
from descend.train.progress import check_verbose, format_logs, progress_callback
from descend.train.seeding import EpochGenerator, choose_seed
from descend.train.steps import (
    Batch,
    check_batch,
    epoch_logs,
    first_batch,
    forward,
    inference_mode,
    loss_error,
    name_input_shape,
    on_device,
    unpack,
)

if TYPE_CHECKING:
    from descend.metrics import Metric


class Trainer:
    """The training methods of ``dc.Model``; mixed into a ``dc.nn.Module``.

    Attributes:
        compiled: what :meth:`compile` resolved (None before it).
        stop_training: set it to True from a callback to end ``fit`` after the batch.
        history: the :class:`~descend.train.loggers.History` of the last ``fit``.
        epochs_trained: epochs trained so far (what ``initial_epoch`` resumes from).
        fit_seed: the seed of the last ``fit`` (saved with ``include_optimizer=True``).

    >>> import numpy as np, descend as dc
    >>> class Counting(dc.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layer, self.steps = dc.nn.Dense(1, input_dim=2), 0
    ...     def forward(self, x):
    ...         return self.layer(x)
    ...     def train_step(self, x, y, sample_weight=None, metrics=()):
    ...         self.steps += 1
    ...         return super().train_step(x, y, sample_weight, metrics)
    >>> model = Counting(); model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((8, 2)), np.zeros(8), epochs=3, batch_size=4, verbose=0)
    >>> model.steps
    6
    """

    def __init__(self) -> None:
        super().__init__()
        self.compiled: Compiled | None = None
        self.stop_training = False
        self.history: History | None = None
        self.epochs_trained = 0
        self.fit_seed: int | None = None
        self._distribute: Any = None  # the DataParallel of the fit running now, if any
        self._verbose = 0  # the verbose of the fit running now
        self._regularized: bool | None = None  # whether to add penalties; None: not asked yet

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None, *, jit_compile: bool | str = False) -> None:
        """Choose how to train: the optimizer, the loss to minimise and metrics to report.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``, ...; defaults apply) or a
                ``dc.optim`` optimizer made without parameters (``dc.optim.SGD(lr=0.01)``).
            loss: a name (``"mse"``, ``"sparse_categorical_crossentropy"``, ...), a
                ``dc.losses`` object, or a function ``f(y_true, y_pred) -> Tensor``.
            metrics: names (``"mae"``, ``"accuracy"``, ...) or ``dc.metrics`` objects.
            jit_compile: run each training step through ``dc.jit``: traced once per batch
                shape (and train/eval mode), then replayed as NumPy calls, with the same
                weights as without it. ``"auto"``: try that at the first step; if the step
                cannot be traced (a layer reads a value into Python, an array made with
                NumPy enters an op: ``dc.jit``'s ``TraceError``), put back the weights,
                buffers and random state the attempt changed and train eagerly from then on.
                ``fit(verbose>0)`` prints which it chose.

        Unknown names raise a ``ValueError`` listing the valid ones, here and not mid-fit.

        >>> import descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
        >>> model.compile(dc.optim.SGD(lr=0.1, momentum=0.9), "huber", metrics=["mae"])
        >>> model.optimizer.lr, model.compiled.loss_name, model.compiled.metric_names
        (0.1, 'huber', ['mae'])
        """
        if not isinstance(jit_compile, bool) and jit_compile != "auto":
            raise ValueError(f"compile: jit_compile must be True, False or 'auto', got "
                             f"{jit_compile!r}")
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

    # ---------------------------------------------------------------------- fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int = 32, epochs: int = 1,
            verbose: int = 1, callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, sample_weight: Any = None,
            class_weight: Mapping[int, float] | None = None, seed: int | None = None,
            distribute: Any = None) -> History:
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
            callbacks: ``dc.callbacks`` objects (EarlyStopping, ModelCheckpoint, ...): a list,
                or one callback.
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
            distribute: ``dc.distributed.DataParallel()`` to train data-parallel over the
                processes of ``mpiexec``: each takes its share of every batch, gradients,
                losses, metrics and stops are combined over them, and only rank 0 prints and
                writes files (callbacks with ``chief_only``). None: this process alone.

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
        callbacks = callbacks_as_list(callbacks, "fit")
        settings = check_fit_arguments(batch_size, epochs, initial_epoch, verbose, shuffle,
                                       validation_split, seed)
        data = read_fit_data(x, y, sample_weight, class_weight, settings, self.dtype)
        self._ensure_built(first_inputs(data).shape)
        train, validation = fit_datasets(data, validation_data, class_weight,
                                         settings.validation_split, self.output_shape,
                                         self.dtype)
        device = self.device
        self._check_first_batch(first_batch(train, settings.batch_size), device)
        if validation is not None:
            check_batch(self, compiled, validation[:settings.batch_size],
                        "fit (validation data)", device)
        self.fit_seed = choose_seed(settings.seed, settings.initial_epoch, self.fit_seed)
        metrics = compiled.make_metrics(first_batch(train, None)[1].shape, self.output_shape)
        if distribute is not None:
            self.fit_seed = distribute.begin_fit(self, compiled.optimizer, metrics,
                                                 self.fit_seed)
            callbacks = distribute.callbacks_here(callbacks)
            settings = distribute.settings_here(settings)
        self.history = History()
        callback_list = self._callback_list(callbacks, settings, train, validation)
        self.stop_training = False
        self._distribute, self._verbose = distribute, settings.verbose
        self.train()
        at_once = self._epoch_at_once(metrics, callback_list)
        try:
            callback_list.on_train_begin()
            for epoch in range(settings.initial_epoch, settings.epochs):
                callback_list.on_epoch_begin(epoch)
                batches = self._epoch_batches(train, settings, epoch, device)
                logs = self._fit_epoch(batches, epoch, metrics, callback_list, at_once)
                if validation is not None:
                    scores = self._evaluate_data(validation, settings.batch_size,
                                                 "fit (validation data)")
                    logs.update({f"val_{name}": value for name, value in scores.items()})
                logs["lr"] = float(compiled.optimizer.param_groups[0]["lr"])
                self.epochs_trained = epoch + 1
                callback_list.on_epoch_end(epoch, logs)
                if self._stop_now():
                    break
            callback_list.on_train_end()
        finally:
            self._distribute, self._verbose = None, 0
            if distribute is not None:
                distribute.end_fit()
        return self.history

    def _check_first_batch(self, batch: Batch, device: backend.Device) -> None:
        """Try the first training batch before any step (:func:`check_batch`). A compiled fit
        with no metric to try, whose step is traced for batches like this one, runs only the
        step's data checks on it: the trace ran the model and the loss on these shapes."""
        compiled = self._require_compiled("fit")
        if compiled.jit_compile is True and not compiled.metric_names and device == backend.CPU:
            x, y, weights = unpack(batch, self.output_shape, "fit")
            try:
                if self._compiled_step("train").check(*self._step_arguments(x, y, weights)):
                    return
            except (ValueError, TypeError) as err:
                outputs = (len(x), *self.output_shape[1:])  # type: ignore[index]
                raise loss_error(err, "fit", compiled.loss_name, y.shape, outputs) from None
        check_batch(self, compiled, batch, "fit", device)

    def _callback_list(self, callbacks: Sequence[Any] | None, settings: FitSettings,
                       train: Dataset | BatchSource, validation: Dataset | None) -> CallbackList:
        """The user's callbacks, the History and the progress display, told about this fit."""
        display = progress_callback(settings.verbose)
        callback_list = CallbackList([*(callbacks or []), self.history,
                                      *([display] if display is not None else [])])
        steps = train.num_batches(settings.batch_size) if isinstance(train, Dataset) else \
            len(train) or None
        names = ["loss", *self._require_compiled("fit").metric_names]
        logged = [*names, *(f"val_{n}" for n in names if validation is not None), "lr"]
        callback_list.set_model(self)
        callback_list.set_params({"epochs": settings.epochs, "steps": steps,
                                  "verbose": settings.verbose,
                                  "batch_size": settings.batch_size, "metrics": logged})
        return callback_list

    def _fit_epoch(self, batches: Iterable[Batch], epoch: int, metrics: list[Metric],
                   callbacks: CallbackList, at_once: bool) -> dict[str, float]:
        """One epoch of training steps; returns its logs (sample-mean loss and metrics).

        ``at_once`` (nothing watches single batches: see :meth:`_epoch_at_once`): the
        compiled step runs the whole epoch in one call; otherwise the batches go one by one.
        """
        if not self.training:  # a callback switched to eval mode (evaluate/predict restore it)
            self.train()
        for metric in metrics:
            metric.reset()
        with backend.using_rng(EpochGenerator((self.fit_seed, epoch, 1))):  # type: ignore[arg-type]
            if at_once:
                total, count = self._fit_batches_at_once(batches)
            else:
                total, count = self._fit_batches(batches, metrics, callbacks)
        if self._distribute is not None:  # the whole epoch's sums, from every process
            total, count = self._distribute.combine_epoch(total, count, metrics)
        return epoch_logs(total, count, metrics)

    def _fit_batches(self, batches: Iterable[Batch], metrics: list[Metric],
                     callbacks: CallbackList) -> tuple[float, int]:
        """Train on the batches one by one with the batch callbacks around each step; returns
        the sum of the rows' losses and the number of rows.

        Batch logs (the running loss and metrics) are computed only when a callback listens.
        """
        total, count = 0.0, 0
        batch_begin, batch_end = (callbacks.listens("on_batch_begin"),
                                  callbacks.listens("on_batch_end"))
        for step, batch in enumerate(batches):
            if batch_begin:
                callbacks.on_batch_begin(step, {})
            loss_sum, rows = self._fit_batch(batch, metrics)
            total, count = total + loss_sum, count + rows
            if batch_end:
                callbacks.on_batch_end(step, epoch_logs(total, count, metrics))
            if self._stop_now():
                break
        return total, count

    def _fit_batch(self, batch: Batch, metrics: Sequence[Metric]) -> tuple[float, int]:
        """Train on one batch (in data-parallel training, this process's share of it);
        returns the sum of its rows' losses and its number of rows."""
        if self._distribute is not None:
            batch = self._distribute.shard_batch(batch)
            if not len(batch[0]):  # no rows here: still take the step the others take
                self._distribute.step_without_rows(self.compiled.optimizer)
                return 0.0, 0
        try:
            loss = self.train_step(*batch, metrics=metrics)
        except (ValueError, TypeError) as err:
            name_input_shape(self, batch[0], "fit", err)
            raise
        return loss * len(batch[0]), len(batch[0])

    def _epoch_at_once(self, metrics: Sequence[Metric], callbacks: CallbackList) -> bool:
        """Whether the epoch's steps may go to the compiled step in one call, with the same
        weights, losses and errors as one by one: with ``jit_compile=True``, when nothing can
        see single batches (no metric, no batch callback, the trainer's own ``train_step``,
        no data-parallel sharding)."""
        return (self.compiled.jit_compile is True  # type: ignore[union-attr]
                and not metrics and self._distribute is None
                and getattr(self.train_step, "__func__", None) is Trainer.train_step
                and not callbacks.listens("on_batch_begin")
                and not callbacks.listens("on_batch_end"))

    def _fit_batches_at_once(self, batches: Iterable[Batch]) -> tuple[float, int]:
        """Train on every batch through the compiled step's :meth:`run_each`; returns the sum
        of the rows' losses and the number of rows, added up as :meth:`_fit_batches` does,
        stopping after a step that set ``stop_training`` as it does."""
        rows: list[int] = []
        batch: Batch = ()  # the batch being trained on (to name its shape on errors)

        def arguments() -> Iterator[tuple[np.ndarray, ...]]:
            nonlocal batch
            for batch in batches:
                rows.append(len(batch[0]))
                yield batch if len(batch) == 2 else self._step_arguments(*batch)
                if self.stop_training:
                    return

        try:
            losses = self._compiled_step("train").run_each(arguments(), _loss_value)
        except (ValueError, TypeError) as err:
            name_input_shape(self, batch[0], "fit", err)
            raise
        total = 0.0
        for loss, size in zip(losses, rows):
            total += loss * size
        return total, sum(rows)

    def _stop_now(self) -> bool:
        """Whether to stop: ``stop_training`` here, or in any process of data-parallel fit."""
        if self._distribute is not None:
            self.stop_training = self._distribute.any(self.stop_training)
        return self.stop_training

    def _epoch_batches(self, train: Dataset | BatchSource, settings: FitSettings, epoch: int,
                       device: backend.Device) -> Iterable[Batch]:
        """Epoch ``epoch``'s batches ``(x, y[, sample_weight])`` on ``device``, ``y`` shaped
        for the model."""
        if isinstance(train, Dataset):  # (y was shaped by fit_datasets)
            batches: Iterable[Batch] = train.batches(settings.batch_size,
                                                     shuffle=settings.shuffle,
                                                     seed=self.fit_seed, epoch=epoch)
        else:
            batches = (unpack(batch, self.output_shape, "fit") for batch in train)
        if device == backend.CPU:
            return batches
        return (on_device(batch, device) for batch in batches)

    # ------------------------------------------------------------ the steps
    def train_step(self, x: np.ndarray, y: np.ndarray, sample_weight: Any = None,
                   metrics: Sequence[Metric] = ()) -> float:
        """One step of the four-step loop on one batch; returns its loss (before the step).

        Predict, measure the loss (:meth:`compute_loss`), compute the gradient (backward),
        step against it (the optimizer). With ``compile(..., jit_compile=True)`` these four
        steps run as one compiled step (``dc.jit``): traced at the first batch of each shape,
        then replayed, giving the same weights. ``y`` has the model's output shape. The metrics are
        updated from the batch's predictions before the weights change, so a metric that
        cannot handle the targets fails before the step. Override it for a custom step.

        When nothing looks at single batches (no metrics, no batch callbacks, no progress
        bar, not data-parallel), ``fit(jit_compile=True)`` runs a whole epoch's batches
        through the compiled step in one call instead of calling this method per batch, with
        the same results; a model whose ``train_step`` is overridden gets it called per batch.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1, kernel_initializer="ones")])
        >>> model.compile(dc.optim.SGD(lr=0.25), "mse")
        >>> model.train_step(np.ones((2, 1), np.float32), np.zeros((2, 1), np.float32))
        1.0
        >>> model.get_weights()[0]                                            # 1 - 0.25 * 2
        array([[0.5]], dtype=float32)
        """
        if self.compiled.jit_compile:  # type: ignore[union-attr]
            compiled = self._run_compiled(x, y, sample_weight, with_prediction=bool(metrics))
            if compiled is not None:
                loss, prediction = compiled
                for metric in metrics:
                    metric.update(y, prediction.data, sample_weight=sample_weight)
                return float(loss.data)
        prediction = self(Tensor._wrap(x))
        loss = self.compute_loss(y, prediction, sample_weight)
        for metric in metrics:
            metric.update(y, prediction.data, sample_weight=sample_weight)
        self._descend(loss)
        return float(loss.data)

    def _descend(self, loss: Tensor) -> None:
        """Compute the gradient of ``loss`` and step against it."""
        optimizer = self.compiled.optimizer  # type: ignore[union-attr]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def _whole_step(self, x: Tensor, y: Tensor,
                    sample_weight: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Predict, measure, compute the gradient, step: what ``jit_compile`` traces."""
        prediction = self(x)
        loss = self.compute_loss(y, prediction, sample_weight)
        self._descend(loss)
        return loss, prediction

    def _loss_step(self, x: Tensor, y: Tensor, sample_weight: Tensor | None = None) -> Tensor:
        """:meth:`_whole_step` giving back only the loss (when no metric needs the
        prediction, the compiled step then need not keep it)."""
        return self._whole_step(x, y, sample_weight)[0]

    def _run_compiled(self, x: np.ndarray, y: np.ndarray, sample_weight: Any,
                      with_prediction: bool) -> tuple[Tensor, Tensor | None] | None:
        """:meth:`_whole_step` through ``dc.jit``: its (loss, prediction), the prediction
        None unless asked for; or ``None`` where ``jit_compile="auto"`` chose the eager step,
        and in anomaly mode (the eager step checks every op; the compiled step would run it).

        The compiled steps (with and without the prediction) are made at their first use
        after ``compile``; each traces one program per batch shape and train/eval mode.
        """
        compiled = self.compiled
        if compiled.jit_choice == "eager" or is_anomaly_enabled():  # (anomaly mode: eagerly)
            return None
        arrays = self._step_arguments(x, y, sample_weight)
        step = self._compiled_step("train with prediction" if with_prediction else "train")
        if compiled.jit_compile is True or step.ready(*arrays):  # type: ignore[union-attr]
            result = step(*arrays)
        else:
            result = self._try_compiled(step, arrays)
            if result is None:
                return None
        return result if with_prediction else (result, None)

    def _step_arguments(self, x: np.ndarray, y: np.ndarray,
                        sample_weight: Any = None) -> tuple[np.ndarray, ...]:
        """The compiled step's arguments: ``(x, y)``, or ``(x, y, sample_weight)`` with the
        weights in the loss's dtype (so that no array is made inside the step)."""
        if sample_weight is None:
            return x, y
        if isinstance(sample_weight, np.ndarray):
            sample_weight = sample_weight.astype(self.dtype, copy=False)
        return x, y, sample_weight

    def _compiled_step(self, name: str) -> Any:
        """The compiled step ``name`` (``"train"``: :meth:`_loss_step`, ``"train with
        prediction"``: :meth:`_whole_step`), made at its first use."""
        steps = self.compiled.jit_steps  # type: ignore[union-attr]
        if name not in steps:
            from descend.compiler import jit  # (the compiler loads with the first compiled fit)

            fn = self._loss_step if name == "train" else self._whole_step
            steps[name] = jit(fn, key=functools.partial(getattr, self, "training"))
        return steps[name]

    def _try_compiled(self, step: Any, arrays: tuple[Any, ...]) -> Any:
        """``jit_compile="auto"``: trace ``step`` on ``arrays``; if it cannot be traced, put
        back what the attempt changed, choose the eager step and return None."""
        from descend.compiler import TraceError

        state, random = self.state_dict(), backend.rng().bit_generator.state
        try:
            result = step(*arrays)
        except TraceError as err:  # put back what the attempt changed; train eagerly
            self.load_state_dict(state)
            backend.rng().bit_generator.state = random
            self._jit_chose("eager", f": {str(err).split('. ')[0]}")
            return None
        self._jit_chose("compiled", " (dc.jit)")
        return result

    def _jit_chose(self, choice: str, why: str) -> None:
        if self.compiled.jit_choice is None and self._verbose:  # type: ignore[union-attr]
            print(f"fit: jit_compile='auto' runs the {choice} step{why}")
        self.compiled.jit_choice = choice  # type: ignore[union-attr]

    def test_step(self, x: np.ndarray, y: np.ndarray, sample_weight: Any = None,
                  metrics: Sequence[Metric] = ()) -> float:
        """The loss of one batch without its regularisation penalty; updates ``metrics``.

        Runs as :meth:`evaluate` calls it: in eval mode, without a graph.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> model.test_step(np.ones((2, 1), np.float32), np.zeros((2, 1)))
        1.0
        """
        prediction = forward(self, x, "evaluate")
        loss = self._require_compiled("evaluate").batch_loss(y, prediction, sample_weight)
        for metric in metrics:
            metric.update(y, prediction.data, sample_weight=sample_weight)
        return float(loss.data)

    def predict_step(self, x: np.ndarray) -> np.ndarray:
        """The model's outputs for one batch of inputs, as an array.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(2, input_dim=3)])
        >>> model.predict_step(np.ones((4, 3), np.float32)).shape
        (4, 2)
        """
        return forward(self, x, "predict").data

    def compute_loss(self, y: np.ndarray, y_pred: Tensor, sample_weight: Any = None) -> Tensor:
        """The loss to minimise on one batch: the compiled loss plus regularisation penalties.

        Whether the model has regularizers is asked at the first loss and kept until the
        next ``fit``, ``evaluate`` or ``train_on_batch`` call (layers added in between count
        from then on).

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
        >>> model.compute_loss(np.zeros((2, 1)), dc.tensor([[1.0], [3.0]])).item()
        5.0
        """
        loss = self._require_compiled("fit").batch_loss(y, y_pred, sample_weight)
        if self._regularized is None:
            self._regularized = self.has_regularizers()
        return loss + self.regularization_loss() if self._regularized else loss

    # ---------------------------------------------------------------- one batch
    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """One gradient step on one batch; returns its loss and metrics (before the step).

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
        >>> sorted(model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1))))
        ['loss']
        """
        compiled = self._require_compiled("train_on_batch")
        data = self._one_batch(x, y, sample_weight, "train_on_batch")
        self._ensure_built(data.x.shape)
        y = match_target_shape(data.y, self.output_shape)
        metrics = compiled.make_metrics(y.shape, self.output_shape)
        x, y, weights = on_device((data.x, y, data.sample_weight), self.device)
        try:
            loss = self.train_step(x, y, weights, metrics)
        except (ValueError, TypeError) as err:
            name_input_shape(self, data.x, "train_on_batch", err)
            raise
        return {"loss": loss, **{m.name: m.result() for m in metrics}}

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """The loss and metrics on one batch, without training.

        >>> import numpy as np, descend as dc
        >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.test_on_batch(np.ones((4, 2)), np.zeros((4, 1)))
        {'loss': 4.0, 'mae': 2.0}
        """
        data = self._one_batch(x, y, sample_weight, "test_on_batch")
        return self.evaluate(data, batch_size=len(data))

    def _one_batch(self, x: Any, y: Any, sample_weight: Any, where: str) -> Dataset:
        data = make_dataset(x, y, sample_weight, where, self.dtype)
        if not isinstance(data, Dataset) or data.y is None:
            raise ValueError(f"{where}: needs arrays x and y (one batch)")
        return data

    # ---------------------------------------------------------------- inference
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
        self._require_compiled("evaluate")
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
        logs = self._evaluate_data(data, size, "evaluate")
        if verbose:
            print(format_logs(logs))
        return logs

    def _evaluate_data(self, data: Dataset | BatchSource, batch_size: int,
                       where: str) -> dict[str, float]:
        """The loss and metrics over ``data``, in eval mode without a graph.

        The loss is the mean of the batch losses weighted by batch size (so the per-sample
        mean, sample weights applied as in training) plus the regularisation penalty.
        """
        sample = data.y if isinstance(data, Dataset) else None
        metrics = self._require_compiled(where).make_metrics(
            None if sample is None else sample.shape, self.output_shape)
        total, count, device = 0.0, 0, self.device
        batches = data.batches(batch_size) if isinstance(data, Dataset) else iter(data)
        with inference_mode(self):
            for batch in batches:
                x, y, weights = on_device(unpack(batch, self.output_shape, where), device)
                total += self.test_step(x, y, weights, metrics) * len(x)
                count += len(x)
            penalty = float(self.regularization_loss().data) if self.has_regularizers() else 0.0
        return {"loss": total / max(count, 1) + penalty, **{m.name: m.result() for m in metrics}}

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
        device = self.device
        with inference_mode(self):
            batches = data.batches(size) if isinstance(data, Dataset) else data
            outputs = [backend.to_host(self.predict_step(backend.to_device(batch[0], device)))
                       for batch in batches]
        return np.concatenate(outputs, axis=0)

    # ---------------------------------------------------------------- set-up
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
        self._regularized = None  # (asked at this call's first loss: a replayed step has none)


def _loss_value(loss: Tensor) -> float:
    return float(loss.data)
