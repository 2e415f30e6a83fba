"""Rewrites of a traced program that give the same bits with less work.

- :func:`fold_constants`: an op on numbers written into the step (the loss's ``1.0 / n``,
  the seed broadcast by a mean's backward) is computed once, when the program is made; so is
  a view of a parameter (``w.T``), which follows the parameter's in-place updates.
- :func:`mask_from_output`: relu's backward compares its output, not its input, with 0.
- :func:`numbers_as_arrays`: the 0 of ``x > 0`` as a 0-d array of ``x``'s dtype.
- :func:`alias_reshapes`: a reshape that keeps the shape (the linear's backward flattens
  its 2-D gradient) hands on its input.
- :func:`check_label_range`: a check of ``int64`` labels of the batch's shape (which the
  program's signature fixes) reads only their range on each replay.
- :func:`transpose_in_products`: a matrix transpose read only by a matrix product (``h.T @
  g`` written in a step) becomes the product's ``transpose_a`` (``transpose_b``).
- :func:`~descend.compiler.buffers.reuse_buffers`: results written into dead inputs;
  :func:`~descend.compiler.buffers.drop_gradients`: an SGD update right before
  ``zero_grad()`` scales the gradient in place.
- :func:`~descend.compiler.updates.fuse_updates`: one optimizer step's updates and the
  ``.grad`` accumulations before them become one instruction (``.grad`` never set where
  ``zero_grad()`` follows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.compiler.buffers import (
    drop_gradients,
    escaped,
    reuse_buffers,
    share_scratch,
)
from descend.compiler.instructions import Check, Compare, Env, Op, Run
from descend.compiler.updates import fuse_updates
from descend.losses.checks import sparse_labels
from descend.ops.activation import Relu
from descend.ops.linalg import MatMul
from descend.ops.shape import Reshape, Transpose

PURE = frozenset({"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt",
                  "reshape", "transpose", "broadcast_to", "sum_to", "astype"})
"""Ops whose result depends on nothing but their inputs (no random draw): foldable."""
VIEWS = frozenset({"reshape", "transpose"})
"""Ops that may return a view: of a parameter (which is updated in place), made once."""


def rewrite(code: list[Any], env: Env, kept: set[int], state: set[int],
            once: list[Any], handed: list[set[int]]) -> list[Any]:
    """``code`` with the rewrites above applied (a new list; the instructions are shared).
    ``kept``: the slots of arguments, parameters and results (their arrays are not the
    program's to reuse); ``state``: those of the parameters and buffers; ``once`` receives
    the instructions run when the program is made; ``handed``: the engine's sets of the
    arrays given to ``.grad``, filled anew by each replay."""
    code = fold_constants(code, env, kept, state, once)
    code = alias_reshapes(mask_from_output(code, env), env, kept)
    code = transpose_in_products(check_label_range(code, env), kept)
    numbers_as_arrays(code, env)
    code = reuse_buffers(code, env, kept | constants(code, env, kept))
    drop_gradients(code, kept, handed)
    code = fuse_updates(code, env, kept, handed)
    share_scratch(code)
    return code


def constants(code: list[Any], env: Env, kept: set[int]) -> set[int]:
    """The slots no instruction writes that are not arguments or parameters: numbers."""
    written = {slot for instruction in code for slot in instruction.writes()}
    return {slot for slot in range(len(env)) if slot not in written and slot not in kept}


def fold_constants(code: list[Any], env: Env, kept: set[int], state: set[int],
                   once: list[Any]) -> list[Any]:
    """Compute once the pure ops whose inputs are all constants, and the reshapes and
    transposes of parameters that give views (``w.T``); move their instructions to ``once``."""
    fixed, views = constants(code, env, kept), set(state)
    folded = []
    for instruction in code:
        if type(instruction) is not Op or not instruction.ins:
            folded.append(instruction)
        elif instruction.fn.name in PURE and all(slot in fixed for slot in instruction.ins):
            instruction.run(env)
            fixed.add(instruction.out)
            once.append(instruction)
        elif instruction.fn.name in VIEWS and instruction.ins[0] in views:
            view = instruction.fn.forward(env[instruction.ins[0]])
            if not np.shares_memory(view, env[instruction.ins[0]]):
                folded.append(instruction)  # a copy: it must be made anew each time
                continue
            env[instruction.out] = view
            views.add(instruction.out)
            once.append(instruction)
        else:
            folded.append(instruction)
    return folded


class Alias(Op):
    """A reshape to the shape its input has already: ``env[out] = env[x]``, no new view."""

    __slots__ = ()

    def compiled(self) -> Run:
        (x,), out = self.ins, self.out

        def run(env: Env) -> None:
            env[out] = env[x]
        return run

    def source(self, names: list[str]) -> str:
        return f"{names[self.out]} = {names[self.ins[0]]}"


def mask_from_output(code: list[Any], env: Env) -> list[Any]:
    """relu's backward mask ``x > 0`` read from the output, ``relu(x) > 0`` (the same
    booleans, NaN included), as the fused linear's is: ``x`` is then dead after the relu,
    which can write into it."""
    relu_of = {i.ins[0]: i.out for i in code if type(i) is Op and type(i.fn) is Relu}
    return [Compare(i.ufunc, [relu_of[i.ins[0]], i.ins[1]], i.out) if (
        type(i) is Compare and i.ufunc is np.greater and i.ins[0] in relu_of
        and np.ndim(env[i.ins[1]]) == 0 and env[i.ins[1]] == 0) else i for i in code]


def numbers_as_arrays(code: list[Any], env: Env) -> None:
    """A Python number a comparison reads (relu's ``x > 0``) becomes a 0-d array of the
    array's float dtype, where it holds the number exactly: the same booleans, without
    NumPy's slower path for a scalar."""
    for i in code:
        if type(i) is not Compare:
            continue
        x, number = env[i.ins[0]], env[i.ins[1]]
        if (isinstance(number, int | float) and isinstance(x, np.ndarray)
                and x.dtype.kind == "f" and x.dtype.type(number) == number):
            env[i.ins[1]] = np.asarray(x.dtype.type(number))


def alias_reshapes(code: list[Any], env: Env, kept: set[int]) -> list[Any]:
    """Replace a reshape that keeps the shape, whose result stays inside the step (neither
    kept, nor given to ``.grad``), by an :class:`Alias`."""
    kept = kept | escaped(code)
    return [Alias(i.fn, i.ins, i.out) if (
        type(i) is Op and type(i.fn) is Reshape and i.out not in kept
        and isinstance(env[i.out], np.ndarray) and env[i.ins[0]].shape == env[i.out].shape)
        else i for i in code]


class LabelRangeCheck(Check):
    """``sparse_labels(op, labels, shape)`` on labels that are ``int64`` and of the batch's
    shape, as the program's signature keeps them: of all it checks only the range depends on
    a replay's values, so a replay checks that (one pass over the labels read as unsigned,
    where a negative label is larger than any class count) and runs the whole check, which
    raises naming the label, only when a label is outside it."""

    __slots__ = ()

    def compiled(self) -> Run:
        (slot,), classes, check = self.slots.values(), self.args[2][-1], self.run

        def run(env: Env) -> None:
            labels = env[slot]
            if labels.size and np.maximum.reduce(labels.view(np.uint64), axis=None) >= classes:
                check(env)
        return run


def check_label_range(code: list[Any], env: Env) -> list[Any]:
    """Each ``sparse_labels`` check that returned its labels as they were (``int64``, the
    batch's shape) as a :class:`LabelRangeCheck`."""
    return [LabelRangeCheck(i.fn, i.args, i.slots, None) if (
        type(i) is Check and i.fn is sparse_labels and i.out is None and list(i.slots) == [1]
        and isinstance(env[i.slots[1]], np.ndarray) and env[i.slots[1]].dtype == np.int64
        and len(i.args[2]) >= 1 and env[i.slots[1]].shape == tuple(i.args[2][:-1]))
        else i for i in code]


def transpose_in_products(code: list[Any], kept: set[int]) -> list[Any]:
    """A transpose of a matrix's last two axes (made on every step) that a matrix product alone
    reads becomes the product's flag: ``t = h.T; y = t @ g`` is ``y = matmul(h, g,
    transpose_a=True)``, one instruction multiplying the same view."""
    made = {i.out: at for at, i in enumerate(code)
            if type(i) is Op and type(i.fn) is Transpose and _swaps_last_two(i.fn.axes)}
    readers: dict[int, int] = {}
    for instruction in code:
        for slot in instruction.reads():
            readers[slot] = readers.get(slot, 0) + 1
    code = list(code)
    for at, instruction in enumerate(code):
        if not (type(instruction) is Op and type(instruction.fn) is MatMul):
            continue
        ins, flags = list(instruction.ins), [instruction.fn.transpose_a, instruction.fn.transpose_b]
        for side, slot in enumerate(instruction.ins):
            if slot in made and readers[slot] == 1 and slot not in kept:
                ins[side], flags[side] = code[made[slot]].ins[0], not flags[side]
                code[made[slot]] = None
        if ins != instruction.ins:
            code[at] = Op(MatMul(*flags), ins, instruction.out, instruction.scalar)
    return [instruction for instruction in code if instruction is not None]


def _swaps_last_two(axes: tuple[int, ...]) -> bool:
    n = len(axes)
    return n >= 2 and axes == (*range(n - 2), n - 1, n - 2)
