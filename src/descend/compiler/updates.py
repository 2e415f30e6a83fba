"""One optimizer step's updates as one instruction, reading the gradients from their slots.

The eager step hands each gradient to ``.grad`` at the end of backward (the engine's
``accumulate``), then ``optimizer.step()`` calls ``update_param`` for each parameter, which
checks its shape and state and runs the rule. Where the trace shows that nothing else comes
between the two (no step pre-hook, no gradient clipping, one backward pass),
:func:`fuse_updates` makes them one :class:`Updates` instruction that, per replay, decides
what ``update_param`` checks once per group instead of once per parameter. Two forms:

- ``.grad`` dropped: ``zero_grad(set_to_none=True)`` follows the updates, so no one sees the
  gradients: ``.grad`` is never set, and plain SGD scales a gradient that only its ``.grad``
  would have read in place, as hand NumPy does (``g *= lr; w -= g``). If a ``.grad`` is not
  ``None`` when the instruction runs (the eager step would add to it), it runs the eager
  instructions it replaced instead.
- ``.grad`` kept: each gradient is handed to ``.grad`` as the engine does (added to a
  ``.grad`` already there), then the updates run on ``.grad``.

SGD without momentum, weight decay or maximize (read live, per group) updates ``w -= g *
lr``, the expression ``sgd_update`` reduces to; every other group or optimizer runs its rule
(``optimizer.rule.update``) on the arrays, as ``update_param`` does.

>>> import numpy as np, descend as dc
>>> w = dc.tensor(np.ones((3, 2), np.float32), requires_grad=True, name="w")
>>> optimizer = dc.optim.SGD([w], lr=0.1)
>>> def step(x):
...     loss = (x @ w).relu().sum()
...     loss.backward()
...     optimizer.step()
...     optimizer.zero_grad()
...     return loss
>>> print(dc.jit(step).program(np.ones((4, 3), np.float32)))
def step(x):
    g6 = np.broadcast_to(1.0, ...)  # once
    t2 = x @ w
    t3 = np.maximum(t2, 0, out=t2)
    t4 = t3.sum()
    g8 = t3 > 0
    g9 = g6 * g8
    g10 = x.T @ g9
    g10 *= lr; w -= g10
    optimizer.zero_grad(set_to_none=True)
    return t4
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.engine import accumulate
from descend.compiler.instructions import (
    Accumulate,
    Call,
    Env,
    Rate,
    Run,
    Update,
    plain_sgd,
    sgd_step,
)
from descend.optim.sgd import sgd_update
from descend.tensors import Tensor

Apply = Callable[[Env, list[np.ndarray] | None], None]
"""``apply(env, grads)``: an :class:`Updates`' updates, from ``grads`` (the ``.grad``
arrays, in order) or, when ``None``, from the gradients' slots."""


class Entry:
    """One parameter of an :class:`Updates`: its update, where its gradient lies, and whether
    plain SGD may scale that gradient in place."""

    __slots__ = ("in_place", "rate", "scratch", "slot", "update")

    def __init__(self, update: Update, slot: int, in_place: bool) -> None:
        self.update, self.slot, self.in_place = update, slot, in_place
        self.rate = Rate(update.param.data.dtype)
        self.scratch: np.ndarray | None = None
        """Where ``g * lr`` goes when it is not written into ``g`` (a view of a buffer the
        updates share, :func:`~descend.compiler.buffers.share_scratch`)."""

    @property
    def param(self) -> Tensor:
        """The parameter updated."""
        return self.update.param

    @property
    def scratch_shape(self) -> tuple[int, ...]:
        """The shape ``g * lr`` has here (a 0-d parameter is updated as 1-d, as
        ``update_param`` does)."""
        return self.param.data.shape or (1,)


class Updates:
    """The updates of one ``optimizer.step()`` with the ``.grad`` accumulations before them
    (see the module docstring). ``replaced``: those instructions, which a replay runs instead
    when it finds a dropped ``.grad`` set; ``handed``: the engine's set of the arrays given to
    ``.grad`` in this replay."""

    __slots__ = ("dropped", "entries", "handed", "optimizer", "replaced")

    def __init__(self, optimizer: Any, entries: list[Entry], dropped: bool,
                 replaced: list[Any], handed: set[int]) -> None:
        self.optimizer, self.entries, self.dropped = optimizer, entries, dropped
        self.replaced, self.handed = replaced, handed

    def compiled(self) -> Run:
        apply = self._apply()
        given = [(entry.param, entry.slot) for entry in self.entries]
        if not self.dropped:
            handed, wrap = self.handed, Tensor._wrap

            def keeping(env: Env) -> None:
                for param, slot in given:
                    accumulate(param, wrap(env[slot]), handed)
                apply(env, [param.grad.data for param, _ in given])
            return keeping
        eager = [instruction.compiled() for instruction in self.replaced]

        def dropping(env: Env) -> None:
            for param, _ in given:
                if param.grad is not None:  # eager would add to it, and update from the sum
                    for instruction in eager:
                        instruction(env)
                    return
            apply(env, None)
        return dropping

    def _apply(self) -> Apply:
        optimizer = self.optimizer
        init, rule = optimizer.rule
        groups: dict[int, tuple[dict[str, Any], list[tuple[int, Entry]]]] = {}
        for i, entry in enumerate(self.entries):
            groups.setdefault(id(entry.update.group), (entry.update.group, []))[1].append(
                (i, entry))
        by_group = list(groups.values())
        sgd = rule is sgd_update

        def apply(env: Env, grads: list[np.ndarray] | None) -> None:
            states = optimizer.state
            for group, entries in by_group:
                plain = sgd and plain_sgd(group)
                for i, entry in entries:
                    update = entry.update
                    param = update.param
                    data = param.data
                    if grads is None:
                        g = env[entry.slot]
                    else:
                        g = grads[i]
                        if g.shape != data.shape or g.dtype != data.dtype:
                            update.method(*update.args)  # raises, or the rule on a cast
                            continue
                    if data.ndim == 0:  # as update_param: 0-d arithmetic gives scalars
                        data, g = data.reshape(1), g.reshape(1)
                    state = states.get(update.position)
                    if state is None:
                        state = states[update.position] = init(data, group)
                    if plain:
                        sgd_step(data, g, entry.rate.of(group["lr"], data.dtype), state,
                                 in_place=entry.in_place, scratch=entry.scratch)
                    else:
                        rule(g, state, data, group)
                    param.bump_version()
        return apply

    def source(self, names: list[str]) -> str:
        name = self.optimizer.rule.update.__name__
        lines = []
        for entry in self.entries:
            w, g = names[entry.update.slot], names[entry.slot]
            if not self.dropped:
                lines.append(f"{w}.grad += {g}; {w} = {name}({w}.grad, state, {w})")
            elif entry.in_place and plain_sgd(entry.update.group):
                lines.append(f"{g} *= lr; {w} -= {g}")
            else:
                lines.append(f"{w} = {name}({g}, state, {w})")
        return "\n    ".join(lines)

    def reads(self) -> list[int]:
        return [entry.slot for entry in self.entries]

    def writes(self) -> list[int]:
        return []


def fuse_updates(code: list[Any], env: Env, kept: set[int],
                 handed: list[set[int]]) -> list[Any]:
    """``code`` with each optimizer step's updates, and the accumulations of their gradients
    right before them, made one :class:`Updates`, in a step with one backward pass."""
    if len(handed) != 1:
        return code
    code = list(code)
    written = {slot for instruction in code for slot in instruction.writes()}
    readers: dict[int, int] = {}
    for instruction in code:
        for slot in instruction.reads():
            readers[slot] = readers.get(slot, 0) + 1

    def own(slot: int, param: Tensor) -> bool:
        """Whether the gradient in ``slot`` is the step's own, read by its ``.grad`` only."""
        array, data = env[slot], param.data
        return (slot in written and slot not in kept and readers.get(slot) == 1
                and isinstance(array, np.ndarray) and array.base is None
                and array.flags.writeable and array.dtype == data.dtype
                and array.shape == data.shape)

    at = 0
    while at < len(code):
        fused = _fuse(code, at, own, handed[0])
        at += fused or 1
    return [instruction for instruction in code if instruction is not None]


def _fuse(code: list[Any], at: int, own: Any, handed: set[int]) -> int:
    """Fuse the updates starting at ``at`` if they can be; return how many there are (0:
    ``code[at]`` starts none)."""
    first = code[at]
    if not isinstance(first, Update):
        return 0
    end = at
    while end < len(code) and isinstance(code[end], Update) and \
            code[end].optimizer is first.optimizer:
        end += 1
    begin = at
    while begin > 0 and isinstance(code[begin - 1], Accumulate):
        begin -= 1
    accumulated: dict[int, list[int]] = {}
    for i in range(begin, at):
        accumulated.setdefault(id(code[i].tensor), []).append(i)
    updates = code[at:end]
    found = [accumulated.get(id(update.param), []) for update in updates]
    if any(len(places) != 1 for places in found) or len({id(u.param) for u in updates}) < len(
            updates):
        return end - at
    after = code[end] if end < len(code) else None
    dropped = isinstance(after, Call) and after.sets_grads_to_none(first.optimizer)
    sgd = first.optimizer.rule.update is sgd_update
    entries = []
    for update, (place,) in zip(updates, found):
        slot = code[place].grad
        entries.append(Entry(update, slot, dropped and sgd and own(slot, update.param)))
    replaced = [code[place] for (place,) in found] + updates
    for i in [place for (place,) in found] + list(range(at, end)):
        code[i] = None
    code[at] = Updates(first.optimizer, entries, dropped, replaced, handed)
    return end - at
