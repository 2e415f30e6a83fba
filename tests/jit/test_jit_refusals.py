"""What a replay could not repeat is refused while tracing, with an error naming the call."""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np
import pytest

import descend as dc
from descend.compiler import TraceError
from descend.compiler.step import KEPT
from jitcheck import dense_twins, on_arrays, squares_step

X = np.ones((3, 2), dtype=np.float32)


@pytest.fixture
def w():
    return dc.tensor([[1.0], [-1.0]], requires_grad=True)


@pytest.mark.parametrize("read, named", [
    (lambda t: t.item(), "item()"),
    (lambda t: float(t), "float()"),
    (lambda t: 1 if t.sum() else 0, "bool()"),
    (lambda t: t.numpy(), "numpy()"),
    (lambda t: t.tolist(), "tolist()"),
    (lambda t: np.asarray(t) > 0, r"np.asarray\(\)"),
    (lambda t: np.array(t, dtype=np.float64), r"np.asarray\(\)"),
])
def test_reading_a_value_while_tracing_is_refused(w, read, named):
    step = dc.jit(lambda x: read((x @ w).sum()))
    with pytest.raises(TraceError, match=rf"{named}.*control flow must not depend on values"):
        step(X)


def test_an_if_on_a_tensor_is_refused(w):
    def step(x):
        loss = (x @ w).sum()
        if loss > 0:
            loss = loss * 2
        return loss

    with pytest.raises(TraceError, match=r"bool\(\) \(an `if`"):
        dc.jit(step)(X)


@pytest.mark.parametrize("use", [
    lambda x, w: (x @ w) * dc.Tensor._wrap(x.data.sum(axis=1, keepdims=True)),
    lambda x, w: dc.where((x @ w).data > 0, x @ w, 0.0),
    lambda x, w: (x @ w) * float(w.data.sum()),      # a number from values: a constant
    lambda x, w: (x @ w) * x.data[0, 0],             # a NumPy scalar, as well
    lambda x, w: x @ w if w.data.sum() > 0 else -(x @ w),  # Python steered by values
])
def test_reading_data_in_the_step_is_refused(w, use):
    step = dc.jit(lambda x: use(x, w))
    with pytest.raises(TraceError, match=r"jit: reading a tensor's .data while the step is"):
        step(X)


def test_replacing_data_in_the_step_is_refused(w):
    halved = w.numpy() * 0.5

    def step(x):
        w.data = halved  # (eagerly, a change no graph sees)
        return (x @ w).sum()
    before = w.numpy().copy()
    with pytest.raises(TraceError, match=r"jit: replacing a tensor's .data while the step"):
        dc.jit(step)(X)
    assert (w.numpy() == before).all()


COLUMN = np.ones((X.shape[0], 1), np.float32)


@pytest.mark.parametrize("given", [lambda: dc.tensor(COLUMN),
                                   lambda: dc.tensor(COLUMN, requires_grad=True),
                                   lambda: COLUMN, lambda: np.ones((3, 1), np.float32)],
                         ids=["dc.tensor", "a leaf", "an operand", "one made in the step"])
def test_an_array_made_with_numpy_is_refused(w, given):
    """A replay would reuse the traced array: one the step's Python builds anew (or a variable
    given a new array between calls) would keep its first value. (As an operand it was read
    where it lived, a new array in the variable unseen.)"""
    step = dc.jit(lambda x: (x @ w) * given())
    with pytest.raises(TraceError, match=r"'mul' reads an array of shape \(3, 1\)"):
        step(X)


def test_a_numpy_number_is_a_number_written_in_the_step(w):
    step = dc.jit(lambda x: ((x @ w) * np.float32(2.0)).sum())
    assert [step(X).item() for _ in range(2)] == [0.0, 0.0]
    assert "np.multiply(t2, 2.0, out=t2)" in str(step.program(X))


def test_a_leaf_made_from_an_array_and_changed_in_place_in_the_step_is_refused(w):
    """An adversarial step that moves its perturbation in place: eagerly each call starts from
    zeros; a replay read the traced leaf where it lived, so the moves added up over calls."""
    def step(x):
        delta = dc.tensor(np.zeros(X.shape, np.float32), requires_grad=True)
        ((x + delta) @ w).sum().backward()
        with dc.no_grad():
            delta += 0.1 * delta.grad
        return ((x + delta) @ w).sum()

    with pytest.raises(TraceError, match=r"'add' reads an array of shape \(3, 2\).*"
                                         r"dc.zeros\(\.\.\., requires_grad=True\)"):
        dc.jit(step)(X)


@pytest.mark.parametrize("kept", [[[0.5], [1.0], [2.0]], 2.0], ids=["a column", "0-d"])
def test_a_tensor_made_before_the_step_is_read_where_it_lives(w, kept):
    """A module's buffer in eval mode, or any tensor kept outside (a 0-d one too, which was
    taken for a number written in the step): changed in place between calls, each replay
    reads its values then, as a parameter's; given a new array, the step is traced again."""
    shift, x = dc.tensor(kept), np.arange(6, dtype=np.float32).reshape(3, 2)
    step = dc.jit(lambda x: (x @ w) * shift)
    for k in (1.0, 2.0, 3.0):
        shift.data *= k  # (outside the step)
        assert np.array_equal(step(x).numpy(), (dc.tensor(x) @ w * shift).numpy())
    shift.data = np.asarray(shift.data * 5.0)
    assert np.array_equal(step(x).numpy(), (dc.tensor(x) @ w * shift).numpy())


def test_a_where_on_a_condition_made_outside_the_step_is_refused(w):
    positive = np.ones((X.shape[0], 1), bool)
    step = dc.jit(lambda x: dc.where(positive, x @ w, 0.0))
    with pytest.raises(TraceError, match=r"'where' was given an array \(condition\)"):
        step(X)


@pytest.mark.parametrize("masked", [lambda h, mask: h[h > 0], lambda h, mask: h[mask],
                                    lambda h, mask: h[mask, 0]],
                         ids=["computed in the step", "an argument", "in a tuple"])
def test_indexing_with_a_boolean_mask_is_refused(w, masked):
    """``h[h > 0]`` has as many values as the mask has True: traced with three, a replay
    with two fed them to an op writing into a buffer of three (an error naming no cause, or,
    the other way round, values broadcast into it)."""
    def step(x, mask):
        h = x @ w
        return (masked(h, mask) * 2.0).sum()

    with pytest.raises(TraceError, match=r"indexing with a boolean mask \(x\[x > 0\]\)"):
        dc.jit(step)(np.arange(6, dtype=np.float32).reshape(3, 2), np.ones(3, bool))


def test_nothing_stays_hooked_after_a_refusal(w):
    with pytest.raises(TraceError):
        dc.jit(lambda x: (x @ w).sum().item())(X)
    assert dc.tracing.active is None
    assert (dc.tensor([2.0]) * 3).item() == 6.0


def test_a_refused_step_can_still_run_eagerly(w):
    def step(x):
        return (x @ w).sum().item()

    assert step(dc.tensor(X)) == 0.0


def test_a_tensor_made_from_python_values_in_the_step_is_a_constant(w):
    def step(x):
        scale = dc.tensor([[2.0], [-1.0], [0.5]])
        return ((x @ w) * scale + dc.tensor(0.25)).sum()

    compiled = dc.jit(step)
    for value in (1.0, 3.0):
        x = np.full((3, 2), value, np.float32)
        assert compiled(x).item() == step(dc.Tensor._wrap(x)).item()
    text = str(compiled.program(X))
    assert "np.multiply(t3, dc.tensor([[2.0], [-1.0], [0.5]])" in text
    assert "dc.tensor(0.25)" in text


def _twin_runs(body, steps=4):
    """What ``steps`` calls of ``body``'s step returned, and the weights and gradients after
    them, eager and compiled."""
    runs = []
    for compiled, model, optimizer in dense_twins(1, 2):
        step = functools.partial(body, model=model, optimizer=optimizer)
        step = dc.jit(step) if compiled else on_arrays(step)
        returned = [step(np.full((3, 2), 1.0 + i, np.float32)).numpy().copy()
                    for i in range(steps)]
        runs.append(returned + [p.numpy().copy() for p in model.parameters()]
                    + [None if p.grad is None else p.grad.numpy().copy()
                       for p in model.parameters()])
    return runs, step


@pytest.mark.parametrize("reset", ["model.zero_grad()", "w.grad = None", "w.grad *= 0.5",
                                   "w.grad *= 0.5, accumulating"])
def test_gradients_reset_or_scaled_in_the_step_are_so_on_every_replay(reset):
    """Accumulating (no reset): from the second call on, .grad holds the sum in its own
    array, which the scaling must change as eagerly (read back into the gradient's slot)."""
    def body(x, model, optimizer):
        if reset == "model.zero_grad()":
            model.zero_grad()
        elif reset == "w.grad = None":
            for p in model.parameters():
                p.grad = None
        elif reset == "w.grad *= 0.5":
            optimizer.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        if reset.startswith("w.grad *= 0.5"):
            with dc.no_grad():
                for p in model.parameters():
                    p.grad *= 0.5
        optimizer.step()
        return loss

    (eager, compiled), step = _twin_runs(body)
    assert all(np.array_equal(a, b) for a, b in zip(eager, compiled))
    text = str(step.program(np.ones((3, 2), np.float32)))
    assert {"model.zero_grad()": "model.zero_grad()", "w.grad = None": "w1.grad = None",
            "w.grad *= 0.5": "g12 *= 0.5",
            "w.grad *= 0.5, accumulating": "w1.grad += g12\n    g12 = w1.grad"}[reset] in text


def test_a_gradient_read_in_an_accumulating_step_is_the_sum_as_in_eager():
    def body(x, model, optimizer):
        loss = (model(x) ** 2).sum()
        loss.backward()
        optimizer.step()
        return (model.kernel.grad ** 2).sum()

    (eager, compiled), _ = _twin_runs(body)
    assert all(np.array_equal(a, b) for a, b in zip(eager, compiled))


def test_setting_grad_to_a_tensor_in_the_step_is_refused(w):
    def step(x):
        loss = (x @ w).sum()
        w.grad = dc.zeros(2, 1)
        return loss
    with pytest.raises(TraceError, match=r"setting a tensor's .grad \(other than to None\)"):
        dc.jit(step)(X)


@pytest.mark.parametrize("change, named", [
    ("lr after the update", r"SGD.param_groups\[0\]\['lr'\] \(0.1 -> 0.05\)"),
    ("lr before the update", r"SGD.param_groups\[0\]\['lr'\] \(0.1 -> 0.05\)"),
    ("lr first", r"SGD.param_groups\[0\]\['lr'\] \(0.1 -> 0.05\)"),
    ("momentum", r"SGD.param_groups\[0\]\['momentum'\] \(0.0 -> 0.9\)"),
    ("a new group", r"the number of SGD.param_groups \(1 -> 2\)"),
])
def test_changing_an_optimizer_setting_in_the_step_is_refused(w, change, named):
    """A replay reads the settings live but would not repeat the Python that changed them."""
    optimizer = dc.optim.SGD([w], lr=0.1)

    def step(x):
        if change == "lr first":  # (a manual schedule: before the step touches its optimizer)
            optimizer.param_groups[0]["lr"] *= 0.5
        optimizer.zero_grad()
        loss = (x @ w).sum()
        loss.backward()
        if change == "lr before the update":
            optimizer.param_groups[0]["lr"] *= 0.5
        optimizer.step()
        if change == "lr after the update":
            optimizer.param_groups[0]["lr"] *= 0.5
        elif change == "momentum":
            optimizer.param_groups[0]["momentum"] = 0.9
        elif change == "a new group":
            optimizer.add_param_group({"params": [dc.zeros(1, requires_grad=True)]})
        return loss

    with pytest.raises(TraceError, match=rf"jit: the step changed {named} while it was traced"):
        dc.jit(step)(X)


def test_settings_changed_by_a_schedule_or_a_pre_hook_in_the_step_replay_as_in_eager():
    """What recorded calls change is theirs to change on every replay: not refused."""
    runs = []
    for compiled in (False, True):
        w = dc.tensor([[1.0], [-1.0]], requires_grad=True)
        optimizer = dc.optim.SGD([w], lr=0.1)
        optimizer.register_step_pre_hook(lambda opt: opt.param_groups[0].update(
            momentum=0.5))
        schedule = dc.optim.schedules.StepLR(optimizer, step_size=1, gamma=0.5)

        def step(x, w=w, optimizer=optimizer, schedule=schedule):
            optimizer.zero_grad()
            loss = (x @ w).sum()
            loss.backward()
            optimizer.step()
            schedule.step()
            return loss

        step = dc.jit(step) if compiled else step
        for _ in range(4):
            step(X)
        runs.append((w.numpy().copy(), optimizer.param_groups[0]["lr"]))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1] == 0.1 / 16


@pytest.mark.parametrize("mode", ["model.train()", "model.eval()"])
def test_a_mode_switch_in_the_step_is_made_on_every_replay(mode):
    """The step's own ``model.train()`` leaves the model training after each call, as
    eagerly, however it was switched between calls (it ran at the trace alone)."""
    model = dc.nn.Dropout(0.5)
    step = dc.jit(lambda x: (model.train() if mode == "model.train()" else model.eval())(x))
    for between in (model.eval, model.train, model.eval):
        between()
        step(X)
        assert model.training is (mode == "model.train()")
    assert f"model.train({mode == 'model.train()'})" in str(step.program(X))


def test_a_retained_gradient_is_each_replay_s_own_as_in_eager(w):
    """``h.retain_grad()``: eagerly ``h`` is new each call, its gradient that call's alone."""
    def step(x):
        h = x @ w
        h.retain_grad()
        (h ** 2).sum().backward()
        return h.grad * 1.0

    returned = []
    for run in (on_arrays(step), dc.jit(step)):
        returned.append([run(np.array([[k, 2 * k], [3 * k, k]], np.float32)).numpy()
                         for k in (1.0, 2.0, 3.0)])
    assert all(np.array_equal(a, b) for a, b in zip(*returned))


@pytest.mark.parametrize("choose", ["dc.seed(7)", "using_rng"])
def test_choosing_the_generator_in_the_step_is_done_on_every_replay(choose):
    """Reseeding (or drawing from a given generator) in the step: each replay's dropout mask
    comes from where the eager step's does (the generator was set at the trace alone)."""
    model = dc.nn.Dropout(0.5)
    runs = []
    for compiled in (False, True):
        dc.seed(0)
        generator = np.random.default_rng(7)  # (one made in the step would be made once)

        def step(x, generator=generator):
            if choose == "dc.seed(7)":
                dc.seed(7)
                return model(x)
            with dc.backend.using_rng(generator):
                return model(x)

        run = dc.jit(step) if compiled else on_arrays(step)
        runs.append([run(np.ones((4, 8), np.float32)).numpy() for _ in range(3)])
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def clipping_step(use: Any) -> tuple[list[dc.Tensor], Any]:
    """A step clipping its gradients by norm, returning ``use(loss, norm)``; its parameters."""
    dc.seed(3)
    model = dc.Sequential([dc.nn.Dense(3, input_dim=2)])
    optimizer = dc.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        norm = dc.optim.clip_grad_norm(model.parameters(), 0.5)
        optimizer.step()
        return use(loss, norm)
    return model.parameters(), step


def test_the_norm_a_clipping_returns_is_each_replay_s_own():
    """Logging the gradient norm: the float clip_grad_norm returned was the traced call's on
    every replay (0.75 three times where eager gave 0.75, 1.65, 1.68)."""
    batches = [np.full((4, 2), k, np.float32) for k in (1.0, 2.0, 3.0)]
    results = []
    for compiled in (False, True):
        params, step = clipping_step(lambda loss, norm: {"loss": loss, "norm": norm})
        step = dc.jit(step) if compiled else step
        norms = [step(x)["norm"] for x in batches]
        results.append((norms, [p.numpy().tobytes() for p in params]))
    assert results[0] == results[1]
    assert all(type(norm) is float for norm in results[1][0]) and len(set(results[1][0])) == 3


@pytest.mark.parametrize("use", [lambda loss, norm: loss * float(norm),
                                 lambda loss, norm: loss if norm > 1.0 else loss * 0.5,
                                 lambda loss, norm: f"{norm:.3f}"],
                         ids=["float()", "a branch", "formatted"])
def test_computing_with_the_norm_a_clipping_returns_is_refused(use):
    _, step = clipping_step(use)
    with pytest.raises(TraceError, match=r"computes with the value clip_grad_norm\(params"):
        dc.jit(step)(np.ones((4, 2), np.float32))


def test_a_gradient_handed_to_grad_as_a_copy_is_scaled_where_it_lives():
    """BatchNorm's gamma and beta get their gradients as views, which the engine copies into
    ``.grad``: scaling ``.grad`` in the step scales that copy on every replay (it scaled the
    traced copy, read as a parameter, and the updates used the unscaled gradients)."""
    runs = []
    for compiled in (False, True):
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(4, input_dim=3), dc.nn.BatchNorm(), dc.nn.Dense(1)])
        optimizer = dc.optim.SGD(model.parameters(), lr=0.1)

        def step(x, model=model, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            with dc.no_grad():
                for p in model.parameters():
                    p.grad *= 0.5
            optimizer.step()
            return loss

        step = dc.jit(step) if compiled else on_arrays(step)
        rng = np.random.default_rng(3)
        runs.append([step(rng.standard_normal((4, 3)).astype(np.float32)).numpy()
                     for _ in range(3)] + [p.numpy() for p in model.parameters()])
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


@pytest.mark.parametrize("returned", ["x.grad", "w.grad"])
def test_a_gradient_the_step_returns_is_each_replay_s_as_in_eager(returned):
    """A saliency map (``x.grad`` of the input, which a 'same' convolution hands over as a
    copy of a view) or, with gradients never reset, ``w.grad`` (the running sum): returned,
    they were the traced call's arrays on every replay."""
    runs = []
    for compiled in (False, True):
        dc.seed(0)
        conv = dc.nn.Conv2D(2, 3, padding="same", input_shape=(1, 5, 5))

        def step(x, conv=conv):
            x = x.detach().requires_grad_()
            (conv(x) ** 2).sum().backward()
            return x.grad if returned == "x.grad" else conv.kernel.grad

        step = dc.jit(step) if compiled else on_arrays(step)
        rng = np.random.default_rng(0)
        runs.append([step(rng.standard_normal((2, 1, 5, 5)).astype(np.float32)).numpy().copy()
                     for _ in range(3)])
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def test_arguments_given_by_name_count_as_given_in_their_place(w):
    """``step(x, scale=2.0)`` is ``step(x, 2.0)``: the same program (it raised TypeError)."""
    step = dc.jit(lambda x, scale=1.0: (x @ w).sum() * scale)
    assert step(X, 2.0).item() == step(X, scale=2.0).item() == step(x=X, scale=2.0).item()
    assert len(step.programs) == 1
    assert "scale" not in str(step.program(X, scale=2.0))  # (a number baked in)
    with pytest.raises(TypeError, match=r"dc.jit: <lambda>\(\) got an unexpected keyword "):
        step(X, size=2)


def test_a_keyword_only_parameter_is_refused_by_name(w):
    def step(x, *, scale):
        return (x @ w).sum() * scale

    with pytest.raises(TypeError, match=r"takes its arguments in order; \['scale'\] can only"):
        dc.jit(step)(X, scale=2.0)


@pytest.mark.parametrize("change", ["freeze", "unfreeze"])
def test_a_layer_frozen_or_unfrozen_between_calls_is_traced_anew(change):
    """``requires_grad_`` between calls: the program traced before computed the layer's
    gradient and updated it, or did neither; it was replayed as it was (silently)."""
    runs = []
    for compiled, model, optimizer in dense_twins(1, 2):
        if change == "unfreeze":
            model.kernel.requires_grad_(False)
        step = squares_step(model, optimizer)
        run = dc.jit(step) if compiled else on_arrays(step)
        losses = []
        for i in range(4):
            if i == 2:
                model.kernel.requires_grad_(change == "unfreeze")
            losses.append(run(np.full((3, 2), 1.0 + i, np.float32)).item())
        runs.append((losses, model.kernel.numpy().tobytes(), model.bias.numpy().tobytes()))
    assert runs[0] == runs[1]


def test_a_param_group_added_between_calls_is_updated_from_then_on():
    """Fine-tuning: a layer's parameters given to the optimizer as a new group
    (``add_param_group``) between calls; the program updated the parameters it saw alone."""
    runs = []
    for compiled, model, _ in dense_twins(1, 2):
        optimizer = dc.optim.SGD([model.bias], lr=0.1)
        step = squares_step(model, optimizer)
        run = dc.jit(step) if compiled else on_arrays(step)
        losses = []
        for i in range(4):
            if i == 2:
                optimizer.add_param_group({"params": [model.kernel], "lr": 0.05})
            losses.append(run(np.full((3, 2), 1.0 + i, np.float32)).item())
        runs.append((losses, model.kernel.numpy().tobytes(), model.bias.numpy().tobytes()))
    assert runs[0] == runs[1]


def test_a_number_argument_changing_every_call_warns_once_and_keeps_few_programs(w):
    """``step(x, 0.99 ** i)``: each value is a new signature, traced anew (5 ms a call where a
    replay takes 0.09 ms, one program more each time: 16 MB after 300 calls). The step warns
    once, naming the argument and the fix, and keeps the latest programs only."""
    step = dc.jit(lambda x, scale: (x @ w).sum() * scale)
    with pytest.warns(RuntimeWarning, match=r"traced for 9 signatures .*\(changing: scale\).*"
                                            r"np.asarray\(value, np.float32\)") as caught:
        for i in range(KEPT + 8):
            assert step(X, 0.5 ** i).item() == 0.0
    assert len(caught) == 1 and len(step.programs) == KEPT
    assert list(step.programs)[-1][1] == 0.5 ** (KEPT + 7)  # (the oldest went first)
    for i in range(20):  # the fix: one program takes every value
        step(X, np.asarray(0.5 ** i, np.float32))
    assert sum(signature[1] == ((), np.float32) for signature in step.programs) == 1


def test_backward_on_a_replayed_result_says_the_step_must_hold_it(w):
    """A compiled loss with backward() outside: the traced call's result has a graph, a
    replay's has none, and the error said only that nothing required grad."""
    step = dc.jit(lambda x: (x @ w).sum())
    step(X).backward()
    with pytest.raises(RuntimeError, match=r"a compiled step's result after its first call "
                                           r"has no graph either: call backward\(\) and step"):
        step(X).backward()


class _Trainer:
    """A custom trainer keeping its compiled step, as a bound method of itself."""

    def __init__(self):
        self.model = dc.nn.Dense(1, input_dim=2)
        self.model.build((None, 2))
        self.step = dc.jit(self.train_step)
        self.optimizer = dc.optim.SGD(self.model.parameters(), lr=0.1)

    def train_step(self, x):
        return squares_step(self.model, self.optimizer)(x)


def test_a_deep_copy_of_a_compiled_step_traces_for_the_copy():
    """A program reads and writes the arrays it was traced on: the copy's step replayed
    the original's, training the original."""
    trainer = _Trainer()
    trainer.step(X)
    twin = copy.deepcopy(trainer)
    before = trainer.model.kernel.numpy().copy()
    twin.step(X)
    twin.step(X)
    assert np.array_equal(trainer.model.kernel.numpy(), before)
    assert not np.array_equal(twin.model.kernel.numpy(), before)
    assert twin.step.fn.__self__ is twin and len(trainer.step.programs) == 1
