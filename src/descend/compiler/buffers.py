"""Buffer reuse: an op whose input array nothing reads again writes its result into it.

The eager step allocates a new array for every op's result; hand-written NumPy writes ``h +=
b``, ``g *= mask``. A replay may do the same where no one could tell: the input is an array
the step computed (not an argument, parameter, constant or ``.grad``), it owns its memory, it
has the result's shape, dtype and memory layout, and neither it nor any array sharing its
memory is read after this op. NumPy's ufuncs pick their loop from the inputs' dtypes, so
``np.add(a, b, out=a)`` computes the same bits as ``a + b``; the layout matters because a
reduction's order of additions follows it.

>>> import numpy as np, descend as dc
>>> w = dc.tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True, name="w")
>>> b = dc.tensor(np.zeros(2, dtype=np.float32), requires_grad=True, name="b")
>>> step = dc.jit(lambda x: (x @ w + b).relu().sum())
>>> print(step.program(np.ones((4, 3), dtype=np.float32)))
def step(x):
    t2 = x @ w
    t4 = np.add(t2, b, out=t2)
    t5 = np.maximum(t4, 0, out=t4)
    t6 = t5.sum()
    return t6
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.compiler.instructions import Accumulate, Call, Env, Fetch, InPlace, Op, Run, SgdUpdate
from descend.compiler.updates import Entry, Updates
from descend.ops.activation import Relu
from descend.ops.elementwise import Add, Div, Exp, Mul, Neg, Sub
from descend.ops.fused import activate_
from descend.ops.linalg import Linear

UFUNCS: dict[type, Callable[..., Any]] = {
    Add: np.add, Sub: np.subtract, Mul: np.multiply, Div: np.divide, Exp: np.exp,
    Neg: np.negative, Relu: np.maximum,
}
"""The ops whose forward is one ufunc call (relu's with a 0), and that ufunc."""


def zero(dtype: np.dtype) -> np.ndarray:
    """relu's 0 as a 0-d array of the input's dtype: ``np.maximum(x, zero)`` gives the bits of
    ``np.maximum(x, 0)`` (the 0 becomes 0.0 of that dtype either way) and skips NumPy's
    slower path for a Python scalar (about 1 us at 32x256, 20 us at 1024x256)."""
    return np.zeros((), dtype)


class IntoInput(Op):
    """An elementwise op writing its result into its input ``ins[into]``'s array."""

    __slots__ = ("into", "zero")

    def __init__(self, op: Op, into: int, dtype: np.dtype) -> None:
        super().__init__(op.fn, op.ins, op.out, op.scalar)
        self.into = into
        self.zero = zero(dtype) if type(op.fn) is Relu else None

    def compiled(self) -> Run:
        ufunc, out, target, nought = UFUNCS[type(self.fn)], self.out, self.ins[self.into], self.zero
        if nought is not None:
            def relu(env: Env) -> None:
                env[out] = ufunc(env[target], nought, out=env[target])
            return relu
        if len(self.ins) == 1:
            def run1(env: Env) -> None:
                env[out] = ufunc(env[target], out=env[target])
            return run1
        a, b = self.ins

        def run2(env: Env) -> None:
            env[out] = ufunc(env[a], env[b], out=env[target])
        return run2

    def source(self, names: list[str]) -> str:
        args = [names[i] for i in self.ins]
        into = names[self.ins[self.into]]
        if type(self.fn) is Relu:
            return f"{names[self.out]} = np.maximum({args[0]}, 0, out={into})"
        ufunc = UFUNCS[type(self.fn)].__name__
        return f"{names[self.out]} = np.{ufunc}({', '.join(args)}, out={into})"


class LinearInPlace(Op):
    """The fused linear's forward as hand NumPy writes it: ``y = x @ k; y += b``, then the
    activation in ``y`` (the eager op allocates ``x @ k + b`` anew; relu against a 0-d 0,
    see :func:`zero`)."""

    __slots__ = ("zero",)

    def __init__(self, op: Op, dtype: np.dtype) -> None:
        super().__init__(op.fn, op.ins, op.out, op.scalar)
        self.zero = zero(dtype)

    def compiled(self) -> Run:
        x, k, b = self.ins
        out, activation, nought = self.out, self.fn.activation, self.zero

        def run(env: Env) -> None:
            y = np.matmul(env[x], env[k])
            y += env[b]
            if activation == "relu":
                np.maximum(y, nought, out=y)
            elif activation is not None:
                activate_(y, activation)
            env[out] = y
        return run

    def source(self, names: list[str]) -> str:
        x, k, b = (names[i] for i in self.ins)
        y = names[self.out]
        text = f"{y} = {x} @ {k}; {y} += {b}"
        return text if self.fn.activation is None else f"{text}; {y} = {self.fn.activation}_({y})"


def reuse_buffers(code: list[Any], env: Env, kept: set[int]) -> list[Any]:
    """``code`` with elementwise ops written into a dead input and linears' biases added in
    place. ``kept``: slots whose arrays others see (arguments, parameters, constants, results)."""
    last = last_reads(code)
    kept = kept | escaped(code)
    groups = Groups(env)
    code = list(code)
    for i, instruction in enumerate(code):
        if type(instruction) is Op and type(instruction.fn) is Linear:
            code[i] = _linear(instruction, env)
        elif type(instruction) is Op and type(instruction.fn) in UFUNCS:
            into = _dead_input(instruction, i, env, last, kept, groups)
            if into is not None:
                code[i] = IntoInput(instruction, into, env[instruction.out].dtype)
                groups.merge(instruction.out, instruction.ins[into])
    return code


def _linear(op: Op, env: Env) -> Op:
    x, k = env[op.ins[0]], env[op.ins[1]]
    y = env[op.out]
    fits = (isinstance(y, np.ndarray) and k.ndim == 2 and x.ndim >= 1 and y.flags.c_contiguous
            and y.shape == x.shape[:-1] + k.shape[-1:] and x.dtype == k.dtype == y.dtype)
    return LinearInPlace(op, y.dtype) if fits else op


def same_layout(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` can hold ``b``'s values as ``b`` lies in memory: the same shape, dtype and
    strides (a reduction's order of summation, so its bits, follows the memory layout)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.strides == b.strides


def _dead_input(op: Op, at: int, env: Env, last: dict[int, int], kept: set[int],
                groups: Groups) -> int | None:
    """The position of an input ``op`` may write its result into, if any."""
    result = env[op.out]
    for position, slot in enumerate(op.ins):
        array = env[slot]
        if (slot not in kept and last.get(slot) == at and isinstance(array, np.ndarray)
                and isinstance(result, np.ndarray) and array.base is None
                and array.flags.writeable and same_layout(array, result)
                and groups.alone(slot, at, last, kept)):
            return position
    return None


class Groups:
    """Slots whose arrays share memory (a view and its base; results written into an input)."""

    def __init__(self, env: Env) -> None:
        self.members: dict[int, set[int]] = {}
        self.of: dict[int, set[int]] = {}
        for slot, value in enumerate(env):
            if isinstance(value, np.ndarray):
                root = value
                while isinstance(root.base, np.ndarray):
                    root = root.base
                self.of[slot] = self.members.setdefault(id(root), set())
                self.of[slot].add(slot)

    def alone(self, slot: int, at: int, last: dict[int, int], kept: set[int]) -> bool:
        """Whether no slot sharing ``slot``'s memory is read after instruction ``at`` or kept."""
        return all(other == slot or (other not in kept and last.get(other, -1) < at)
                   for other in self.of.get(slot, ()))

    def merge(self, a: int, b: int) -> None:
        group = self.of[a] | self.of[b]
        for slot in group:
            self.of[slot] = group


def last_reads(code: list[Any]) -> dict[int, int]:
    """Each slot's last reader: the index of the last instruction that reads it."""
    return {slot: i for i, instruction in enumerate(code) for slot in instruction.reads()}


def escaped(code: list[Any]) -> set[int]:
    """Slots whose arrays live on past their instruction: gradients given to ``.grad``, arrays
    read back from ``.grad`` (or drawn) and in-place targets (a buffer's running statistics)."""
    out: set[int] = set()
    for instruction in code:
        if isinstance(instruction, Accumulate | InPlace | Fetch):
            out.update(instruction.reads(), instruction.writes())
    return out


def drop_gradients(code: list[Any], kept: set[int], handed: list[set[int]]) -> None:
    """Let each plain SGD update followed, through other SGD updates only, by its optimizer's
    ``zero_grad(set_to_none=True)`` write ``grad * lr`` into the gradient itself (as hand
    NumPy does), unless the step returns that gradient or the gradient is a constant of the
    program (made once, read by every replay) (see ``SgdUpdate.dropped``). Only in a step with
    one backward pass (``handed``: the engine's set of each)."""
    if len(handed) != 1:
        return
    written = {slot for instruction in code for slot in instruction.writes()}
    kept_grads = {id(i.tensor) for i in code
                  if isinstance(i, Accumulate) and (i.grad in kept or i.grad not in written)}
    for at, update in enumerate(code):
        if type(update) is not SgdUpdate or id(update.param) in kept_grads:
            continue
        after = next((i for i in code[at + 1:] if type(i) is not SgdUpdate), None)
        if isinstance(after, Call) and after.sets_grads_to_none(update.optimizer):
            update.dropped = handed[0]


def share_scratch(code: list[Any]) -> None:
    """Give each plain SGD update that does not write ``grad * lr`` into the gradient a
    scratch array for it: views of one buffer per dtype, as large as the largest parameter
    (the updates run one after another)."""
    holders: list[Any] = []
    for instruction in code:
        inside = [instruction]
        if isinstance(instruction, Updates):
            inside = [*instruction.replaced, *instruction.entries]
        holders += [i for i in inside if (isinstance(i, SgdUpdate) and i.dropped is None)
                    or (isinstance(i, Entry) and not i.in_place)]
    sizes: dict[np.dtype, int] = {}
    for holder in holders:
        dtype = holder.param.data.dtype
        sizes[dtype] = max(sizes.get(dtype, 0), holder.param.data.size)
    buffers = {dtype: np.empty(size, dtype) for dtype, size in sizes.items()}
    for holder in holders:
        data = holder.param.data
        holder.scratch = buffers[data.dtype][:data.size].reshape(holder.scratch_shape)
