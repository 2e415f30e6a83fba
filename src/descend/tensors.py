"""``Tensor``: an array that remembers how it was computed, so gradients can flow back.

The array is NumPy's on the CPU and CuPy's on a CUDA device (see :mod:`descend.backend`);
``.to(device)`` moves a tensor and ``.numpy()`` always gives a NumPy array.

>>> import descend as dc
>>> w = dc.tensor([[1.0, 2.0]], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss
tensor(5., grad_fn=<sum>)
>>> loss.backward()
>>> w.grad
tensor([[2., 4.]])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descend import backend, tracing

if TYPE_CHECKING:
    from descend.autograd.function import Function

ArrayLike = Any
"""Anything :func:`descend.tensor` accepts: a Tensor, an array, a number or nested lists."""

NUMBER = bool | int | float
INTEGER = int | np.integer
TEXT = str | bytes
NUMPY_VALUE = np.ndarray | np.generic

clock = itertools.count(1)
"""Numbers the moments autograd compares, in order: each recorded op (``Function.sequence``)
and each in-place change (``Tensor.bump_version``). A tensor an op saved was changed since
exactly when its last change has a later number than the op."""


def to_array(data: ArrayLike, dtype: Any = None, *, where: str = "tensor",
             device: backend.DeviceLike | None = None) -> np.ndarray:
    """Convert ``data`` to a new array; floats get ``dtype`` or the default float dtype.

    Integer and boolean data keep their kind (labels, masks) unless ``dtype`` is given. The
    array stays where ``data`` is (host data: on the CPU) unless ``device`` is given.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, TEXT) or data is None:
        raise TypeError(f"{where}: cannot make a tensor from {type(data).__name__} {data!r}")
    array = _checked(data, dtype, where)
    return array if device is None else backend.to_device(array, device)


def _checked(data: ArrayLike, dtype: Any, where: str) -> np.ndarray:
    """A copy of ``data`` in its own array module, of a numeric dtype (``dtype`` when given)."""
    try:
        array = backend.array_module(data).array(data)
    except ValueError as err:
        raise ValueError(
            f"{where}: cannot make a tensor from this data ({err}); "
            "nested lists must be rectangular, every row the same length"
        ) from None
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where}: expected numbers (float, int or bool), got data of dtype {array.dtype}"
        )
    if dtype is not None:
        target = np.dtype(dtype)
        if target.kind not in "fiub":
            raise TypeError(f"{where}: unsupported dtype {target}; use float32 or float64")
        return array.astype(target, copy=False)
    if array.dtype.kind == "f" and array.dtype != backend.get_default_dtype():
        return array.astype(backend.get_default_dtype())
    return array


class Tensor:
    """An n-dimensional array with an optional gradient.

    Args:
        data: a NumPy array, a number or nested lists (copied).
        dtype: the dtype; floating data gets the default dtype (float32) when omitted.
        device: ``"cpu"`` or ``"cuda[:N]"``; by default where ``data`` is (the CPU for host data).
        requires_grad: record the operations on this tensor so ``backward`` can reach it.
        name: an optional label shown by ``explain`` and graph drawings.

    >>> import descend as dc
    >>> t = dc.Tensor([1, 2, 3])
    >>> t.dtype, t.shape
    (dtype('int64'), (3,))
    """

    __slots__ = ("__weakref__", "_base", "_changed_at", "_ctx", "_retains_grad", "_version",
                 "data", "grad", "name", "requires_grad")
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    name: str | None
    _ctx: Function | None
    _retains_grad: bool
    _version: int
    _changed_at: int
    """When the values were last changed in place (a number of :data:`clock`; 0: never)."""
    _base: Tensor | None
    """The tensor whose memory this one views (``x[i]``, ``x.T``, ...), or None: views count
    their in-place changes in their base's ``_version`` and ``_changed_at``."""

    def __init__(
        self,
        data: ArrayLike,
        *,
        dtype: Any = None,
        device: backend.DeviceLike | None = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> None:
        self.data = to_array(data, dtype, device=device)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.name = name
        self.requires_grad = False
        self._version = 0
        self._changed_at = 0
        self._base = None
        if tracing.active is not None:  # made in a traced step: not read where it lives
            tracing.active.made(self)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array: np.ndarray) -> Tensor:
        """A Tensor around ``array`` (no copy, no checks): how ops build their outputs."""
        t = object.__new__(Tensor)
        t.data = array
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._retains_grad = False
        t.name = None
        t._version = 0
        t._changed_at = 0
        t._base = None
        return t

    def _view_of(self, base: Tensor) -> None:
        """Count this tensor's in-place changes with ``base``'s when it shares its memory (the
        result of reshape, transpose, indexing by slices), as torch's views do: changing one
        changes the other, so a graph that saved either must see it. Like torch's views, it
        then holds ``base``."""
        if backend.array_module(self.data).may_share_memory(self.data, base.data):
            self._base = base if base._base is None else base._base

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        """The size along each axis."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values."""
        return self.data.dtype

    @property
    def device(self) -> backend.Device:
        """Where the values live: ``cpu`` (a NumPy array) or ``cuda:N`` (a CuPy array)."""
        return backend.device_of(self.data)

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the transpose of a matrix)."""
        return self.transpose()

    @property
    def version(self) -> int:
        """How many times the values were changed in place (``+=``, ``x[i] = ...``, an optimizer
        step), shared with the tensors this one views or that view it; backward checks it on the
        tensors an op saved."""
        return self._version if self._base is None else self._base._version

    @property
    def grad_fn(self) -> Function | None:
        """The op that produced this tensor (``None`` for leaves and untracked results)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than computed by a recorded op."""
        return self._ctx is None

    # ----------------------------------------------------------------- conversions
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array: shares memory on the CPU, a host copy from a GPU."""
        _reading("numpy()")
        return backend.to_host(self.data)

    def to(self, device: backend.DeviceLike) -> Tensor:
        """This tensor on ``device`` (itself when it is there already); gradients flow back.

        >>> import descend as dc
        >>> t = dc.tensor([1.0, 2.0])
        >>> t.to("cpu") is t, str(t.device)
        (True, 'cpu')
        """
        if backend.device(device) == self.device:
            return self
        # imported here: the op lies above Tensor
        from descend.ops.device import to_device

        return to_device(self, device)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        _reading("item()")
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with exactly one element can become a Python number, "
                f"this one has shape {self.shape} ({self.size} elements)"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        _reading("tolist()")
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A tensor with the same values (shared memory) that is cut off from the graph.

        Unlike torch's, it counts its in-place changes apart from this tensor's: sharing the
        count would mean holding this tensor, and with it its graph (a logged ``loss.detach()``
        would keep every step's graph alive).
        """
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) tracking this leaf tensor for gradients; returns the tensor."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only floating-point tensors can have gradients, this one is "
                f"{self.data.dtype}; create it with float values or dtype='float32'"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot stop tracking a computed tensor; "
                               "use .detach() instead")
        if requires_grad and not self.requires_grad and tracing.active is not None:
            tracing.active.fresh_grad(self)  # a leaf made in a traced step: new each call
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this computed (non-leaf) tensor after ``backward``."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        if self._ctx is not None and tracing.active is not None:
            tracing.active.fresh_grad(self)  # computed in a traced step: new each call
        self._retains_grad = True

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        _reading("np.asarray() (NumPy reading the tensor's values)")
        if type(self.data) is not np.ndarray:
            raise TypeError(f"cannot convert a tensor on {self.device} to NumPy implicitly; "
                            f"use .numpy() to copy it to the host")
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        _reading("bool() (an `if` or `while` on a tensor)")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        _reading("float()")
        return float(self.item())

    def __int__(self) -> int:
        _reading("int()")
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only a one-element integer tensor can be used as an index")
        _reading("a tensor used as an index")
        return int(self.data)

    __hash__ = object.__hash__

    def any(self) -> bool:
        """Whether any element is non-zero."""
        _reading("any()")
        return bool(self.data.any())

    def all(self) -> bool:
        """Whether every element is non-zero."""
        _reading("all()")
        return bool(self.data.all())

    # ----------------------------------------------------------------- autograd
    def backward(
        self,
        gradient: ArrayLike | None = None,
        retain_graph: bool = False,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Args:
            gradient: d(something)/d(this tensor), the same shape as this tensor; may be
                omitted only for a single-element tensor (a loss), where it is 1.
            retain_graph: keep the graph so ``backward`` can go through it again.
            create_graph: record the backward pass itself, so gradients can be
                differentiated again (higher-order derivatives).

        Gradients are added to ``.grad`` of the leaves (they accumulate across calls; zero
        them between steps).
        """
        # imported here: the engine lies above Tensor (it walks the ops that make Tensors)
        from descend.autograd.engine import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to ``None``)."""
        self.grad = None

    def bump_version(self) -> None:
        """Note that the values were changed in place (ops that do it call this)."""
        owner = self if self._base is None else self._base
        owner._version += 1
        owner._changed_at = next(clock)

    def changed_since(self, moment: int) -> bool:
        """Whether the values were changed in place after ``moment`` (a number of
        :data:`clock`, such as the ``sequence`` of an op that saved this tensor)."""
        owner = self if self._base is None else self._base
        return owner._changed_at > moment

    # ----------------------------------------------------------------- comparisons (no grad)
    def _compare(self, op: Any, other: ArrayLike) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        try:
            result = op(self.data, other_data)
        except TypeError as err:
            mixed = backend.mixed_devices(op.__name__, [self.data, other_data])
            if mixed is None:
                raise
            raise mixed from err
        out = Tensor._wrap(result if type(result) is np.ndarray else backend.as_array(result))
        if tracing.active is not None:
            tracing.active.compare(op, self, other, out)
        return out

    def __lt__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.greater_equal, other)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        body = np.array2string(backend.to_host(self.data), separator=", ", prefix="tensor(")
        extras = [] if type(self.data) is np.ndarray else [f"device='{self.device}'"]
        if self.data.dtype.kind == "f" and self.data.dtype != backend.get_default_dtype():
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    def __str__(self) -> str:
        return self.__repr__()


def _reading(what: str) -> None:
    """Refuse to read a value into Python while ``dc.jit`` traces a step (it cannot replay it)."""
    if tracing.active is not None:
        tracing.active.refuse(what)


def as_operand(value: ArrayLike, like: Tensor, op: str) -> Tensor:
    """Turn an op's operand into a Tensor; Python numbers take ``like``'s dtype (NumPy rules)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, NUMPY_VALUE):
        if value.dtype.kind not in "fiub":
            raise TypeError(f"{op}: cannot use an array of dtype {value.dtype} as an operand")
        operand = Tensor._wrap(np.asarray(value))
        if tracing.active is not None:  # an array made with NumPy, in the step or outside it
            tracing.active.made(operand)
        return operand
    if isinstance(value, NUMBER):
        kind = like.data.dtype.kind
        if kind == "f":  # a Python number never changes a float tensor's dtype (NumPy's rule)
            dtype = like.data.dtype
        else:
            dtype = np.result_type(like.data.dtype, value) if kind in "iu" else None
        xp = np if type(like.data) is np.ndarray else backend.array_module(like.data)
        number = Tensor._wrap(xp.asarray(value, dtype=dtype))
        if tracing.active is not None:
            tracing.active.number(number)
        return number
    if backend.array_module(value) is not np:  # a device array
        return Tensor._wrap(value)
    if isinstance(value, Sequence) and not isinstance(value, TEXT):
        return Tensor._wrap(to_array(value, where=op, device=like.device))
    raise _not_an_operand(value, op)


def _not_an_operand(value: Any, op: str) -> TypeError:
    """The error for an operand of no kind an op takes; while a step is traced, the tracer
    first refuses a number a recorded call returned (a metric's result), by name."""
    if tracing.active is not None:
        tracing.active.unknown_operand(value)
    return TypeError(
        f"{op}: expected a Tensor, a NumPy array or a number, got {type(value).__name__}"
    )


def constant(array: np.ndarray, text: str) -> Tensor:
    """``array``, computed from shapes alone (no tensor's values), as an op's operand: while
    ``dc.jit`` traces a step, a constant of it, printed as ``text`` (an array made with NumPy
    is refused there, since a replay would reuse it).

    >>> import numpy as np
    >>> constant(np.full(2, 0.5, np.float32), "halves")
    tensor([0.5, 0.5])
    """
    operand = Tensor._wrap(array)
    if tracing.active is not None:
        tracing.active.constant(array, text)
    return operand


def ensure_tensor(value: ArrayLike, op: str) -> Tensor:
    """``value`` as a Tensor (converting arrays and numbers with :func:`to_array`)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, TEXT) or value is None:
        raise TypeError(
            f"{op}: expected a Tensor, a NumPy array or a number, got {type(value).__name__}"
        )
    return Tensor._wrap(to_array(value, where=op))
