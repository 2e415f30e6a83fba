"""The tracer: it watches one eager run of a step and writes down what a replay must do.

While a step is traced, the core calls the tracer (``descend.tracing.active``) at every op
applied (forward, and inside each op's backward), at each op's backward, at each gradient
added into ``.grad``, at in-place updates, ``zero_grad`` and each parameter's update. The
tracer gives every array a slot, the first time it sees it, and appends one instruction per
event (see :mod:`descend.compiler.instructions`).

What a replay could not reproduce is refused with a :class:`TraceError`: reading a value into
Python, the step's own code reading or replacing a tensor's ``.data``
(:func:`watching_tensors`), an array made outside descend's ops entering an op in the forward
pass, an op given such an array, ``x[i] = v``, ``backward(create_graph=True)``, the step's
own code changing an optimizer's settings (:meth:`Tracer.watch_settings`), and a module's
attribute that the step read rebound to a tensor it computed (:meth:`Tracer.attribute`;
other module attributes set to tensors are set again on each replay).
An array an op's forward keeps for its backward (convolution's ``cols``) gets a slot of its
own (:class:`~descend.compiler.instructions.SavingOp`), so the backward's ops stay flat (max
pooling's backward is one op of its gradient, input and output). An op whose *backward*
computes arrays with NumPy (a user's op reading ``.data``) is kept as one
:class:`~descend.compiler.instructions.Backward` unit, replayed after its forward. A tensor
made in the step by ``dc.zeros``, ``dc.ones``, ``dc.full``, ``dc.arange`` or ``dc.eye`` is a
constant of the step (changing it in place is refused), one drawn by ``dc.rand`` or
``dc.randn`` is drawn anew on each replay (:class:`~descend.compiler.instructions.Fetch`), and
a check of the step's data (``tracing.check``: a loss's labels in range) runs again on each
replay's values. A leaf made in the step (``requires_grad_``), or a tensor whose gradient
it retains, starts each replay without a gradient (:meth:`Tracer.fresh_grad`). A gradient
the engine handed to an empty ``.grad``, used later in the step as ``w.grad``, is read back
from ``.grad`` after its accumulation (:meth:`Tracer.read_back_grads`), since a replay may
add into a ``.grad`` already set.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import operator
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import backend, tracing
from descend.autograd.engine import accumulate
from descend.autograd.function import Function
from descend.autograd.mode import is_grad_enabled
from descend.compiler.instructions import (
    Accumulate,
    Backward,
    BoundOp,
    Call,
    Check,
    Compare,
    Fetch,
    HostCall,
    InPlace,
    Op,
    SavingOp,
    SetAttribute,
    SgdUpdate,
    Update,
)
from descend.nn.module import Module, Parameter
from descend.ops.index import GetItem, picks_by_mask
from descend.optim.optimizer import live_optimizers
from descend.optim.sgd import sgd_update
from descend.tensors import ArrayLike, Tensor


class TraceError(RuntimeError):
    """A step does something its compiled replay could not repeat."""


class HostNumber:
    """The number (or array) a recorded call returned while the step was traced (the total
    norm ``clip_grad_norm`` returns, a metric's ``result()``): each replay computes its own.
    The step may return it, and each call then returns its own; computing with it in the step
    is refused, since Python would compute with the traced value alone.

    >>> HostNumber(3, 0.5, "clip_grad_norm(params, 1.0)")
    <clip_grad_norm(params, 1.0): 0.5 when traced>
    """

    __slots__ = ("slot", "text", "value")

    def __init__(self, slot: int, value: float, text: str) -> None:
        self.slot, self.value, self.text = slot, value, text

    def __repr__(self) -> str:
        return f"<{self.text}: {self.value!r} when traced>"

    def _refused(self, *args: Any) -> Any:
        raise TraceError(
            f"jit: the step computes with the value {self.text} returned while it was "
            "traced; a replay runs that call again but not the Python that used its value. "
            "Return the value from the step (each call returns its own) and use it there")

    __float__ = __int__ = __index__ = __bool__ = __format__ = __round__ = _refused
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refused
    __truediv__ = __rtruediv__ = __pow__ = __neg__ = __lt__ = __le__ = __gt__ = _refused
    __ge__ = __eq__ = __ne__ = __getitem__ = __len__ = __iter__ = __array__ = _refused
    __hash__ = None  # type: ignore[assignment]


@dataclass
class Frame:
    """An op's backward being traced: where its instructions start, and whether they can stay
    flat (they read only slots) or must become one :class:`Backward` unit."""

    fn: Function
    mark: int
    scalars: bool
    opaque: bool = False


class Tracer:
    """Slots and instructions of one traced step (see the module docstring)."""

    def __init__(self) -> None:
        self.env: list[Any] = []
        self.names: list[str] = []
        self.code: list[Any] = []
        self.state: list[tuple[Tensor, np.ndarray]] = []
        self.handed: list[set[int]] = []
        self._slots: dict[int, int] = {}
        self._alive: list[Any] = []  # what the trace saw stays alive, so no id is reused
        self._frames: list[Frame] = []
        self._handed_ids: dict[int, set[int]] = {}
        self._prefix = "t"
        self._constants: set[int] = set()
        self._made: set[int] = set()  # ids of the tensors made in the step (see made)
        self._handed_grads: list[tuple[int, int]] = []  # (where a gradient is handed to
        # an empty .grad, the slot of the array .grad then holds)
        self._groups = _settings_now()  # every optimizer's settings (see watch_settings)
        self.escaped: set[int] = set()  # slots whose arrays a module attribute holds
        self.stepped: dict[int, Any] = {}  # the optimizers that updated a parameter, by id

    # ----------------------------------------------------------------- slots
    def new_slot(self, value: Any, name: str | None = None) -> int:
        """A slot holding ``value`` (an array, or a number written into the step)."""
        if backend.array_module(value) is not np:
            raise TraceError(
                f"jit_compile on device {backend.device_of(value)} is not supported yet; the "
                "compiled step replays NumPy calls. Train there without jit_compile (or "
                "dc.jit), or on the CPU")
        slot = len(self.env)
        self.env.append(value)
        self.names.append(name or f"{self._prefix}{slot}")
        self._alive.append(value)
        if isinstance(value, np.ndarray):
            self._slots[id(value)] = slot
        return slot

    def argument(self, array: np.ndarray, name: str) -> int:
        """The slot of one of the step's array arguments."""
        return self.new_slot(array, name)

    def slot_of(self, tensor: Tensor, where: str) -> int:
        """The slot of an array an op reads; a parameter, or another tensor made before the
        step (a module's buffer, a tensor kept outside, 0-d ones included), met for the first
        time gets one, read where it lives."""
        slot = self._slots.get(id(tensor.data))
        if slot is not None:
            return slot
        array = tensor.data
        if tensor.requires_grad and tensor.is_leaf and (
                id(tensor) not in self._made or isinstance(tensor, Parameter)):
            return self._state(tensor)  # a parameter (one a lazy layer built in the step too)
        if not self._frames and tensor.is_leaf and id(tensor) not in self._made:
            return self._state(tensor)  # made before the step
        if array.ndim == 0 and not (self._frames and self._frames[-1].scalars):
            return self.new_slot(array, repr(array.item()))  # a number written in the step
        if self._frames:
            self._frames[-1].opaque = True
            return self.new_slot(array)
        raise TraceError(
            f"jit: {where} reads an array of shape {array.shape} that the step neither got as "
            "an argument nor computed with descend's ops (made with NumPy, or from a tensor "
            "computed outside the step); a replay would reuse its first value (and keep what "
            "the step changed in place). Pass it to the step as an argument, or make it with "
            "descend's ops (dc.zeros(..., requires_grad=True) for a leaf)")

    def kept(self, tensor: Tensor) -> None:
        """``tensor``, made in the step, is kept past it (a module built in the step registers
        its running statistics): it is made once, then read where it lives, not remade as a
        constant of the step."""
        self._made.discard(id(tensor))
        slot = self._slots.get(id(tensor.data))
        if slot is None:  # (not read yet: read where it lives when it is)
            return
        self._constants.discard(slot)
        self.state.append((tensor, tensor.data))
        self.names[slot] = tensor.name or f"w{len(self.state)}"

    def made(self, tensor: Tensor) -> None:
        """``tensor`` was made in the step, around an array of its own (``dc.tensor(array)``):
        unlike a tensor made before the step, it is not read where it lives."""
        self._made.add(id(tensor))
        self._alive.append(tensor)

    def state_slots(self) -> list[int]:
        """The slots of the parameters and buffers read where they live."""
        return [self._slots[id(array)] for _, array in self.state]

    def _state(self, tensor: Tensor) -> int:
        self.state.append((tensor, tensor.data))
        return self.new_slot(tensor.data, tensor.name or f"w{len(self.state)}")

    # ----------------------------------------------------------------- events
    def op(self, fn: Function, inputs: tuple[Tensor, ...], out: Tensor) -> None:
        """An op was applied (in the forward pass or inside an op's backward)."""
        if isinstance(fn, GetItem) and picks_by_mask(fn.index):
            raise TraceError(
                "jit: indexing with a boolean mask (x[x > 0]) gives as many values as the mask "
                "holds True, a number that changes from batch to batch, and a replay runs the "
                "traced shapes. Keep the shape instead: dc.where(mask, x, 0.0), or x * mask")
        ins = [self.slot_of(x, f"'{fn.name}'") for x in inputs]
        bindings = [(name, self._slots.get(id(fn.__dict__[name]))) for name in _given_arrays(fn)]
        unknown = [name for name, slot in bindings if slot is None]
        if unknown and not self._frames:
            raise TraceError(
                f"jit: '{fn.name}' was given an array ({', '.join(unknown)}) that the step "
                "neither got as an argument nor computed with descend's ops; a replay would "
                "reuse its first value. Pass it to the step as an argument")
        if unknown:
            self._frames[-1].opaque = True
        scalar = out.data.ndim == 0
        out = self.new_slot(out.data)
        saved = self._saved(fn)
        if saved:
            self.code.append(SavingOp(fn, ins, out, bindings, saved, scalar))
        elif bindings:
            self.code.append(BoundOp(fn, ins, out, bindings, scalar))
        else:
            self.code.append(Op(fn, ins, out, scalar))

    def _saved(self, fn: Function) -> list[tuple[str, int]]:
        """A slot for each array the op's forward made and kept for its backward."""
        given = _constructor_args(type(fn))
        return [(name, self.new_slot(fn.__dict__[name])) for name in type(fn).saved_arrays
                if name not in given and isinstance(fn.__dict__.get(name), np.ndarray)]

    def compare(self, ufunc: Callable[..., Any], x: Tensor, other: Any, out: Tensor) -> None:
        """A comparison (no gradient) was made: ``out = ufunc(x, other)``."""
        where = f"a comparison '{ufunc.__name__}'"
        ins = [self.slot_of(x, where), self._operand(other, where)]
        self.code.append(Compare(ufunc, ins, self.new_slot(out.data)))

    def number(self, tensor: Tensor) -> None:
        """A Python number became an op's operand (``x * 2.0``): a constant of the step."""
        self.new_slot(tensor.data, repr(tensor.data.item()))

    def _operand(self, other: Any, where: str) -> int:
        """The slot of an in-place update's or a comparison's other operand."""
        if isinstance(other, Tensor | np.ndarray):
            if isinstance(other, np.ndarray):
                other = Tensor._wrap(other)
                self.made(other)
            return self.slot_of(other, where)
        return self.new_slot(other, repr(other))

    def backward_begin(self, fn: Function, output: Tensor, gy: Tensor) -> None:
        """An op's backward is about to run."""
        if is_grad_enabled():
            self.refuse("backward(create_graph=True)")
        self._prefix = "g"
        if id(gy.data) not in self._slots:  # the seed d loss / d loss
            if not (gy.data == 1).all():
                self.refuse("backward(gradient=...) with a gradient made outside the step")
            self.new_slot(gy.data, "1.0")
        scalars = output.ndim == 0 or any(x.ndim == 0 for x in fn.inputs)
        self._frames.append(Frame(fn, len(self.code), scalars))

    def backward_end(self, fn: Function, output: Tensor, gy: Tensor,
                     gxs: tuple[Tensor | None, ...]) -> None:
        """An op's backward returned ``gxs``: keep its ops flat, or make it one unit."""
        frame = self._frames.pop()
        if not frame.opaque and all(gx is None or id(gx.data) in self._slots for gx in gxs):
            return
        del self.code[frame.mark:]
        ins = [self._slots[id(x.data)] for x in fn.inputs]
        out, gy_slot = self._slots[id(output.data)], self._slots[id(gy.data)]
        slots = [None if gx is None else self.new_slot(gx.data) for gx in gxs]
        self.code.append(Backward(fn, ins, out, gy_slot, slots))

    def accumulate(self, tensor: Tensor, gradient: Tensor, handed_out: set[int]) -> None:
        """The engine adds ``gradient`` into ``tensor.grad``: record it, then add it (the
        engine's way, untraced). Handed to an empty ``.grad``, the gradient's array may be
        copied (a view's); that copy gets a slot of its own, so what the step later does with
        ``w.grad`` reads it (:meth:`read_back_grads`)."""
        target = self._slots.get(id(tensor.data))
        if target is None:
            target = self._state(tensor)
        if id(handed_out) not in self._handed_ids:
            self._alive.append(handed_out)
            self.handed.append(set())
            self._handed_ids[id(handed_out)] = self.handed[-1]
        grad, handed = self.slot_of(gradient, "backward"), tensor.grad is None
        self.code.append(Accumulate(tensor, target, grad, self._handed_ids[id(handed_out)]))
        self._untraced(accumulate, (tensor, gradient, handed_out))
        if handed:
            array = tensor.grad.data
            slot = grad if array is gradient.data else self.new_slot(array)
            self._handed_grads.append((len(self.code) - 1, slot))

    def read_back_grads(self, returned: set[int]) -> None:
        """After each gradient the trace saw handed to an empty ``.grad``, and that a later
        instruction uses as ``w.grad`` or the step returns (``returned``: slots), read
        ``.grad``'s array back into its slot (a :class:`Fetch` of it): a replay may find
        ``.grad`` set and add into it instead, and a gradient that was a view is handed as a
        copy made anew."""
        for at, slot in reversed(self._handed_grads):
            accumulated = self.code[at]
            if slot in returned or any(slot in (*i.reads(), *i.writes())
                                       for i in self.code[at + 1:]
                                       if not isinstance(i, Accumulate | Call)):
                grad_array = functools.partial(operator.attrgetter("grad.data"),
                                               accumulated.tensor)
                text = f"{self.names[accumulated.target]}.grad"
                self.code.insert(at + 1, Fetch(grad_array, slot, text))

    def inplace(self, x: Tensor, ufunc: Callable[..., Any], other: ArrayLike) -> None:
        """``x op= other`` is about to run."""
        target = self._slots.get(id(x.data))
        if target in self._constants:
            raise TraceError(
                f"jit: an in-place '{ufunc.__name__}' on the constant {self.names[target]} "
                "the step made: the eager step makes it anew on every call, a replay would "
                "keep the changed values. Write `c = c + x`, not `c += x`")
        if target is None:
            target = self._state(x)
        slot = self._operand(other, f"an in-place '{ufunc.__name__}'")
        self.code.append(InPlace(ufunc, target, slot, x))

    def unknown_operand(self, value: Any) -> None:
        """An op was given ``value``, which is no operand: a :class:`HostNumber` (``loss *
        acc`` with a metric's result) is refused as computing with it is; anything else
        gets the op's ``TypeError``."""
        if isinstance(value, HostNumber):
            value._refused()

    def attribute(self, owner: Any, name: str, value: Tensor) -> None:
        """The step's code is about to set ``owner.name = value`` (``owner`` a module). Where
        ``value``'s array is one the step got or computed, each replay sets the attribute to
        its own (:class:`SetAttribute`), and the array stays as the step left it (no later
        instruction writes into it). Refused where the attribute held a tensor the step read
        (a hidden state carried from call to call): a replay reads that tensor again, not
        the one the previous call set."""
        slot, state = self._slots.get(id(value.data)), self.state_slots()
        if slot is None or slot in state:
            return
        old = owner.__dict__.get(name)
        if isinstance(old, Tensor) and self._slots.get(id(old.data)) in state:
            where = f"{type(owner).__name__}.{name}"
            raise TraceError(
                f"jit: the step sets {where} to a tensor it computed, replacing the tensor it "
                f"read there; the next call would read the new one, but a replay reads {where} "
                "as it was traced, every time. Carry the state through the step instead "
                "(`loss, h = step(x, h)`, returning the new one), or update the tensor in "
                "place under dc.no_grad()")
        self.code.append(SetAttribute(owner, name, slot))
        self.escaped.add(slot)

    def zero_grad(self, optimizer: Any, set_to_none: bool) -> None:
        """``optimizer.zero_grad(set_to_none)`` is about to run."""
        self.watch_settings()
        self.code.append(Call(optimizer.zero_grad, (set_to_none,),
                              f"optimizer.zero_grad(set_to_none={set_to_none})"))

    def live_call(self, fn: Any, args: tuple[Any, ...], text: str) -> Any:
        """Run ``fn(*args)`` untraced and record it as one call, replayed as it runs: what
        changes ``.grad`` in place between backward and update (an optimizer's step pre-hook,
        where data-parallel training sums the gradients; gradient clipping), or the learning
        rates (a schedule's ``step()``)."""
        self.watch_settings()
        call = Call(fn, args, text)
        self.code.append(call)
        try:
            result = self._untraced(fn, args)
        finally:
            self._groups = _settings_now()
        if isinstance(result, int | float) and not isinstance(result, bool):
            call.out = self.new_slot(result)  # (the slot keeps it alive: its id stays its own)
            return HostNumber(call.out, result, text)
        return result

    def _untraced(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        tracing.active = None
        try:
            return fn(*args)
        finally:
            tracing.active = self

    def update(self, optimizer: Any, position: int, group: dict[str, Any],
               param: Tensor) -> None:
        """The optimizer has just stepped ``param`` (its update is replayed as it ran)."""
        self.watch_settings()
        self.stepped[id(optimizer)] = optimizer
        slot = self._slots.get(id(param.data))
        if slot is None:
            slot = self._state(param)
        kind = SgdUpdate if optimizer.rule.update is sgd_update else Update
        self.code.append(kind(optimizer, position, group, param, slot))

    def watch_settings(self) -> None:
        """Refuse if the step's own code changed the settings of an optimizer's param groups
        (a learning rate) since the trace last saw them (at its start, every optimizer alive),
        then see every optimizer alive again (one made in the step too).

        A replay reads the settings live but repeats no Python: ``group["lr"] *= 0.5`` in the
        step would halve the rate once, at the trace. What a recorded call changes (a
        schedule's ``step()``, a step pre-hook) is replayed, so its changes are seen anew.
        """
        for watched, seen in self._groups.values():
            now = _settings(watched)
            if now != seen:
                changed = _changed(type(watched).__name__, seen, now)
                raise TraceError(f"jit: the step changed {changed} while it was traced; a replay "
                                 "repeats array operations and recorded calls, not Python, so "
                                 "it would change once, at the trace. Step a dc.optim schedule "
                                 "in the step (each replay steps it), or change the setting "
                                 "between calls")
        self._groups = _settings_now()

    def constant(self, array: np.ndarray, text: str) -> None:
        """``dc.zeros``, ``dc.arange``... made ``array`` in the step: a constant of the step,
        printed as the call that made it."""
        self._constants.add(self.new_slot(array, text))

    def fresh_grad(self, tensor: Tensor) -> None:
        """``tensor``, made in the step, is about to gather a gradient in ``.grad``: a leaf
        (``dc.zeros_like(x, requires_grad=True)``, ``t.detach().requires_grad_()``) or a
        computed tensor whose gradient is retained (``h.retain_grad()``). The eager step makes
        a new one each call, which starts with no ``.grad``, so each replay sets the traced
        one's ``.grad`` to None there (else its gradients would add up over calls)."""
        slot, making = self._slots.get(id(tensor.data)), ""
        if slot in self._constants:  # named by the call that made it: name it, print the call
            making, self.names[slot] = f"t{slot} = {self.names[slot]}; ", f"t{slot}"
        name = self.names[slot] if slot is not None else tensor.name or "leaf"
        self.code.append(Call(setattr, (tensor, "grad", None), f"{making}{name}.grad = None"))

    def random(self, array: np.ndarray, draw: Callable[[], np.ndarray], text: str) -> None:
        """``dc.rand``, ``dc.randn``... drew ``array`` in the step: each replay draws anew with
        ``draw()``, from descend's generator, as the eager step does."""
        self.code.append(Fetch(draw, self.new_slot(array), text))

    def check(self, fn: Callable[..., Any], args: tuple[Any, ...], result: Any) -> None:
        """The step checked its data with ``fn(*args)``, which returned ``result``: each
        replay checks its own values (an argument that is an array the step got or computed
        is read from its slot), and a new array it returns (labels as ``int64``) gets a slot."""
        slots = self._argument_slots(args)
        if not slots:  # a check of constants gives the same answer on every replay
            return
        made = isinstance(result, np.ndarray) and id(result) not in self._slots
        self.code.append(Check(fn, args, slots, self.new_slot(result) if made else None))

    def on_host(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Run ``fn(*args)``, host code on the step's values (a metric's update or result),
        untraced, and record it: each replay calls it again, an array the step got or computed
        read from its slot. What it returns, unless None, gets a slot each replay writes, and
        comes back as a :class:`HostNumber`."""
        call = HostCall(fn, args, self._argument_slots(args), None)
        self.code.append(call)
        result = self._untraced(fn, args)
        if result is None:
            return None
        text = call.source(self.names)
        call.out = self.new_slot(result, f"h{len(self.env)}")
        return HostNumber(call.out, result, text)

    def _argument_slots(self, args: tuple[Any, ...]) -> dict[int, int]:
        """Position in ``args`` -> slot, for each array the step got or computed."""
        return {position: self._slots[id(arg)] for position, arg in enumerate(args)
                if isinstance(arg, np.ndarray) and id(arg) in self._slots}

    def refuse(self, what: str) -> None:
        """Raise: ``what`` reads a value, or does something a replay cannot repeat."""
        raise TraceError(
            f"jit: {what} while the step is being traced. A compiled step replays the same "
            "array operations on every call, so it cannot read a tensor's value into Python "
            "or branch on it: the step's control flow must not depend on values. Read values "
            "from what the step returns, or run the step without jit")


def _settings_now() -> dict[int, tuple[Any, list[dict[str, Any]]]]:
    """Every optimizer alive, by id: (it, its param groups' settings now)."""
    return {id(o): (o, _settings(o)) for o in live_optimizers()}


def _settings(optimizer: Any) -> list[dict[str, Any]]:
    """Each param group's settings (all but its ``params``), as they are now."""
    return [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]


def _changed(name: str, seen: list[dict[str, Any]], now: list[dict[str, Any]]) -> str:
    """Name the first setting that differs: ``SGD.param_groups[0]['lr'] (0.1 -> 0.05)``."""
    if len(now) != len(seen):
        return f"the number of {name}.param_groups ({len(seen)} -> {len(now)})"
    for i, (old, new) in enumerate(zip(seen, now)):
        for key in sorted(old.keys() | new.keys()):
            if old.get(key) != new.get(key):
                return f"{name}.param_groups[{i}][{key!r}] ({old.get(key)!r} -> {new.get(key)!r})"
    return f"{name}.param_groups"


def _given_arrays(fn: Function) -> list[str]:
    """The names of the arrays an op was given when made (a ``where``'s condition)."""
    held = fn.__dict__
    return [name for name in _constructor_args(type(fn)) if _holds_array(held.get(name))]


def _holds_array(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, np.ndarray) for v in value)


@functools.cache
def _constructor_args(cls: type) -> tuple[str, ...]:
    return tuple(inspect.signature(cls.__init__).parameters)[1:]


@contextlib.contextmanager
def watching_tensors(tracer: Tracer) -> Iterator[None]:
    """While ``tracer`` records a step, watch what the step's own code (outside descend, and
    outside an op's backward, which is replayed as one unit when it computes with values)
    does with tensors' ``.data`` and ``.grad``. A replay repeats array operations and the
    calls the trace recorded, nothing else: what Python did with the values
    (``x * float(w.data.sum())``, ``if loss.data > 1:``) would be the first batch's on every
    replay, so reading or replacing ``.data`` is refused; ``w.grad = None`` is recorded as a
    call, and setting ``.grad`` to anything else is refused. A call the trace records whole
    (an optimizer's step pre-hook, :meth:`Tracer.live_call`) may do either. A module's
    attribute set to a tensor (by the step or a module's forward) goes to
    :meth:`Tracer.attribute`."""
    members = {name: Tensor.__dict__[name] for name in ("data", "grad")}
    Tensor.data = _WatchedData(members["data"], tracer)  # type: ignore[assignment]
    Tensor.grad = _WatchedGrad(members["grad"], tracer)  # type: ignore[assignment]
    own_setattr = Module.__dict__.get("__setattr__")  # (None: object's)
    Module.__setattr__ = functools.partialmethod(  # type: ignore[assignment, method-assign]
        _set_module_attribute, tracer, Module.__setattr__)
    try:
        yield
    finally:
        for name, member in members.items():
            setattr(Tensor, name, member)
        if own_setattr is None:
            del Module.__setattr__
        else:
            Module.__setattr__ = own_setattr  # type: ignore[method-assign]


def _set_module_attribute(module: Module, tracer: Tracer, setattr_: Callable[..., None],
                          name: str, value: Any) -> None:
    """``Module.__setattr__`` while ``tracer`` records a step: a tensor goes to
    :meth:`Tracer.attribute`; a number that replaces another (a counter) is refused, since a
    replay runs no Python (the counter would move once, at the trace)."""
    if tracing.active is tracer and not tracer._frames:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            tracer.attribute(module, name, value)
        old = module.__dict__.get(name)
        if type(value) in NUMBERS and type(old) in NUMBERS and value != old:
            where = f"{type(module).__name__}.{name}"
            raise TraceError(
                f"jit: the step changes {where} ({old!r} -> {value!r}) while it is traced; a "
                "replay repeats array operations and recorded calls, not Python, so it would "
                f"change once, at the trace. Change {where} outside the compiled step (count "
                "calls around it), or keep the value in a tensor updated in place")
    setattr_(module, name, value)


NUMBERS = (int, float)
"""The Python numbers whose change in a module's attribute while tracing is refused (not
``bool``: a lazy layer's ``built`` flag is set by its first call)."""


class _Watched:
    """A Tensor attribute while a step is traced: reads pass through to the slot."""

    def __init__(self, member: Any, tracer: Tracer) -> None:
        self.member, self.tracer = member, tracer

    def __get__(self, tensor: Tensor | None, owner: type | None = None) -> Any:
        return self if tensor is None else self.member.__get__(tensor, owner)

    def _stepped_by_user(self, caller: Any) -> bool:
        """Whether ``caller`` (a frame) is the step's own code, at the step's level, traced
        (not a call the trace records and replays whole: :meth:`Tracer.live_call`)."""
        module = caller.f_globals.get("__name__", "")
        return (tracing.active is self.tracer and not self.tracer._frames
                and module.partition(".")[0] != "descend")


class _WatchedData(_Watched):
    """``Tensor.data``: the step's own code may neither read nor replace it."""

    def __get__(self, tensor: Tensor | None, owner: type | None = None) -> Any:
        if tensor is not None and self._stepped_by_user(sys._getframe(1)):
            self.tracer.refuse("reading a tensor's .data")
        return super().__get__(tensor, owner)

    def __set__(self, tensor: Tensor, value: Any) -> None:
        if self._stepped_by_user(sys._getframe(1)):
            self.tracer.refuse("replacing a tensor's .data")
        self.member.__set__(tensor, value)


class _WatchedGrad(_Watched):
    """``Tensor.grad``: the step's own ``w.grad = None`` is recorded as a call."""

    def __set__(self, tensor: Tensor, value: Any) -> None:
        if not self._stepped_by_user(sys._getframe(1)):
            self.member.__set__(tensor, value)
        elif value is None:
            name = self.tracer.names[self.tracer.slot_of(tensor, "'.grad = None'")]
            self.tracer.live_call(self.member.__set__, (tensor, None), f"{name}.grad = None")
        elif value is not self.__get__(tensor):  # (w.grad *= 0.5 sets the tensor it holds)
            self.tracer.refuse("setting a tensor's .grad (other than to None)")
