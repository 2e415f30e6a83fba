"""``Function``: the base of every op, with ``forward`` on arrays and ``backward`` on Tensors.

An op subclasses :class:`Function`, computes its result from NumPy arrays in ``forward`` and
returns the gradient for each input in ``backward``. ``backward`` is written with Tensor ops, so
the backward pass is itself differentiable (``create_graph=True``, Hessians). ``apply`` runs the
op and, when grad mode is on and an input requires grad, records it in the graph.

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
"""

from __future__ import annotations

import os
import traceback
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from descend.autograd.mode import state

if TYPE_CHECKING:
    from descend.tensor import Tensor

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

    inputs: tuple[Tensor, ...] | None = None
    needs_input_grad: tuple[bool, ...] = ()
    _output_ref: weakref.ref[Tensor] | None = None
    created_at: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        """Compute the op's value from the inputs' arrays."""
        raise NotImplementedError

    def backward(self, gy: Tensor) -> Any:
        """Return the gradient for each input (a Tensor, or ``None``), given the output's."""
        raise NotImplementedError(f"{self.name}: this op has no gradient")

    @property
    def output(self) -> Tensor:
        """The Tensor this op produced (only for ops with ``save_output = True``)."""
        out = self._output_ref() if self._output_ref is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: its output is no longer alive; cannot backward")
        return out

    @classmethod
    def apply(cls, *inputs: Tensor, **kwargs: Any) -> Tensor:
        """Run the op on Tensors and record it in the graph when a gradient is needed."""
        from descend.tensor import Tensor

        fn = cls(**kwargs) if kwargs else cls()
        data = fn.forward(*[t.data for t in inputs])
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor._wrap(data)
        if state.grad_enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                fn.inputs = inputs
                fn.needs_input_grad = needs
                out.requires_grad = True
                out._ctx = fn
                if cls.save_output:
                    fn._output_ref = weakref.ref(out)
        if state.anomaly:
            fn.created_at = user_frame()
            check_finite(data, f"the forward value of '{fn.name}'", fn)
        return out

    def release(self) -> None:
        """Free what the op holds for backward (its inputs and saved arrays).

        Plain settings (numbers, strings, tuples of them, like an exponent or an axis) stay,
        so a freed graph can still be described.
        """
        kept = {k: v for k, v in self.__dict__.items()
                if k not in _GRAPH_ATTRIBUTES and _is_setting(v)}
        self.__dict__.clear()
        self.__dict__.update(kept)

    def __repr__(self) -> str:
        return f"<{self.name}>"


_GRAPH_ATTRIBUTES = frozenset({"inputs", "needs_input_grad", "_output_ref", "created_at"})


def _is_setting(value: object) -> bool:
    """Whether ``value`` is a small plain setting (not an array or a tensor)."""
    if value is None or isinstance(value, bool | int | float | str | slice):
        return True
    if isinstance(value, tuple):
        return all(_is_setting(v) for v in value)
    return False


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
