"""``Optimizer``: the torch-style wrapper that drives a pure update rule over parameter groups.

An optimizer family is two plain functions on NumPy arrays, an :class:`UpdateRule` (optax
style): ``init(param, hparams) -> state`` makes the per-parameter state, and
``update(grad, state, param, hparams) -> param`` takes one step, writing the new values **in
place** into ``param`` and the state arrays (and replacing the state's scalars, such as
``state["step"]``). The lab's optimizer races and ``explain_step`` call those functions directly;
:class:`Optimizer` only adds the bookkeeping: parameter groups with their own
hyperparameters, state keyed by parameter position, ``step``, ``zero_grad``, saving and loading.

Parameters are given at construction (torch style) or later with :meth:`Optimizer.bind`, which
is what ``model.compile`` calls (Keras style):

>>> import descend as dc
>>> w = dc.tensor([0.0], requires_grad=True)
>>> opt = dc.optim.SGD(lr=0.1)              # Keras style: no parameters yet
>>> _ = opt.bind([w])
>>> ((w - 3) ** 2).sum().backward()
>>> opt.step()
>>> w
tensor([0.6], requires_grad=True)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, NamedTuple

import numpy as np

from descend import backend, tracing
from descend.autograd.mode import enable_grad
from descend.optim._checks import check_hyperparameter
from descend.tensors import Tensor

Params = Iterable[Tensor] | Iterable[dict[str, Any]]
"""What an optimizer accepts as parameters: Tensors, or parameter-group dicts."""

_OPTIONAL_GROUP_KEYS = frozenset({"params", "name", "initial_lr"})


class UpdateRule(NamedTuple):
    """An optimizer family as two plain functions on NumPy arrays (usable without any class).

    Attributes:
        init: ``init(param, hparams) -> state``: the state dict for one parameter array
            (``state["step"]`` counts the updates taken).
        update: ``update(grad, state, param, hparams) -> param``: one step; writes the new
            values into ``param`` and the state's arrays in place and returns ``param``.

    >>> import numpy as np, descend as dc
    >>> rule, hparams = dc.optim.SGD.rule, dc.optim.SGD(lr=0.1).defaults
    >>> w = np.array([0.0]); state = rule.init(w, hparams)
    >>> rule.update(2 * (w - 3), state, w, hparams)
    array([0.6])
    """

    init: Callable[[np.ndarray, Mapping[str, Any]], dict[str, Any]]
    update: Callable[[np.ndarray, dict[str, Any], np.ndarray, Mapping[str, Any]], np.ndarray]


_alive: weakref.WeakSet[Optimizer] = weakref.WeakSet()
"""Every optimizer alive: a compiled step's trace watches their settings from its start."""


def live_optimizers() -> list[Optimizer]:
    """The optimizers alive now (for the trace of a compiled step).

    >>> import descend as dc
    >>> opt = dc.optim.SGD(lr=0.1)
    >>> opt in live_optimizers()
    True
    """
    return list(_alive)


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step``, ``zero_grad``, saving.

    Subclasses set :attr:`rule` and pass their hyperparameters as ``defaults``.

    Attributes:
        defaults: the hyperparameters a group gets when it does not set its own.
        param_groups: a list of dicts, each with ``"params"`` (a list of Tensors) and every
            hyperparameter; change ``group["lr"]`` to set one group's learning rate.
        state: ``{position: {"step": n, ...}}``, where position counts the parameters over all
            groups in order; the entries are named as in torch (``exp_avg``, ``sum``, ...).

    >>> import descend as dc
    >>> w = dc.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = dc.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step()
    >>> opt.state[0]["momentum_buffer"], opt.param_groups[0]["lr"]
    (array([ 2., -2.], dtype=float32), 0.1)
    """

    rule: ClassVar[UpdateRule]

    def __init__(self, params: Params | None, defaults: Mapping[str, Any]) -> None:
        name = type(self).__name__
        self.defaults = {k: check_hyperparameter(name, k, v) for k, v in defaults.items()}
        self._check_group(self.defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        self._step_pre_hooks: list[Callable[[Optimizer], None]] = []
        _alive.add(self)
        if params is not None:
            self.bind(params)

    def register_step_pre_hook(self, hook: Callable[[Optimizer], None]) -> HookHandle:
        """Call ``hook(optimizer)`` at the start of every :meth:`step`, before any update (to
        change the gradients first: data-parallel training sums them over processes there).

        Returns a handle whose ``remove()`` unregisters the hook (torch's
        ``register_step_pre_hook``).

        >>> import descend as dc
        >>> w = dc.tensor([1.0], requires_grad=True); opt = dc.optim.SGD([w], lr=1.0)
        >>> def halve(optimizer):
        ...     w.grad = w.grad * 0.5
        >>> handle = opt.register_step_pre_hook(halve)
        >>> (w * 4).sum().backward(); opt.step(); w            # 1 - 0.5 · 4
        tensor([-1.], requires_grad=True)
        >>> handle.remove()
        """
        self._step_pre_hooks.append(hook)
        return HookHandle(self._step_pre_hooks, hook)

    # ----------------------------------------------------------------- parameters
    def bind(self, params: Params) -> Optimizer:
        """Give an optimizer made without parameters its parameters; returns the optimizer.

        Args:
            params: a list of Tensors, or a list of parameter-group dicts
                ``{"params": [...], "lr": ...}`` whose other entries override the defaults.

        >>> import descend as dc
        >>> opt = dc.optim.Adam(lr=0.01).bind([dc.zeros(3, requires_grad=True)])
        >>> len(opt.param_groups[0]["params"])
        1
        """
        name = type(self).__name__
        if self.param_groups:
            raise RuntimeError(f"{name}.bind: this optimizer already has parameters; add more "
                               "with add_param_group(...), or make a new optimizer")
        entries = _as_list(params, name)
        if not entries:
            raise ValueError(f"{name}: got an empty parameter list; pass the tensors to "
                             "optimize (for example model.parameters())")
        if all(isinstance(e, dict) for e in entries):
            groups = entries
        elif any(isinstance(e, dict) for e in entries):
            raise TypeError(f"{name}: params mixes Tensors and parameter-group dicts; pass "
                            "either a list of Tensors or a list of dicts")
        else:
            groups = [{"params": entries}]
        taken: set[int] = set()
        self.param_groups = [self._make_group(g, taken) for g in groups]
        return self

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyperparameters), e.g. when unfreezing.

        >>> import descend as dc
        >>> opt = dc.optim.SGD([dc.zeros(2, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [dc.zeros(3, requires_grad=True)], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        self.param_groups.append(self._make_group(param_group, taken))

    def _make_group(self, group: Any, taken: set[int]) -> dict[str, Any]:
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, "
                            f"got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry with its Tensors")
        unknown = set(group) - set(self.defaults) - _OPTIONAL_GROUP_KEYS
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameter(s) {sorted(unknown)} in a "
                             f"parameter group; {name} takes {', '.join(self.defaults)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else _as_list(params, name)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list in a parameter group")
        for param in params:
            _check_param(param, name, taken)
        made = {"params": params}
        for key, value in group.items():
            if key != "params":
                made[key] = check_hyperparameter(name, key, value)
        for key, value in self.defaults.items():
            made.setdefault(key, value)
        self._check_group(made)
        return made

    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Check relations between hyperparameters (e.g. SGD's nesterov); none by default."""

    # ----------------------------------------------------------------- training
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place (no graph is recorded).

        Args:
            closure: optional; a function that recomputes the loss (zeroing and computing
                gradients); it is called first and its result returned.

        Parameters whose ``grad`` is None are skipped.

        >>> import descend as dc
        >>> w = dc.tensor([2.0], requires_grad=True); opt = dc.optim.SGD([w], lr=0.25)
        >>> def closure():
        ...     opt.zero_grad(); loss = (w * w).sum(); loss.backward(); return loss
        >>> opt.step(closure), w        # the loss before the step, and w - 0.25 · 2w
        (tensor(4., grad_fn=<sum>), tensor([1.], requires_grad=True))
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if not self.param_groups:
            name = type(self).__name__
            raise RuntimeError(f"{name}.step: no parameters to update yet; pass them when making "
                               f"the optimizer ({name}(model.parameters(), ...)) or call "
                               "optimizer.bind(params) (model.compile does this)")
        for hook in list(self._step_pre_hooks):
            if tracing.active is None:
                hook(self)
            else:  # a compiled step being traced records the call and replays it
                name = getattr(hook, "__name__", type(hook).__name__)
                tracing.active.live_call(hook, (self,), f"{name}(optimizer)")
        position = 0
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self.update_param(position, group, param)
                position += 1
        return loss

    def update_param(self, position: int, group: dict[str, Any], param: Tensor) -> None:
        """Step one parameter (number ``position`` over all groups) against its ``grad``."""
        data, grad = param.data, param.grad.data
        if grad.shape != data.shape:
            raise ValueError(f"{type(self).__name__}.step: parameter {position} has "
                             f"shape {data.shape} but its grad has shape {grad.shape}")
        init, update = self.rule
        if data.ndim == 0:  # 1-d views: NumPy's arithmetic on 0-d arrays gives scalars
            data, grad = data.reshape(1), grad.reshape(1)
        state = self.state.get(position)
        if state is None:
            state = self.state[position] = init(data, group)
        update(grad, state, data, group)
        if tracing.active is not None:
            tracing.active.update(self, position, group, param)
        param.bump_version()  # changed in place: a graph that saved it can no longer backward

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set every ``param.grad`` to None (or zero its array in place).

        >>> import descend as dc
        >>> w = dc.ones(2, requires_grad=True); (w * w).sum().backward()
        >>> opt = dc.optim.SGD([w]); opt.zero_grad(); w.grad is None
        True
        """
        if tracing.active is not None:
            tracing.active.zero_grad(self, set_to_none)
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad.data.fill(0)

    # ----------------------------------------------------------------- learning rate
    @property
    def lr(self) -> float:
        """The learning rate of every group (setting it sets all groups and the default).

        >>> import descend as dc
        >>> opt = dc.optim.Adam(lr=0.01); opt.lr = 0.1; opt.lr
        0.1
        """
        lrs = {group["lr"] for group in self.param_groups} or {self.defaults["lr"]}
        if len(lrs) > 1:
            raise ValueError(f"{type(self).__name__}.lr: the parameter groups have different "
                             f"learning rates {[g['lr'] for g in self.param_groups]}; read "
                             "optimizer.param_groups[i]['lr'] instead")
        return lrs.pop()

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_hyperparameter(type(self).__name__, "lr", value)
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    # ----------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data: NumPy arrays (copies), numbers and lists.

        ``{"state": {position: {"step": 5, "exp_avg": array, ...}}, "param_groups":
        [{"lr": ..., ..., "params": [0, 1]}]}``. Besides the arrays, everything survives
        JSON (which turns the positions into strings; :meth:`load_state_dict` accepts those).

        >>> import descend as dc
        >>> w = dc.ones(2, requires_grad=True); opt = dc.optim.Adam([w])
        >>> (w * w).sum().backward(); opt.step()
        >>> sorted(opt.state_dict()["state"][0])
        ['exp_avg', 'exp_avg_sq', 'step']
        """
        state = {position: {k: _host_copy(v)
                            for k, v in entries.items()}
                 for position, entries in sorted(self.state.items())}
        groups, start = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + count))
            groups.append(saved)
            start += count
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: hyperparameters of each group and all state.

        The optimizer must have the same groups with the same numbers of parameters, in the
        same order, as the one that was saved. Arrays are copied (and cast to each parameter's
        dtype), so training on does not change the saved dict.

        >>> import descend as dc
        >>> w = dc.ones(2, requires_grad=True); opt = dc.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> again = dc.optim.Adam([w]); again.load_state_dict(opt.state_dict())
        >>> again.state[0]["step"], again.lr
        (1, 0.1)
        """
        name = type(self).__name__
        groups, saved_state = state_dict.get("param_groups"), state_dict.get("state")
        if not isinstance(groups, list) or not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups' (from optimizer.state_dict()), got keys "
                             f"{sorted(state_dict)}")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(groups)} "
                             f"parameter group(s), this optimizer has {len(self.param_groups)}")
        owner = self._owners(groups)
        state = {}
        for key, entries in saved_state.items():
            if int(key) not in owner:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, which "
                                 "no saved group lists")
            position, param = owner[int(key)]
            state[position] = {k: _restore(name, k, v, param) for k, v in entries.items()}
        for saved, group in zip(groups, self.param_groups):
            params = group["params"]
            group.clear()
            group["params"] = params
            for key, value in saved.items():
                if key != "params":
                    value = tuple(value) if isinstance(value, list) else value
                    group[key] = check_hyperparameter(name, key, value)
        self.state = state

    def _owners(self, groups: list[Mapping[str, Any]]) -> dict[int, tuple[int, Tensor]]:
        """For each saved parameter index: its position here and the parameter itself."""
        owner: dict[int, tuple[int, Tensor]] = {}
        position = 0
        for i, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{type(self).__name__}.load_state_dict: group {i} was saved "
                                 f"with {len(saved['params'])} parameter(s), this optimizer's "
                                 f"has {len(group['params'])}")
            for index, param in zip(saved["params"], group["params"]):
                owner[int(index)] = (position, param)
                position += 1
        return owner

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        name = type(self).__name__
        options = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        if not self.param_groups:
            return f"{name}({options}) with no parameters yet (bind them, or model.compile)"
        lines = [f"{name}({options}) with"]
        for i, group in enumerate(self.param_groups):
            params = group["params"]
            own = [f"{k}={v!r}" for k, v in group.items()
                   if k != "params" and self.defaults.get(k, None) != v]
            size = sum(p.size for p in params)
            lines.append(f"  group {i}: {len(params)} tensor(s), {size} value(s)"
                         + (f"; {', '.join(own)}" if own else ""))
        return "\n".join(lines)


class HookHandle:
    """What :meth:`Optimizer.register_step_pre_hook` returns: ``remove()`` unregisters."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _as_list(params: Any, owner: str) -> list[Any]:
    """``params`` as a list, with a clear error for a Tensor, a dict, a set or a model."""
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: params must be a list of Tensors, got a single Tensor; "
                        "wrap it in a list: [w]")
    if isinstance(params, dict):
        raise TypeError(f"{owner}: params must be a list, got a dict; pass a list of "
                        "parameter-group dicts: [{'params': [...], 'lr': ...}]")
    if isinstance(params, set | frozenset):
        raise TypeError(f"{owner}: params must be a list, got a set, whose order changes from "
                        "run to run; pass a list")
    try:
        return list(params)
    except TypeError:
        hint = "; did you mean model.parameters()?" if hasattr(params, "parameters") else ""
        raise TypeError(f"{owner}: params must be a list of Tensors or of parameter-group "
                        f"dicts, got {type(params).__name__}{hint}") from None


def _check_param(param: Any, owner: str, taken: set[int]) -> None:
    """A parameter must be a floating leaf Tensor that requires grad, in one group only."""
    if not isinstance(param, Tensor):
        raise TypeError(f"{owner}: parameters must be Tensors, got {type(param).__name__}")
    if param.dtype.kind != "f":
        raise ValueError(f"{owner}: can only optimize floating-point tensors, got one of dtype "
                         f"{param.dtype}; make it with float values")
    if not param.requires_grad:
        raise ValueError(f"{owner}: a parameter of shape {param.shape} does not require grad, "
                         "so it never gets a gradient; make it with requires_grad=True or "
                         "leave it out")
    if not param.is_leaf:
        raise ValueError(f"{owner}: can only optimize leaf tensors, got the result of "
                         f"'{param.grad_fn.name}'; optimize the tensors it is computed from")
    if id(param) in taken:
        raise ValueError(f"{owner}: a parameter of shape {param.shape} appears twice (in two "
                         "parameter groups, or twice in one); each parameter can be listed "
                         "only once")
    taken.add(id(param))


def _host_copy(value: Any) -> Any:
    """A state entry as plain data: arrays copied to the host, numbers as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return backend.to_host(value) if backend.array_module(value) is not np else value


def _restore(owner: str, key: str, value: Any, param: Tensor) -> Any:
    """One saved state entry, as the live state holds it (arrays copied in the param's dtype)."""
    if isinstance(value, np.ndarray | list) and np.ndim(value) > 0:
        array = np.array(value, dtype=param.dtype)
        stepped = (1,) if param.ndim == 0 else param.shape  # (update_param's 1-d view)
        if array.shape not in (param.shape, stepped):
            raise ValueError(f"{owner}.load_state_dict: state '{key}' has shape {array.shape} "
                             f"but its parameter has shape {param.shape}")
        return backend.to_device(array.reshape(stepped), param.device)
    number = value.item() if isinstance(value, np.ndarray | np.generic) else value
    return int(number) if key == "step" else float(number)
