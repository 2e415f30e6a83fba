"""``Function``: the base of every op, with ``forward`` on arrays and ``backward`` beside it.

An op subclasses :class:`Function`, computes its result from NumPy arrays in ``forward`` and
returns the gradient for each input in ``backward``. One ``backward`` serves two passes:

* a plain ``backward()`` calls it with NumPy arrays (``gy`` is an ndarray): the gradient is
  computed directly, with no graph and no Tensor objects, which is fast;
* ``backward(create_graph=True)`` (and Hessians) calls it with Tensors, so the backward pass is
  itself recorded and can be differentiated again.

``backward`` therefore gets its inputs with :meth:`Function.operands` (arrays or Tensors, the
same kind as ``gy``) and uses operators and descend's functions, which accept both kinds.
``apply`` runs the op on Tensors and, when grad mode is on and an input requires grad, records
it in the graph; given only arrays it just computes the value.

>>> import numpy as np, descend as dc
>>> from descend.autograd.function import Function
>>> class Cube(Function):
...     def forward(self, x):
...         return x ** 3
...     def backward(self, gy):
...         (x,) = self.operands(gy)
...         return gy * 3 * x * x
>>> x = dc.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad.numpy()
array([12.], dtype=float32)
>>> dc.grad(dc.grad(lambda t: Cube.apply(t)))(dc.tensor(2.0)).item()    # 6x
12.0
"""

from __future__ import annotations

import itertools
import os
import traceback
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

# names used on hot paths are imported: NumPy's module __getattr__ keeps CPython 3.11
# from caching np.<name>, a dictionary lookup per call (~15 ns)
import numpy as np
from numpy import asarray, ndarray

from descend.autograd.mode import state

if TYPE_CHECKING:
    from descend.tensor import Tensor
else:
    Tensor = None  # bound by descend.tensor once the class exists (it imports this module)

_new_tensor = object.__new__

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Function:
    """One node of the graph: an op applied to input Tensors, giving one output Tensor.

    Attributes set by :meth:`apply` when the op is recorded:
        inputs: the input Tensors (``None`` once the graph has been freed by ``backward``).
        needs_input_grad: for each input, whether it requires grad; ``backward`` may return
            ``None`` for the others and skip their work.
    """

    name: ClassVar[str] = ""
    """What graphs, ``explain`` and error messages print; defaults to the lowercase class name."""
    save_output: ClassVar[bool] = False
    """Set by ops whose backward uses their own output (exp, tanh, softmax, ...)."""
    saved_arrays: ClassVar[tuple[str, ...]] = ()
    """Attributes holding arrays kept for backward (beyond the inputs): released after it."""

    inputs: tuple[Tensor, ...] | None = None
    needs_input_grad: tuple[bool, ...] = ()
    _seq: int = 0
    _output_ref: weakref.ref[Tensor] | None = None
    created_at: str = ""

    keeps_arrays: ClassVar[bool] = False
    """Whether the op holds arrays for backward beyond its inputs (``saved_arrays``, or what
    its own :meth:`release` frees): then freeing the graph calls :meth:`release`, otherwise
    dropping the inputs is enough. Its output (``save_output``) does not count: it is held by
    a weak reference, which keeps no memory alive. Set for each subclass."""

    checks_gradients: ClassVar[bool] = True
    """Whether backward checks what this op's backward returns (one gradient per input, each of
    its input's shape) so that a mistake names the op. True for ops defined outside descend.
    descend's own ops skip it (two array attribute reads per edge, 2 % of a tiny model's step):
    the test suite checks their gradients shape by shape, against finite differences and
    PyTorch over broadcast shapes drawn by hypothesis, and ``Optimizer.step`` still checks
    each parameter's gradient. Set for each subclass."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()
        cls.keeps_arrays = bool(cls.saved_arrays) or cls.release is not Function.release
        cls.checks_gradients = not cls.__module__.startswith("descend.")

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        """Compute the op's value from the inputs' arrays."""
        raise NotImplementedError

    def backward(self, gy: Any) -> Any:
        """Return the gradient for each input (or ``None``), given the output's gradient.

        ``gy`` is an ndarray in a plain backward pass and a Tensor when the pass is recorded
        (``create_graph=True``); return the same kind.
        """
        raise NotImplementedError(f"{self.name}: this op has no gradient")

    def operands(self, gy: Any) -> tuple[Any, ...]:
        """The inputs, as arrays when ``gy`` is an array and as Tensors when it is a Tensor."""
        inputs = self.inputs
        if isinstance(gy, Tensor):
            return inputs
        if len(inputs) == 2:
            return inputs[0].data, inputs[1].data
        if len(inputs) == 1:
            return (inputs[0].data,)
        return tuple([t.data for t in inputs])

    def result(self, gy: Any) -> Any:
        """The output (ops with ``save_output = True``), the same kind as ``gy``."""
        return self.output if isinstance(gy, Tensor) else self.output.data

    @property
    def output(self) -> Tensor:
        """The Tensor this op produced (only for ops with ``save_output = True``)."""
        out = self._output_ref() if self._output_ref is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: its output is no longer alive; cannot backward")
        return out

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run the op on Tensors and record it in the graph when a gradient is needed.

        Called with arrays only (as ``backward`` does in a plain backward pass), it returns
        the array value and records nothing.
        """
        fn = cls(**kwargs) if kwargs else cls()
        first = inputs[0]
        if not isinstance(first, Tensor):
            if len(inputs) == 1 or not any(isinstance(t, Tensor) for t in inputs):
                data = fn.forward(*inputs)
                if cls.saved_arrays:
                    fn.release()
                return data if type(data) is np.ndarray else np.asarray(data)
            inputs = tuple(t if isinstance(t, Tensor) else Tensor._wrap(np.asarray(t))
                           for t in inputs)
            first = inputs[0]
        # One and two inputs are spelled out: this runs for every op, and the generic
        # comprehensions cost more than the NumPy work of an op on small arrays.
        if len(inputs) == 2:
            second = inputs[1]
            data = fn.forward(first.data, second.data)
            needs: tuple[bool, ...] = (first.requires_grad, second.requires_grad)
        elif len(inputs) == 1:
            data = fn.forward(first.data)
            needs = (first.requires_grad,)
        else:
            data = fn.forward(*[t.data for t in inputs])
            needs = tuple([t.requires_grad for t in inputs])
        if type(data) is not ndarray:
            data = asarray(data)
        out = _new_tensor(Tensor)  # Tensor._wrap's fields, set here without the extra call
        out.data = data
        out.grad = None
        out.name = None
        out._retains_grad = False
        if state.grad_enabled and True in needs:
            fn.inputs = inputs
            fn.needs_input_grad = needs
            fn._seq = next(_sequence)
            out.requires_grad = True
            out._ctx = fn
            if cls.save_output:
                fn._output_ref = weakref.ref(out)
        else:
            out.requires_grad = False
            out._ctx = None
            if cls.saved_arrays:
                fn.release()  # not recorded: what it kept for backward can go (or be reused) now
        return _checked(fn, data, out) if state.anomaly else out

    def release(self) -> None:
        """Free what the op holds for backward: its inputs, output and ``saved_arrays``.

        Settings (an exponent, an axis) stay, so a freed graph can still be described.
        """
        saved = self.__dict__
        saved["inputs"] = None
        saved.pop("_output_ref", None)
        for name in self.saved_arrays:
            saved.pop(name, None)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _checked(fn: Function, data: np.ndarray, out: Tensor) -> Tensor:
    """Anomaly mode: note where ``fn`` was created and check its value is finite."""
    fn.created_at = user_frame()
    check_finite(data, f"the forward value of '{fn.name}'", fn)
    return out


_sequence = itertools.count()
"""Numbers recorded ops in creation order: an op always comes after the ops of its inputs."""

def user_frame() -> str:
    """``file:line in function`` of the innermost stack frame outside the descend package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return "<unknown>"


def check_finite(data: np.ndarray, what: str, fn: Function) -> None:
    """Raise ``FloatingPointError`` naming ``what`` and where ``fn`` was created, if NaN/inf."""
    if data.dtype.kind != "f" or np.isfinite(data).all():
        return
    bad = int(data.size - np.count_nonzero(np.isfinite(data)))
    raise FloatingPointError(
        f"anomaly: {what} is not finite ({bad} of {data.size} values are NaN/inf)\n"
        f"  the op '{fn.name}' was created at {fn.created_at or '<unknown>'}"
    )
