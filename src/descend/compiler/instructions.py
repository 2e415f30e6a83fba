"""The instructions of a compiled step: what one replay does, on arrays held in slots.

Every value of a traced step lives in a slot of one list (``env``): the step's arguments, the
parameters and buffers (read where they live), numbers written into the step, and each op's
result. An instruction reads slots and writes slots; :meth:`source` prints it as a line of
NumPy-style code, given every slot's name.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.engine import accumulate
from descend.autograd.function import Function
from descend.autograd.mode import no_grad
from descend.compiler.source import backward_source, forward_source
from descend.tensors import Tensor

Env = list[Any]


Run = Callable[[Env], None]
"""What a replay calls for one instruction: an instruction's :meth:`compiled` form."""


class Op:
    """An op's forward on arrays: ``env[out] = fn.forward(*env[ins])``."""

    __slots__ = ("fn", "ins", "out", "scalar")

    def __init__(self, fn: Function, ins: list[int], out: int, scalar: bool = True) -> None:
        self.fn, self.ins, self.out, self.scalar = fn, ins, out, scalar

    def run(self, env: Env) -> None:
        env[self.out] = np.asarray(self.fn.forward(*[env[i] for i in self.ins]))

    def compiled(self) -> Run:
        """:meth:`run` as a closure for the op's number of inputs, with no list built and no
        ``np.asarray`` for a result that is not 0-d (NumPy then gives an array already)."""
        if self.scalar:
            return self.run
        return _call(self.fn.forward, self.ins, self.out)

    def source(self, names: list[str]) -> str:
        return f"{names[self.out]} = {forward_source(self.fn, [names[i] for i in self.ins])}"

    def reads(self) -> list[int]:
        """The slots a replay of this instruction reads."""
        return list(self.ins)

    def writes(self) -> list[int]:
        """The slots it writes."""
        return [self.out]


class BoundOp(Op):
    """An op given arrays when made (labels, a condition) that the step got or computed: each
    replay first hands it those arrays' new values."""

    __slots__ = ("bindings",)

    def __init__(self, fn: Function, ins: list[int], out: int,
                 bindings: list[tuple[str, int]], scalar: bool = True) -> None:
        super().__init__(fn, ins, out, scalar)
        self.bindings = bindings

    def run(self, env: Env) -> None:
        for name, slot in self.bindings:
            setattr(self.fn, name, env[slot])
        super().run(env)

    def compiled(self) -> Run:
        """The arrays handed over, then the forward's call as :meth:`Op.compiled` makes it."""
        fn, bindings = self.fn, self.bindings
        call = super().run if self.scalar else _call(fn.forward, self.ins, self.out)

        def run(env: Env) -> None:
            for name, slot in bindings:
                setattr(fn, name, env[slot])
            call(env)
        return run

    def source(self, names: list[str]) -> str:
        return self._noting_bindings(super().source(names), names)

    def _noting_bindings(self, text: str, names: list[str]) -> str:
        """``text`` with the arrays handed over noted after it (``# labels=y``), if any."""
        given = ", ".join(f"{name}={names[slot]}" for name, slot in self.bindings)
        return f"{text}  # {given}" if given else text

    def reads(self) -> list[int]:
        return [*self.ins, *(slot for _, slot in self.bindings)]


class SavingOp(BoundOp):
    """An op whose forward keeps arrays for its backward (convolution's ``cols``, the sparse
    cross-entropy's log-probabilities): a replay also puts each into its slot, where the
    backward's ops (given them) read it. Like a :class:`BoundOp`, it may be given arrays."""

    __slots__ = ("saved",)

    def __init__(self, fn: Function, ins: list[int], out: int, bindings: list[tuple[str, int]],
                 saved: list[tuple[str, int]], scalar: bool = True) -> None:
        super().__init__(fn, ins, out, bindings, scalar)
        self.saved = saved

    def run(self, env: Env) -> None:
        super().run(env)
        for name, slot in self.saved:
            env[slot] = getattr(self.fn, name)

    def compiled(self) -> Run:
        bound, fn, saved = super().compiled(), self.fn, self.saved

        def run(env: Env) -> None:
            bound(env)
            for name, slot in saved:
                env[slot] = getattr(fn, name)
        return run

    def writes(self) -> list[int]:
        return [self.out, *(slot for _, slot in self.saved)]

    def source(self, names: list[str]) -> str:
        kept = ", ".join(f"{names[slot]} = .{name}" for name, slot in self.saved)
        return self._noting_bindings(f"{Op.source(self, names)}; {kept}", names)


class Backward:
    """An op's whole backward, run on Tensors around the slots' arrays (grad mode off).

    The trace keeps this form for an op whose backward reads more than its slots hold: an
    array its forward kept (convolution's ``cols``) or one it computes with NumPy from its
    inputs' values (relu's mask ``x > 0``). Replaying the forward refreshes those first.
    """

    __slots__ = ("fn", "gxs", "gy", "ins", "out")

    def __init__(self, fn: Function, ins: list[int], out: int, gy: int,
                 gxs: list[int | None]) -> None:
        self.fn, self.ins, self.out, self.gy, self.gxs = fn, ins, out, gy, gxs

    def run(self, env: Env) -> None:
        fn = self.fn
        fn.inputs = tuple([Tensor._wrap(env[i]) for i in self.ins])
        output = Tensor._wrap(env[self.out])
        fn._output_ref = weakref.ref(output)
        with no_grad():
            result = fn.backward(Tensor._wrap(env[self.gy]))
        gxs = result if isinstance(result, tuple) else (result,)
        for slot, gx in zip(self.gxs, gxs):
            if slot is not None:
                env[slot] = gx.data

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        targets = ", ".join("_" if slot is None else names[slot] for slot in self.gxs)
        text = backward_source(self.fn, names[self.gy], [names[i] for i in self.ins],
                               names[self.out])
        return f"{targets} = {text}"

    def reads(self) -> list[int]:
        return [*self.ins, self.out, self.gy]

    def writes(self) -> list[int]:
        return [slot for slot in self.gxs if slot is not None]


def _call(forward: Callable[..., Any], ins: list[int], out: int) -> Run:
    """``env[out] = forward(*env[ins])`` as a closure specialised to the number of inputs."""
    if len(ins) == 1:
        (a,) = ins

        def run1(env: Env) -> None:
            env[out] = forward(env[a])
        return run1
    if len(ins) == 2:
        a, b = ins

        def run2(env: Env) -> None:
            env[out] = forward(env[a], env[b])
        return run2
    if len(ins) == 3:
        a, b, c = ins

        def run3(env: Env) -> None:
            env[out] = forward(env[a], env[b], env[c])
        return run3

    def run(env: Env) -> None:
        env[out] = forward(*[env[i] for i in ins])
    return run


_SYMBOLS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.divide: "/",
            np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">=",
            np.equal: "==", np.not_equal: "!="}


class Compare:
    """A comparison with no gradient (relu's mask ``x > 0``): ``env[out] = ufunc(a, b)``."""

    __slots__ = ("ins", "out", "ufunc")

    def __init__(self, ufunc: Callable[..., Any], ins: list[int], out: int) -> None:
        self.ufunc, self.ins, self.out = ufunc, ins, out

    def run(self, env: Env) -> None:
        a, b = self.ins
        env[self.out] = np.asarray(self.ufunc(env[a], env[b]))

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        a, b = self.ins
        return f"{names[self.out]} = {names[a]} {_SYMBOLS[self.ufunc]} {names[b]}"

    def reads(self) -> list[int]:
        return list(self.ins)

    def writes(self) -> list[int]:
        return [self.out]


class InPlace:
    """``target op= other`` on the target's own array (a buffer's running statistics)."""

    __slots__ = ("other", "target", "tensor", "ufunc")

    def __init__(self, ufunc: Callable[..., Any], target: int, other: int,
                 tensor: Tensor) -> None:
        self.ufunc, self.target, self.other, self.tensor = ufunc, target, other, tensor

    def run(self, env: Env) -> None:
        array = env[self.target]
        self.ufunc(array, env[self.other], out=array)
        self.tensor.bump_version()

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        symbol = _SYMBOLS.get(self.ufunc, self.ufunc.__name__)
        return f"{names[self.target]} {symbol}= {names[self.other]}"

    def reads(self) -> list[int]:
        return [self.target, self.other]

    def writes(self) -> list[int]:
        return [self.target]


class Accumulate:
    """The engine adding a gradient into a leaf's ``.grad`` (the live ``.grad`` decides how)."""

    __slots__ = ("grad", "handed_out", "target", "tensor")

    def __init__(self, tensor: Tensor, target: int, grad: int, handed_out: set[int]) -> None:
        self.tensor, self.target, self.grad, self.handed_out = tensor, target, grad, handed_out

    def run(self, env: Env) -> None:
        accumulate(self.tensor, Tensor._wrap(env[self.grad]), self.handed_out)

    def compiled(self) -> Run:
        tensor, grad, handed_out, wrap = self.tensor, self.grad, self.handed_out, Tensor._wrap

        def run(env: Env) -> None:
            accumulate(tensor, wrap(env[grad]), handed_out)
        return run

    def source(self, names: list[str]) -> str:
        return f"{names[self.target]}.grad += {names[self.grad]}"

    def reads(self) -> list[int]:
        return [self.grad]

    def writes(self) -> list[int]:
        return []


class Fetch:
    """``env[out] = fetch()``: an array from outside the slots, taken anew on each replay:
    random values the step drew (``dc.randn``), or ``.grad``'s array read back into the slot
    of the gradient the engine added into it, for the instructions after it that use
    ``w.grad`` (on a replay that finds ``.grad`` set, the sum lives in ``.grad``'s own array,
    not in the gradient's)."""

    __slots__ = ("fetch", "out", "text")

    def __init__(self, fetch: Callable[[], np.ndarray], out: int, text: str) -> None:
        self.fetch, self.out, self.text = fetch, out, text

    def run(self, env: Env) -> None:
        env[self.out] = self.fetch()

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        return f"{names[self.out]} = {self.text}"

    def reads(self) -> list[int]:
        return []

    def writes(self) -> list[int]:
        return [self.out]


class SetAttribute:
    """``owner.name = env[slot]`` (as a Tensor): the step set a module's attribute to a tensor
    it got or computed (an attention layer keeping its weights to look at), so each replay
    sets it to that replay's values, as the eager step does."""

    __slots__ = ("name", "owner", "slot")

    def __init__(self, owner: Any, name: str, slot: int) -> None:
        self.owner, self.name, self.slot = owner, name, slot

    def run(self, env: Env) -> None:
        setattr(self.owner, self.name, Tensor._wrap(env[self.slot]))

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        return f"{type(self.owner).__name__}.{self.name} = {names[self.slot]}"

    def reads(self) -> list[int]:
        return [self.slot]

    def writes(self) -> list[int]:
        return []


class Call:
    """A call the step made on live objects, replayed as is: ``optimizer.zero_grad()``, or one
    parameter's update by the optimizer's rule (``param`` and its state written in place).
    ``out``: the slot its result goes to, when the step may return it (the total norm
    ``clip_grad_norm`` returns), else ``None``."""

    __slots__ = ("args", "method", "out", "text")

    def __init__(self, method: Callable[..., Any], args: tuple[Any, ...], text: str) -> None:
        self.method, self.args, self.text = method, args, text
        self.out: int | None = None

    def run(self, env: Env) -> None:
        result = self.method(*self.args)
        if self.out is not None:
            env[self.out] = result

    def compiled(self) -> Run:
        method, args, out = self.method, self.args, self.out
        if out is not None:
            return self.run

        def run(env: Env) -> None:
            method(*args)
        return run

    def source(self, names: list[str]) -> str:
        text = self.text.format(*names)
        return text if self.out is None else f"{names[self.out]} = {text}"

    def sets_grads_to_none(self, optimizer: Any) -> bool:
        """Whether this is ``optimizer.zero_grad(set_to_none=True)`` (its arguments compared
        one by one: a recorded call may hold a Tensor, whose ``==`` gives a Tensor)."""
        return (self.method == optimizer.zero_grad and len(self.args) == 1
                and self.args[0] is True)

    def reads(self) -> list[int]:
        return []

    def writes(self) -> list[int]:
        return [] if self.out is None else [self.out]


class HostCall:
    """Host code the step ran on its arrays (``tracing.on_host``: a metric's update), made
    again on each replay: ``fn(*args)`` with the arrays the step got in ``slots`` (position in
    ``args`` to slot) replaced by this replay's; what it returns goes to ``out``, unless None."""

    __slots__ = ("args", "fn", "out", "slots")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], slots: dict[int, int],
                 out: int | None) -> None:
        self.fn, self.args, self.slots, self.out = fn, args, slots, out

    def run(self, env: Env) -> None:
        args = list(self.args)
        for position, slot in self.slots.items():
            args[position] = env[slot]
        result = self.fn(*args)
        if self.out is not None:
            env[self.out] = result

    def compiled(self) -> Run:
        return self.run

    def source(self, names: list[str]) -> str:
        shown = [names[self.slots[i]] if i in self.slots else _short(arg)
                 for i, arg in enumerate(self.args)]
        owner = getattr(self.fn, "__self__", None)  # a method: named with its object's class
        called = self.fn.__name__ if owner is None or isinstance(owner, types.ModuleType) else \
            f"{type(owner).__name__}.{self.fn.__name__}"
        call = f"{called}({', '.join(shown)})"
        return call if self.out is None else f"{names[self.out]} = {call}"

    def reads(self) -> list[int]:
        return list(self.slots.values())

    def writes(self) -> list[int]:
        return [] if self.out is None else [self.out]


class Check(HostCall):
    """A check of the step's data (``tracing.check``: labels in range), run again on each
    replay's values; what it returns goes to ``out`` (labels converted to ``int64``), unless
    it returned its input. A step's checks alone can run before it (``Program.check``)."""

    __slots__ = ()


def _short(value: Any) -> str:
    """A check's constant argument as the printed program shows it."""
    return "..." if isinstance(value, np.ndarray) else repr(value)


class Update(Call):
    """One parameter's update by its optimizer's rule, replayed as the optimizer runs it:
    ``optimizer.update_param(position, group, param)`` (``param`` and its state written in
    place). ``slot``: the parameter's slot."""

    __slots__ = ("group", "optimizer", "param", "position", "slot")

    def __init__(self, optimizer: Any, position: int, group: dict[str, Any], param: Tensor,
                 slot: int) -> None:
        name = optimizer.rule.update.__name__
        super().__init__(optimizer.update_param, (position, group, param),
                         f"{{{slot}}} = {name}({{{slot}}}.grad, state, {{{slot}}})")
        self.optimizer, self.position, self.group = optimizer, position, group
        self.param, self.slot = param, slot


class SgdUpdate(Update):
    """SGD's update of one parameter when its group has no momentum, weight decay or maximize:
    ``param -= grad * lr``, the expression ``sgd_update`` then reduces to, without
    ``update_param``'s per-call checks. A group changed since (a momentum set, a gradient of
    another shape, lost state) takes the optimizer's own path, ``update_param``."""

    __slots__ = ("dropped", "scratch")

    def __init__(self, optimizer: Any, position: int, group: dict[str, Any], param: Tensor,
                 slot: int) -> None:
        super().__init__(optimizer, position, group, param, slot)
        self.scratch: np.ndarray | None = None
        """An array of the parameter's shape and dtype that ``grad * lr`` is written into
        (shared with other updates, :func:`~descend.compiler.buffers.share_scratch`), or
        ``None``: ``grad * lr`` is then a new array."""
        self.dropped: set[int] | None = None
        """Set where the step drops ``.grad`` right after the update (``zero_grad()`` follows):
        the engine's set of the arrays it gave to ``.grad`` in this replay. A gradient in it
        is the step's own, which no one sees again: it takes ``grad * lr`` itself."""

    @property
    def scratch_shape(self) -> tuple[int, ...]:
        """The shape of the scratch array ``grad * lr`` is written into."""
        return self.param.data.shape

    def compiled(self) -> Run:
        fallback, args = self.method, self.args
        optimizer, position, group, param = self.optimizer, self.position, self.group, self.param
        scratch, dropped = self.scratch, self.dropped
        rate = Rate(param.data.dtype)

        def run(env: Env) -> None:
            state, grad, data = optimizer.state.get(position), param.grad, param.data
            if (state is None or grad is None or grad.data.shape != data.shape
                    or not plain_sgd(group)):
                fallback(*args)
                return
            g = grad.data
            sgd_step(data, g, rate.of(group["lr"], data.dtype), state,
                     in_place=dropped is not None and id(g) in dropped, scratch=scratch)
            param.bump_version()
        return run


def plain_sgd(group: dict[str, Any]) -> bool:
    """Whether an SGD group's update is ``w -= g * lr`` (no momentum, weight decay or
    maximize)."""
    return not (group["momentum"] or group["weight_decay"] or group["maximize"])


def sgd_step(data: np.ndarray, g: np.ndarray, lr: np.ndarray, state: dict[str, Any], *,
             in_place: bool, scratch: np.ndarray | None) -> None:
    """A plain SGD group's update of one parameter, ``data -= g * lr``, counted in its
    ``state``: ``g`` scaled in place where no one else sees it (``in_place``), else ``g * lr``
    written into ``scratch`` (a new array where it is ``None``). A ``g`` of another dtype
    than ``data`` is multiplied in its own, as ``sgd_update`` does."""
    state["step"] += 1
    if g.dtype != data.dtype:
        data -= g * lr
    elif in_place:
        g *= lr
        data -= g
    else:
        data -= np.multiply(g, lr, out=scratch)


class Rate:
    """A learning rate as a 0-d array of the parameter's dtype, made again only when the rate
    or dtype changes: the value ``dtype.type(lr)`` is, and NumPy multiplies by a 0-d array in
    about a third of the time it takes for a scalar."""

    __slots__ = ("array", "lr")

    def __init__(self, dtype: np.dtype) -> None:
        self.lr, self.array = None, np.zeros((), dtype)

    def of(self, lr: float, dtype: np.dtype) -> np.ndarray:
        """``lr`` as a 0-d array of ``dtype``."""
        if lr != self.lr or dtype != self.array.dtype:
            self.lr, self.array = lr, np.asarray(dtype.type(lr))
        return self.array
