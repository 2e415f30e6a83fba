"""``Program``: a traced step as a flat list of instructions on arrays, replayed per call.

A replay puts the arguments' arrays into their slots and runs each instruction in order: no
Tensor is made for a forward op, no graph is recorded or sorted and no version is checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.compiler.instructions import Check
from descend.compiler.rewrite import rewrite
from descend.tensors import Tensor


class Slot(int):
    """The slot of a Tensor the step returns (other results are returned as traced)."""


class NumberSlot(Slot):
    """The slot of a Python number the step returns that a recorded call computes anew on
    each replay (the total norm ``clip_grad_norm`` returns)."""


Outputs = Any
"""Where a step's results live: a :class:`Slot` per Tensor, in the step's tuple/list/dict shape."""


class Program:
    """The instructions of one traced step, with the slots they work on.

    Attributes:
        code: the instructions, in the order the eager step ran them (less what
            :mod:`~descend.compiler.rewrite` shares, folds or fuses).
        once: the instructions run when the program was made (numbers, views of parameters).
        runs: what a replay calls, one closure per instruction (``compiled()``).
        env: the slots' values (each op's latest result, parameters, numbers).
        names: each slot's name in the printed program.
        arguments: the slot of each array argument, in order.
        outputs: the slots of the step's results.
        state: ``(tensor, array, requires_grad)`` for every parameter and buffer read where
            it lives; the program is stale once a tensor's array is replaced (``tensor.data =
            ...``) or it is frozen or unfrozen (``requires_grad_``) between calls.
        groups: ``(optimizer, number of param groups)`` for each optimizer the step updated
            parameters with; the program is stale once one gains a group
            (``add_param_group``: the program updates the parameters it saw).
        handed: the engine's per-backward bookkeeping sets, emptied before each replay.
    """

    def __init__(self, tracer: Any, arguments: list[int], outputs: Outputs) -> None:
        self.env, self.names = tracer.env, tracer.names
        state = set(tracer.state_slots())
        kept = {*arguments, *output_slots(outputs), *state, *tracer.escaped}
        self.once: list[Any] = []
        self.code = rewrite(tracer.code, tracer.env, kept, state, self.once, tracer.handed)
        self.state = [(tensor, array, tensor.requires_grad) for tensor, array in tracer.state]
        self.groups = [(optimizer, len(optimizer.param_groups))
                       for optimizer in tracer.stepped.values()]
        self.handed = tracer.handed
        self.arguments, self.outputs = arguments, outputs
        self.runs = [instruction.compiled() for instruction in self.code]

    def valid(self) -> bool:
        """Whether every parameter and buffer still lives in the array the trace saw, and
        requires a gradient as it did when the trace ended (a layer frozen or unfrozen
        between calls traces anew: its gradient is computed, and it is updated, or not), and
        every optimizer the step used has the param groups it had."""
        return all(tensor.data is array and tensor.requires_grad is requires_grad
                   for tensor, array, requires_grad in self.state) and all(
            len(optimizer.param_groups) == count for optimizer, count in self.groups)

    def run(self, arrays: list[np.ndarray]) -> Any:
        """Replay the step on ``arrays`` (its array arguments, in order); return its results."""
        env = self.env
        for slot, array in zip(self.arguments, arrays):
            env[slot] = array
        for handed_out in self.handed:
            handed_out.clear()
        for run in self.runs:
            run(env)
        return _results(self.outputs, env)

    def check(self, arrays: list[np.ndarray]) -> bool:
        """Run only the step's data checks (labels in range) on ``arrays``, raising as a replay
        on them would, and change nothing; False, running none, when a check reads an array the
        step computes (it could not run before the step)."""
        checks = [instruction for instruction in self.code if isinstance(instruction, Check)]
        known = set(self.arguments)
        for check in checks:
            if not known.issuperset(check.reads()):
                return False
            known.update(check.writes())
        env = list(self.env)  # (a check writes its converted labels into its own slot)
        for slot, array in zip(self.arguments, arrays):
            env[slot] = array
        for check in checks:
            check.run(env)
        return True

    def __str__(self) -> str:
        names = self.names
        header = f"def step({', '.join(names[i] for i in self.arguments)}):"
        lines = [header, *(f"    {ins.source(names)}  # once" for ins in self.once),
                 *("    " + ins.source(names) for ins in self.code)]
        lines.append(f"    return {_results_source(self.outputs, names)}")
        return "\n".join(lines)


def _results(outputs: Outputs, env: list[Any]) -> Any:
    if isinstance(outputs, NumberSlot):
        return env[outputs]
    if isinstance(outputs, Slot):
        return Tensor._wrap(env[outputs])
    if isinstance(outputs, dict):
        return {k: _results(v, env) for k, v in outputs.items()}
    if isinstance(outputs, tuple | list):
        return type(outputs)(_results(v, env) for v in outputs)
    return outputs


def output_slots(outputs: Outputs) -> list[int]:
    """The slots of the arrays a step returns."""
    if isinstance(outputs, Slot):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, tuple | list):
        return [slot for v in outputs for slot in output_slots(v)]
    return []


def _results_source(outputs: Outputs, names: list[str], inside: bool = False) -> str:
    """The step's ``return`` value as code (a tuple returned whole without brackets)."""
    if isinstance(outputs, Slot):
        return names[outputs]
    if isinstance(outputs, dict):
        return "{" + ", ".join(f"{k!r}: {_results_source(v, names, True)}"
                               for k, v in outputs.items()) + "}"
    if isinstance(outputs, tuple | list):
        items = ", ".join(_results_source(v, names, True) for v in outputs)
        if isinstance(outputs, list):
            return f"[{items}]"
        items += "," if len(outputs) == 1 else ""
        return f"({items})" if inside else items
    return repr(outputs)
