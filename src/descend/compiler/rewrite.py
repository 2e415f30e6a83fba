"""Rewrites of a traced program that give the same bits with less work.

One so far: the sparse softmax cross-entropy's backward recomputes ``log_softmax(z)``, which
its forward computed first (``SparseSoftmaxCrossEntropy.forward`` and ``LogSoftmax.forward``
on the last axis run the same NumPy calls, ``_log_softmax``). The loss's instruction keeps
that array in the backward's slot, and the backward's ``log_softmax`` instruction goes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.compiler.instructions import BoundOp, Env, InPlace, Op
from descend.ops.losses import SparseSoftmaxCrossEntropy, _label_positions, _log_softmax
from descend.ops.nn import LogSoftmax


class CrossEntropyKeepingLogSoftmax(BoundOp):
    """The sparse cross-entropy's forward, also writing ``log_softmax(z)`` into slot ``keep``."""

    __slots__ = ("keep",)

    def __init__(self, loss: BoundOp, keep: int) -> None:
        super().__init__(loss.fn, loss.ins, loss.out, loss.bindings)
        self.keep = keep

    def run(self, env: Env) -> None:
        fn = self.fn
        for name, slot in self.bindings:
            setattr(fn, name, env[slot])
        log_p = env[self.keep] = _log_softmax(env[self.ins[0]])
        chosen = log_p[_label_positions(fn.labels)]
        env[self.out] = np.asarray(-chosen.mean() if fn.mean else -chosen)

    def source(self, names: list[str]) -> str:
        z = names[self.ins[0]]
        return f"{super().source(names)}; {names[self.keep]} = log_softmax({z})"


def rewrite(code: list[Any], env: Env) -> list[Any]:
    """``code`` with the rewrites above applied (a new list; the instructions are shared)."""
    return share_log_softmax(code, env)


def share_log_softmax(code: list[Any], env: Env) -> list[Any]:
    """Drop a ``log_softmax(z)`` that a sparse cross-entropy of the same ``z`` computed before."""
    code = list(code)
    losses: dict[int, int] = {}  # the slot of z -> the position of its loss's instruction
    for i, instruction in enumerate(code):
        if isinstance(instruction, InPlace):
            losses.pop(instruction.target, None)  # z changed in place: nothing to share
        elif type(instruction) is BoundOp and type(instruction.fn) is SparseSoftmaxCrossEntropy:
            losses[instruction.ins[0]] = i
        elif type(instruction) is Op and type(instruction.fn) is LogSoftmax:
            z = instruction.ins[0]
            if z in losses and instruction.fn.axis == np.ndim(env[z]) - 1:
                at = losses.pop(z)
                code[at] = CrossEntropyKeepingLogSoftmax(code[at], instruction.out)
                code[i] = None
    return [instruction for instruction in code if instruction is not None]
