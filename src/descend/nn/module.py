"""``Module`` (a layer or a model built from layers) and ``Parameter`` (a trainable tensor).

A module finds its parts by looking at its attributes: every :class:`Parameter`, every
``Module`` and every list/tuple of Modules assigned to ``self`` is registered automatically,
in assignment order. Buffers (state that is saved but not trained, like BatchNorm's running
statistics) are registered with :meth:`Module.register_buffer`.

>>> import descend as dc
>>> from descend.nn import Dense, Module
>>> class TwoLayer(Module):
...     def __init__(self):
...         super().__init__()
...         self.encoder = Dense(4, activation="relu", input_dim=3)
...         self.head = Dense(1, input_dim=4)
...     def forward(self, x):
...         return self.head(self.encoder(x))
>>> net = TwoLayer()
>>> [name for name, _ in net.named_parameters()]
['encoder.kernel', 'encoder.bias', 'head.kernel', 'head.bias']
>>> net(dc.ones((2, 3))).shape
(2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from descend import backend, tracing
from descend.autograd.mode import no_grad
from descend.creation import zeros
from descend.tensors import ArrayLike, Tensor

Shape = tuple[int | None, ...]
"""A shape whose first (batch) axis may be ``None``: any batch size."""


class Parameter(Tensor):
    """A tensor a module trains: floating point, ``requires_grad=True``.

    Args:
        data: the initial values (copied); floats get the default dtype unless ``dtype``.
        dtype: ``"float32"`` or ``"float64"``.
        device: ``"cpu"`` or ``"cuda[:N]"`` (by default where ``data`` is).

    >>> import descend as dc
    >>> p = dc.nn.Parameter([1.0, 2.0])
    >>> p.requires_grad, p.dtype
    (True, dtype('float32'))
    """

    def __init__(self, data: ArrayLike, *, dtype: Any = None,
                 device: backend.DeviceLike | None = None) -> None:
        super().__init__(data, dtype=dtype, device=device)
        if self.data.dtype.kind != "f":
            raise TypeError(
                f"Parameter: parameters must be floating point to be trained, got "
                f"{self.data.dtype}; pass float values or dtype='float32'"
            )
        self.requires_grad = True

    def __repr__(self) -> str:
        body = super().__repr__()
        if body.endswith(", requires_grad=True)"):
            body = body.removesuffix(", requires_grad=True)") + ")"
        return f"Parameter({body})"


class LoadResult(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (both empty after a strict load).

    >>> LoadResult(missing_keys=[], unexpected_keys=["bias"]).unexpected_keys
    ['bias']
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """The base of every layer and model: parameters, children, buffers and training mode.

    Subclasses call ``super().__init__()`` first, assign parameters and sub-modules as
    attributes, and define ``forward``; calling the module calls ``forward``.

    >>> import descend as dc
    >>> layer = dc.nn.Dense(2, input_dim=3)
    >>> sum(p.size for p in layer.parameters())
    8
    """

    training: bool
    input_shape: Shape | None
    output_shape: Shape | None

    def __init__(self) -> None:
        self.training = True
        self.input_shape = None
        self.output_shape = None
        self._buffer_names: list[str] = []
        self._regularizers: dict[str, Callable[[Tensor], Tensor]] = {}
        self._dtype: np.dtype | None = None
        self._device: backend.Device | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: name the usual cause of a missing base state.
        if name in ("training", "input_shape", "output_shape", "_buffer_names",
                    "_regularizers", "_dtype", "_device", "_built"):
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}: call super().__init__() at "
                f"the start of {type(self).__name__}.__init__"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if len(args) == 1 and isinstance(args[0], Tensor) and isinstance(out, Tensor):
            self.input_shape = batch_shape(args[0].shape)
            self.output_shape = batch_shape(out.shape)
        return out

    # ------------------------------------------------------------------ building
    @property
    def built(self) -> bool:
        """Whether every parameter exists (lazy layers create theirs from their first input)."""
        return all(child.built for _, child in self.named_children())

    @property
    def dtype(self) -> np.dtype:
        """The dtype new parameters get (the default dtype unless :meth:`astype` was called)."""
        return backend.get_default_dtype() if self._dtype is None else self._dtype

    @property
    def device(self) -> backend.Device:
        """Where the parameters live, and where lazy layers create theirs: the device given
        to :meth:`to`, else that of the first parameter (the CPU when there is none)."""
        if self._device is not None:
            return self._device
        for _, module in self.named_modules():  # (the walk stops at the first parameter)
            for _, param in module._own(("parameter",)):
                return param.device
        return backend.CPU

    def build(self, input_shape: Shape) -> Module:
        """Create every lazy parameter for inputs of ``input_shape``; returns the module.

        Args:
            input_shape: the full input shape; the batch axis may be ``None``
                (``model.build((None, 13))``).

        A plain module runs one forward pass on zeros (in eval mode, without gradients);
        layers override this with shape arithmetic.
        """
        shape = tuple(1 if size is None else int(size) for size in input_shape)
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            with no_grad():
                self(zeros(shape, dtype=self.dtype, device=self.device))
        finally:
            for module, mode in modes:
                module.training = mode
        return self

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for inputs of ``input_shape`` (builds the module if needed)."""
        self.build(input_shape)
        if self.output_shape is None:
            raise TypeError(f"{type(self).__name__}: cannot tell its output shape because "
                            "forward does not return a single Tensor")
        return self.output_shape

    # ------------------------------------------------------------------ structure
    def register_buffer(self, name: str, value: Tensor) -> None:
        """Keep ``value`` as attribute ``name``, saved in ``state_dict`` but not trained."""
        if tracing.active is not None:  # built in a traced step: kept, not a constant of it
            tracing.active.kept(value)
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their attribute names (``blocks.0`` for lists)."""
        for name, value in vars(self).items():
            if not isinstance(value, CONTAINERS):  # (most attributes: one test)
                continue
            if isinstance(value, Module):
                yield name, value
            elif value and isinstance(value[0], Module) \
                    and all(isinstance(v, Module) for v in value):  # (shapes fail at [0])
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def children(self) -> list[Module]:
        """The direct sub-modules."""
        return [child for _, child in self.named_children()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``""``) and every module inside it, depth first, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, c) for n, c in module.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> list[Module]:
        """This module and every module inside it (in :meth:`named_modules`' order)."""
        return [module for _, module in self.named_modules()]

    def _own(self, kinds: tuple[str, ...]) -> Iterator[tuple[str, Tensor]]:
        if "parameter" in kinds:
            for name, value in vars(self).items():
                if isinstance(value, Parameter):
                    yield name, value
        if "buffer" in kinds:
            for name in self._buffer_names:
                yield name, getattr(self, name)

    def _named(self, *kinds: str) -> list[tuple[str, Tensor]]:
        """(dotted name, tensor) of the given kinds, module by module, each tensor once."""
        found: list[tuple[str, Tensor]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, tensor in module._own(kinds):
                if id(tensor) not in seen:
                    seen.add(id(tensor))
                    found.append((f"{prefix}.{name}" if prefix else name, tensor))
        return found

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``"0.kernel"``, ``"encoder.bias"``), once."""
        return self._named("parameter")  # type: ignore[return-value]

    def parameters(self) -> list[Parameter]:
        """Every parameter of the module and its sub-modules, each once."""
        return [p for _, p in self.named_parameters()]  # type: ignore[misc]

    def named_buffers(self) -> list[tuple[str, Tensor]]:
        """Every buffer (saved, untrained state) with its dotted name."""
        return self._named("buffer")

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Switch this module and all inside it to training mode (or eval for False); inside a
        compiled step (``dc.jit``), every replay does it again."""
        if tracing.active is not None:
            tracing.active.live_call(self.train, (mode,), f"model.train({bool(mode)})")
            return self
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: dropout off, BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets ``.grad`` to None); inside a compiled step
        (``dc.jit``), every replay does it again."""
        if tracing.active is not None:
            tracing.active.live_call(self.zero_grad, (), "model.zero_grad()")
            return
        for p in self.parameters():
            p.grad = None

    def astype(self, dtype: Any) -> Module:
        """Convert every parameter and buffer in place (float32 <-> float64); returns self.

        Parameters keep their identity, so an optimizer holding them still works; layers built
        later create their parameters in ``dtype`` too.

        >>> import descend as dc
        >>> dc.nn.Dense(2, input_dim=3).astype("float64").kernel.dtype
        dtype('float64')
        """
        target = backend.floating_dtype(dtype, f"{type(self).__name__}.astype")
        for module in self.modules():
            module._dtype = target
        for _, tensor in self._named("parameter", "buffer"):
            if tensor.data.dtype.kind == "f":
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad = Tensor._wrap(tensor.grad.data.astype(target))
        return self

    def to(self, device: backend.DeviceLike) -> Module:
        """Move every parameter and buffer to ``device`` in place; returns self.

        As torch's ``Module.to``, parameters keep their identity, so an optimizer holding them
        still works (its state is made on the parameters' device at their first step: move
        the model before training it). Layers built later create their parameters there.

        >>> import descend as dc
        >>> layer = dc.nn.Dense(2, input_dim=3).to("cpu")
        >>> str(layer.kernel.device), str(layer.device)
        ('cpu', 'cpu')
        """
        target = backend.device(device)
        for module in self.modules():
            module._device = target
        for _, tensor in self._named("parameter", "buffer"):
            tensor.data = backend.to_device(tensor.data, target)
            if tensor.grad is not None:
                tensor.grad = Tensor._wrap(backend.to_device(tensor.grad.data, target))
        return self

    # ------------------------------------------------------------------ regularization
    def add_regularizer(self, name: str, regularizer: Callable[[Tensor], Tensor]) -> None:
        """Penalise parameter ``name`` of this module with ``regularizer(parameter)``."""
        self._regularizers[name] = regularizer

    def has_regularizers(self) -> bool:
        """Whether any module inside has a regularizer (so the trainer can skip the sum).

        >>> import descend as dc
        >>> dc.nn.Dense(1, kernel_regularizer="l2").has_regularizers()
        True
        """
        return any(module._regularizers for module in self.modules())

    def regularization_loss(self) -> Tensor:
        """The sum of every regularizer penalty in the module (a scalar; 0 when none).

        >>> import descend as dc
        >>> layer = dc.nn.Dense(1, input_dim=2, kernel_initializer="ones",
        ...                     kernel_regularizer=dc.nn.regularizers.L2(0.5))
        >>> layer.regularization_loss().item()
        1.0
        """
        total: Tensor | None = None
        for module in self.modules():
            for name, regularizer in module._regularizers.items():
                param = getattr(module, name, None)
                if param is not None:
                    penalty = regularizer(param)
                    total = penalty if total is None else total + penalty
        return total if total is not None else zeros((), dtype=self.dtype, device=self.device)

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, np.ndarray]:
        """Host copies of every parameter and buffer as NumPy arrays, keyed by dotted name.

        >>> import descend as dc
        >>> sorted(dc.nn.BatchNorm(input_shape=(3,)).state_dict())
        ['beta', 'gamma', 'running_mean', 'running_var']
        """
        return {name: np.array(backend.to_host(t.data))
                for name, t in self._named("parameter", "buffer")}

    def load_state_dict(self, state: Mapping[str, ArrayLike], strict: bool = True) -> LoadResult:
        """Copy values into the parameters and buffers (in place, keeping dtype and device).

        Args:
            state: arrays keyed by dotted name, as :meth:`state_dict` gives.
            strict: every key must match (else only matching keys load); a shape mismatch is
                always an error.

        Raises:
            ValueError: listing all missing keys, unexpected keys and shape mismatches at once.

        >>> import descend as dc
        >>> a, b = dc.nn.Dense(2, input_dim=3), dc.nn.Dense(2, input_dim=3)
        >>> b.load_state_dict(a.state_dict())
        LoadResult(missing_keys=[], unexpected_keys=[])
        """
        targets = dict(self._named("parameter", "buffer"))
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        values = {k: v.numpy() if isinstance(v, Tensor) else np.asarray(v)
                  for k, v in state.items() if k in targets}
        mismatched = [f"{k}: expected shape {targets[k].shape}, got {v.shape}"
                      for k, v in values.items() if v.shape != targets[k].shape]
        problems = ([f"shape mismatch for {m}" for m in mismatched]
                    + ([f"missing keys: {missing}"] if strict and missing else [])
                    + ([f"unexpected keys: {unexpected}"] if strict and unexpected else []))
        if problems:
            hint = "" if self.built else (
                " (some layers are not built yet: call model.build(input_shape) or run the "
                "model on one batch before loading)")
            raise ValueError(f"load_state_dict: the state does not fit {type(self).__name__}"
                             f"{hint}: " + "; ".join(problems))
        for k, v in values.items():
            backend.copy_into(targets[k].data, v)
        return LoadResult(missing, unexpected)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The options shown inside the module's repr (layers override it)."""
        return ""

    def __repr__(self) -> str:
        children = [f"  ({name}): " + repr(child).replace("\n", "\n  ")
                    for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(children) + "\n)" if children else ")")

    def summary(self, *, print_fn: Callable[[str], Any] | None = print) -> str:
        """Print (and return) a table of the layers, their output shapes and parameter counts.

        >>> import descend as dc
        >>> text = dc.Sequential([dc.nn.Dense(4, input_dim=3), dc.nn.Dense(1)]).summary()
        Model: "Sequential"
        ...
        Total params: 21
        ...
        """
        from descend.nn.summary import summary_table

        text = summary_table(self)
        if print_fn is not None:
            print_fn(text)
        return text


CONTAINERS = (Module, list, tuple)
"""What an attribute holding sub-modules is: a Module, or a list or tuple of them."""


def batch_shape(shape: tuple[int, ...]) -> Shape:
    """``shape`` with the batch axis (the first) shown as ``None``.

    >>> batch_shape((32, 13))
    (None, 13)
    """
    return (None, *shape[1:]) if shape else shape
