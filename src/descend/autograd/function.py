"""``Function``: the base of every op, with ``forward`` on arrays and ``backward`` beside it.

An op subclasses :class:`Function`: ``forward`` computes its value from the inputs' arrays
(NumPy's, or CuPy's on a GPU: ``backend.array_module(x)`` gives the module to call), and
``backward`` returns the gradient for each input given the output's gradient ``gy``.
``backward`` works on Tensors only: ``gy`` is a Tensor, the inputs are ``self.inputs`` and
the op's own output is ``self.output``, and it builds the gradients with descend's ops. A
plain ``backward()`` runs it with grad mode off, so nothing is recorded;
``backward(create_graph=True)`` runs it with grad mode on, so the gradients get a graph of
their own and can be differentiated again.

>>> import numpy as np, descend as dc
>>> from descend.autograd.function import Function
>>> class Cube(Function):
...     def forward(self, x):
...         return x ** 3
...     def backward(self, gy):
...         (x,) = self.inputs
...         return gy * 3 * x * x
>>> x = dc.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad.numpy()
array([12.], dtype=float32)
>>> dc.grad(dc.grad(lambda t: Cube.apply(t)))(dc.tensor(2.0)).item()    # 6x
12.0
"""

from __future__ import annotations

import weakref
from typing import Any, ClassVar

import numpy as np

from descend import backend, tracing
from descend.autograd.mode import state
from descend.tensors import Tensor, clock


class Function:
    """One node of the graph: an op applied to input Tensors, giving one output Tensor.

    Attributes set by :meth:`apply` when the op is recorded:
        inputs: the input Tensors (``None`` once ``backward`` has freed the graph).
        needs_input_grad: for each input, whether it requires grad; ``backward`` may return
            ``None`` for the others and skip their work.
        sequence: when the op was recorded, a number of :data:`~descend.tensors.clock`: an op
            comes after the ops of its inputs (the engine's topological order), and a tensor
            it saved was changed in place since exactly when ``tensor.changed_since(sequence)``.
    """

    name: ClassVar[str] = ""
    """What graphs, ``explain`` and error messages print; defaults to the lowercase class name."""
    save_output: ClassVar[bool] = False
    """Set by ops whose backward uses their own output (exp, tanh, softmax, ...)."""
    reads_inputs: ClassVar[bool] = True
    """Whether backward reads the inputs' values. Ops that only pass the gradient on (add,
    reshape, sum, ...) clear it: changing their inputs in place afterwards is then harmless."""
    returns_view: ClassVar[bool] = False
    """Set by ops whose output may view their input's memory (reshape, transpose, indexing):
    such an output counts its in-place changes with its input's (``Tensor.version``)."""
    saved_arrays: ClassVar[tuple[str, ...]] = ()
    """Attributes holding arrays kept for backward (beyond the inputs): released after it."""

    inputs: tuple[Tensor, ...] | None = None
    needs_input_grad: tuple[bool, ...] = ()
    sequence: int = 0
    created_at: str = ""
    released: bool = False
    _output_ref: weakref.ref[Tensor] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        """Compute the op's value from the inputs' arrays."""
        raise NotImplementedError

    def backward(self, gy: Tensor) -> Tensor | tuple[Tensor | None, ...] | None:
        """Return the gradient for each input (``None`` for an input without one)."""
        raise NotImplementedError(f"{self.name}: this op has no gradient")

    @classmethod
    def apply(cls, *inputs: Tensor, **settings: Any) -> Tensor:
        """Run the op on Tensors; record it in the graph when grad mode is on and an input
        requires grad. ``settings`` (an axis, an exponent) go to the op's constructor."""
        fn = cls(**settings)
        arrays, needs = [], []
        for x in inputs:
            arrays.append(x.data)
            needs.append(x.requires_grad)
        try:
            value = fn.forward(*arrays)
        except (TypeError, ValueError) as err:
            mixed = backend.mixed_devices(fn.name, arrays)
            if mixed is None:
                raise
            raise mixed from err
        out = Tensor._wrap(value if type(value) is np.ndarray else backend.as_array(value))
        if fn.returns_view:
            out._view_of(inputs[0])
        if state.grad_enabled and True in needs:
            fn._record(inputs, tuple(needs), out)
        for hook in forward_hooks:
            hook(fn, out)
        if tracing.active is not None:
            tracing.active.op(fn, inputs, out)
        return out

    def _record(self, inputs: tuple[Tensor, ...], needs: tuple[bool, ...], out: Tensor) -> None:
        """Link ``out`` to this op and this op to its inputs."""
        self.inputs = inputs
        self.needs_input_grad = needs
        self.sequence = next(clock)
        if self.save_output:
            self._output_ref = weakref.ref(out)  # weak: the output's memory is not kept
        out.requires_grad = True
        out._ctx = self

    @property
    def output(self) -> Tensor:
        """The Tensor this op produced (only for ops with ``save_output = True``)."""
        out = self._output_ref() if self._output_ref is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: its output is no longer alive; cannot backward")
        return out

    def check_versions(self, output: Tensor) -> None:
        """Raise if a tensor that backward reads was changed in place since the op was
        recorded: an input (when ``reads_inputs``) or its output (when ``save_output``)."""
        if self.reads_inputs:
            for x in self.inputs:
                if x.changed_since(self.sequence):
                    raise self._changed(x)
        if self.save_output and output.changed_since(self.sequence):
            raise self._changed(output)

    def _changed(self, tensor: Tensor) -> RuntimeError:
        return RuntimeError(
            f"backward: {describe(tensor)}, which '{self.name}' saved for its gradient, was "
            f"changed in place since (its version is now {tensor.version}); make the change "
            f"after backward, or on a copy (x = x - y)"
        )

    def release(self, *, keep_values: bool = False) -> None:
        """Mark the op as gone through by backward, and free what it holds for it: its inputs,
        output and ``saved_arrays`` (all kept with ``keep_values``: a small graph that
        ``draw_graph`` can still picture).

        Settings (an exponent, an axis) stay, so a freed graph can still be described.
        """
        self.released = True
        if keep_values:
            return
        saved = self.__dict__
        saved["inputs"] = None
        saved.pop("_output_ref", None)
        for name in self.saved_arrays:
            saved.pop(name, None)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def describe(tensor: Tensor) -> str:
    """How error messages name a tensor: its name when it has one, and its shape."""
    label = f"the tensor '{tensor.name}'" if tensor.name else "a tensor"
    return f"{label} of shape {tensor.shape}"


forward_hooks: list[Any] = []
"""Callables ``hook(fn, out)`` run after every op's forward (anomaly mode adds one)."""
