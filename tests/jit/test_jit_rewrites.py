"""The compiled step's rewrites (``compiler/rewrite.py``, ``compiler/buffers.py``): each one
shows in the printed program and gives the eager step's bits (compared as bytes, so -0.0 and
0.0 differ), step after step."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend as dc


def _bits(arrays):
    return [np.asarray(a).tobytes() for a in arrays]


def _params(seed, *shapes, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [dc.tensor((rng.standard_normal(s) * 0.5).astype(dtype), requires_grad=True,
                      name=f"w{i}") for i, s in enumerate(shapes)]


def _compare(make, arguments, steps=4):
    """Run ``make()``'s step eagerly and compiled on twin parameters over ``arguments(i)``;
    assert equal bytes of results and parameters; return the compiled program's text."""
    (eager_params, eager), (params, step) = make(), make()
    compiled = dc.jit(step)
    for i in range(steps):
        args = arguments(i)
        assert _bits([eager(*args).data]) == _bits([compiled(*args).data])
        assert _bits([p.data for p in eager_params]) == _bits([p.data for p in params])
    return str(compiled.program(*arguments(0)))


def _batch(shape, seed=0):
    return lambda i: (np.random.default_rng(seed + i).standard_normal(shape).astype(np.float32),)


def _sgd_step(params, loss_of, lr=0.05, **options):
    optimizer = dc.optim.SGD(params, lr=lr, **options)

    def step(*args):
        optimizer.zero_grad()
        loss = loss_of(*args)
        loss.backward()
        optimizer.step()
        return loss
    return params, step


def test_a_plain_op_mlp_writes_into_its_temporaries_as_the_fused_linear_does():
    def make():
        w1, b1, w2, b2 = _params(0, (6, 16), (16,), (16, 3), (3,))
        return _sgd_step([w1, b1, w2, b2], lambda x, onehot: -(dc.log_softmax(
            (x @ w1 + b1).relu() @ w2 + b2, axis=-1) * onehot).sum(axis=-1).mean())

    def arguments(i):
        rng = np.random.default_rng(i)
        x = rng.standard_normal((12, 6)).astype(np.float32)
        return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, 12)]

    text = _compare(make, arguments)
    assert "t5 = np.add(t3, w1, out=t3)" in text       # x @ w1 + b1: the bias added in place
    assert "t6 = np.maximum(t5, 0, out=t5)" in text    # relu in place: its mask reads t6
    assert "t6 > 0" in text and "t5 > 0" not in text


def test_the_fused_linear_adds_its_bias_in_place():
    def make():
        w, b = _params(1, (5, 4), (4,))
        return _sgd_step([w, b], lambda x: dc.linear(x, w, b, activation="tanh").sum())

    text = _compare(make, _batch((7, 5)))
    assert "t3 = arg0 @ w0; t3 += w1; t3 = tanh_(t3)" in text


def test_an_input_read_again_is_not_written_into():
    def make():
        (w,) = _params(2, (4, 4))

        def loss(x):
            a = x @ w
            return (a * 2.0 + a.exp()).sum()
        return _sgd_step([w], loss)

    text = _compare(make, _batch((3, 4)))
    assert "t4 = t2 * 2.0" in text                     # t2 is read by the exp after it
    assert "np.exp(t2, out=t2)" in text                # ... which then writes into it


def test_arguments_parameters_and_results_keep_their_arrays():
    w = dc.tensor(np.ones(3, dtype=np.float32), requires_grad=True, name="w")
    step = dc.jit(lambda x: (x * 2.0, (x * w) * 3.0))
    x = np.arange(3, dtype=np.float32)
    first = step(x)
    second = step(x)
    assert np.array_equal(x, np.arange(3)) and np.array_equal(w.data, np.ones(3))
    assert first[0].data is not second[0].data and np.array_equal(first[1].data, [0, 3, 6])
    assert "np.multiply(t4, 3.0, out=t4)" in str(step.program(x))   # x * w is internal


def test_a_temporary_laid_out_otherwise_is_not_reused():
    """The negation of a transposed product is laid out as its input; writing ``t + u`` into
    it would give the sum that layout, and the reduction over it another order of additions."""
    def make():
        w, v = _params(3, (40, 40), (40, 40))

        def loss(x):
            t = -(x @ w).T
            return ((t + x @ v) ** 2).sum(axis=0).sum()
        return _sgd_step([w, v], loss)

    text = _compare(make, _batch((40, 40)))
    assert "t7 = np.add(t4, t6, out=t6)" in text      # into the input laid out as the sum


def test_numbers_are_made_once_and_the_backward_reads_weights_transposed_where_they_live():
    """The linear's input gradient ``g @ w2.T`` is one product of the weight's transposed
    view (``matmul``'s ``transpose_b``): no slot, no copy, nothing made once."""
    def make():
        w1, b1, w2, b2 = _params(4, (6, 8), (8,), (8, 3), (3,))
        return _sgd_step([w1, b1, w2, b2], lambda x: dc.linear(
            dc.linear(x, w1, b1, activation="relu"), w2, b2).mean())

    lines = _compare(make, _batch((5, 6))).splitlines()
    once = [line for line in lines if line.endswith("  # once")]
    assert len(once) == 2 and lines[1:3] == once and "broadcast_to(1.0" in once[0]
    assert "    g12 = g11 @ w2.T" in lines and "    g13 = t3.T @ g11" in lines


def test_a_reshape_that_copies_a_parameter_is_made_on_every_step():
    def make():
        (w,) = _params(5, (3, 4))
        return _sgd_step([w], lambda x: ((x @ w.T.reshape(2, 6)) ** 2).sum(), lr=0.01)

    text = _compare(make, _batch((5, 2)))
    assert "t2 = w0.T  # once" in text and "\n    t3 = t2.reshape(...)\n" in text


def _cross_entropy_step():
    """A linear model of 5 inputs and 4 classes trained by SGD on the sparse cross-entropy."""
    (w,) = _params(6, (5, 4))
    return _sgd_step([w], lambda x, y: dc.losses.sparse_categorical_crossentropy(
        y, x @ w, from_logits=True))


@pytest.mark.parametrize("label_shape", [(9,), (3, 4)])
def test_the_cross_entropy_gradient_subtracts_one_at_each_label(label_shape):
    make = _cross_entropy_step

    def arguments(i):
        rng = np.random.default_rng(i)
        labels = np.full(label_shape, 2) if i == 0 else rng.integers(0, 4, label_shape)
        return rng.standard_normal((*label_shape, 5)).astype(np.float32), labels

    text = _compare(make, arguments)
    assert "= .log_p  # labels=arg1" in text
    assert "= softmax_minus_one_hot(t3)  # labels=arg1, log_p=t5" in text


def test_sgd_updates_of_float32_and_float64_parameters_share_no_scratch():
    def make():
        (w32,) = _params(7, (4, 2))
        (w64,) = _params(7, (2, 3), dtype=np.float64)
        return _sgd_step([w32, w64], lambda x: (x @ w32 @ w64).sum(), lr=0.1)

    _compare(make, _batch((3, 4)))


def _update_then_zero_grad(returns_grad=False, set_to_none=True):
    def make():
        w, b = _params(9, (4, 3), (3,))
        optimizer = dc.optim.SGD([w, b], lr=0.1)

        def step(x):
            loss = ((x @ w + b) ** 2).mean()
            loss.backward()
            grad = w.grad
            optimizer.step()
            optimizer.zero_grad(set_to_none=set_to_none)
            return (loss, grad) if returns_grad else loss
        return [w, b], step
    return make


@pytest.mark.parametrize("returns_grad, set_to_none, lines",
                         [(False, True, ["g16 *= lr; w0 -= g16", "g15 *= lr; w1 -= g15"]),
                          (True, True, ["w0.grad += g16\n    g16 = w0.grad",
                                        "w0 = sgd_update(w0.grad, state, w0)"]),
                          (False, False, ["w0.grad += g16; w0 = sgd_update(w0.grad, state, w0)",
                                          "w1.grad += g15; w1 = sgd_update(w1.grad, state, w1)"])])
def test_an_update_before_zero_grad_scales_the_gradient_in_place(returns_grad, set_to_none,
                                                                 lines):
    """``step(); zero_grad()``: no one sees the gradient again, so ``.grad`` is never set and
    the update writes ``grad * lr`` into it, unless the step returns it (``w0``'s here: it is
    read back from ``.grad``, which a replay may find set and add into, and the updates are
    not fused) or zero_grad keeps the arrays (the gradients are then handed to ``.grad``
    first)."""
    (eager_params, eager), (params, step) = (_update_then_zero_grad(returns_grad, set_to_none)(),
                                             _update_then_zero_grad(returns_grad, set_to_none)())
    compiled = dc.jit(step)
    for i in range(4):
        x = _batch((5, 4))(i)[0]
        want, got = eager(x), compiled(x)
        if returns_grad:
            assert _bits([want[1].data]) == _bits([got[1].data])
        assert _bits([p.data for p in eager_params]) == _bits([p.data for p in params])
        if not set_to_none:
            assert _bits([p.grad.data for p in eager_params]) == _bits([p.grad.data
                                                                       for p in params])
    text = str(compiled.program(x))
    assert all(f"\n    {line}\n" in text for line in lines)
    assert (".grad" in text) is (returns_grad or not set_to_none)


@pytest.mark.parametrize("order", ["zero_grad first", "zero_grad after"])
def test_a_call_holding_a_tensor_after_the_update_is_told_from_zero_grad(order):
    """A recorded call given a Tensor (a layer frozen for the step, ``w.requires_grad_(...)``)
    next to the update: telling it from ``zero_grad(set_to_none=True)`` compared its
    arguments with ``==``, which gives a Tensor, and the trace died on its truth value."""
    def make():
        params = _params(5, (4, 3), (3,))
        optimizer = dc.optim.SGD(params, lr=0.05)

        def step(x):
            if order == "zero_grad first":
                optimizer.zero_grad()
            params[0].requires_grad_(False)
            loss = ((x @ params[0] + params[1]) ** 2).mean()
            loss.backward()
            optimizer.step()
            params[0].requires_grad_(True)
            if order == "zero_grad after":
                optimizer.zero_grad()
            return loss
        return params, step

    _compare(make, _batch((5, 4)))


def test_a_gradient_made_once_is_not_scaled_in_place():
    """The bias gradient of ``(x @ w + b).sum()`` does not depend on the batch: the program
    makes it once, so the update must not write ``grad * lr`` into it."""
    def make():
        w, b = _params(11, (3, 2), (2,))
        optimizer = dc.optim.SGD([w, b], lr=0.1)

        def step(x):
            loss = (x @ w + b).sum()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            return loss
        return [w, b], step

    text = _compare(make, _batch((4, 3)), steps=5)
    assert "  # once" in text.split("w1 = sgd_update(")[0] and "*= lr; w0 -=" in text


def test_parameters_given_one_gradient_array_update_alike():
    """``(a + b).sum()`` gives ``a`` and ``b`` the same gradient array: eager's ``.grad`` of
    ``b`` is a copy; the compiled update scales neither in place."""
    def make():
        a, b, c = _params(12, (4, 3), (4, 3), (3,))
        optimizer = dc.optim.SGD([a, b, c], lr=0.1)

        def step(x):
            loss = ((a + b) * x + c).sum()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            return loss
        return [a, b, c], step

    text = _compare(make, _batch((4, 3)))
    assert "w0 = sgd_update(" in text


UPDATE_GROUPS = {
    "SGD": lambda p: dc.optim.SGD(p, lr=0.1),
    "SGD-momentum": lambda p: dc.optim.SGD(p, lr=0.1, momentum=0.9),
    "SGD-two-groups": lambda p: dc.optim.SGD([{"params": p[:1], "lr": 0.01},
                                              {"params": p[1:], "weight_decay": 0.1}], lr=0.1),
    "Adam": lambda p: dc.optim.Adam(p, lr=0.01),
    "RMSprop": lambda p: dc.optim.RMSprop(p, lr=0.01, momentum=0.5),
}


def _fused(optimizer_of, zero_grad_first):
    def make():
        w, b, s = _params(13, (4, 3), (3,), ())    # s: a 0-d parameter
        optimizer = optimizer_of([w, b, s])

        def step(x):
            if zero_grad_first:
                optimizer.zero_grad()
            loss = ((x @ w + b) * s).relu().mean()
            loss.backward()
            optimizer.step()
            if not zero_grad_first:
                optimizer.zero_grad()
            return loss
        return [w, b, s], optimizer, step
    return make


@pytest.mark.parametrize("zero_grad_first", [False, True])
@pytest.mark.parametrize("name", sorted(UPDATE_GROUPS))
def test_one_instruction_updates_every_parameter(name, zero_grad_first):
    """The accumulations and updates of one ``optimizer.step()`` are one instruction, for
    any optimizer, parameter groups and a 0-d parameter: the same weights, optimizer state
    and (``zero_grad()`` first) ``.grad`` as eager, step after step, also after a
    new state dict (as ``load_state_dict`` makes) and a change of hyperparameters."""
    (eager_params, eager_opt, eager), (params, optimizer, step) = (
        _fused(UPDATE_GROUPS[name], zero_grad_first)(),
        _fused(UPDATE_GROUPS[name], zero_grad_first)())
    compiled = dc.jit(step)
    for i in range(6):
        if i == 3:
            for opt in (eager_opt, optimizer):   # as load_state_dict, which a 0-d one fails
                opt.state = copy.deepcopy(opt.state)
        if i == 4:
            for opt in (eager_opt, optimizer):
                opt.param_groups[0]["lr"] *= 0.5
        x = _batch((5, 4))(i)[0]
        assert _bits([eager(x).data]) == _bits([compiled(x).data])
        assert _bits([p.data for p in eager_params]) == _bits([p.data for p in params])
        grads = [[p.grad for p in ps] for ps in (eager_params, params)]
        assert [g is None for g in grads[0]] == [g is None for g in grads[1]]
        assert _bits([g.data for g in grads[0] if g is not None]) == _bits(
            [g.data for g in grads[1] if g is not None])
        want, got = eager_opt.state_dict()["state"], optimizer.state_dict()["state"]
        assert want.keys() == got.keys() and all(
            _bits(want[k].values()) == _bits(got[k].values()) for k in want)
    lines = str(compiled.program(x)).splitlines()
    rule = optimizer.rule.update.__name__
    if zero_grad_first:     # each .grad += and its update on one line
        assert [line for line in lines if ".grad" in line] == [
            f"    w{i}.grad += g{slot}; w{i} = {rule}(w{i}.grad, state, w{i})"
            for i, slot in zip(range(3), _gradient_names(lines))]
    else:                   # .grad never set; plain SGD scales the gradient in place
        assert not any(".grad" in line for line in lines)
        plain = name in ("SGD", "SGD-two-groups")     # w0's group: no momentum, decay
        update = "*= lr; w0 -= g" if plain else f"w0 = {rule}(g"
        assert sum(update in line for line in lines) == 1
        assert (name == "SGD") == any("*= lr; w1 -= g" in line for line in lines)


def _gradient_names(lines):
    """The slot numbers of the gradients the printed updates read, in order."""
    return [line.split(".grad += g")[1].split(";")[0] for line in lines if ".grad += g" in line]


def test_a_gradient_set_before_a_dropping_replay_is_added_to_as_in_eager():
    """``.grad`` set between steps (the update then follows the sum, as eager's): the fused
    updates run the instructions they replaced."""
    (eager_params, _, eager), (params, _, step) = (
        _fused(UPDATE_GROUPS["SGD"], False)(), _fused(UPDATE_GROUPS["SGD"], False)())
    compiled = dc.jit(step)
    for i in range(4):
        if i == 2:
            for ps in (eager_params, params):
                ps[0].grad = dc.tensor(np.full((4, 3), 0.25, dtype=np.float32))
        x = _batch((5, 4))(i)[0]
        assert _bits([eager(x).data]) == _bits([compiled(x).data])
        assert _bits([p.data for p in eager_params]) == _bits([p.data for p in params])


@pytest.mark.parametrize("accumulate", [False, True])
def test_a_float64_grad_on_a_float32_parameter_updates_as_in_eager(accumulate):
    """A float64 ``.grad`` given to a float32 weight between replays and kept (no
    ``zero_grad``): the update takes ``g * lr`` in float64 with the rate in float32, as
    ``sgd_update`` does; in a step of one backward pass (its updates fused) and of two
    (``SgdUpdate``)."""
    def make():
        w, b = _params(9, (4, 3), (3,))
        optimizer = dc.optim.SGD([w, b], lr=0.05)

        def step(x):
            loss = (x @ w + b).tanh().sum()
            loss.backward()
            if accumulate:
                (x @ w).sum().backward()
            optimizer.step()
            return loss
        return [w, b], step

    (eager_params, eager), (params, step) = make(), make()
    compiled = dc.jit(step)
    for i in range(4):
        if i == 2:
            for w in (eager_params[0], params[0]):
                w.grad = dc.Tensor._wrap(np.linspace(-1, 1, 12).reshape(4, 3))
        x = _batch((5, 4))(i)[0]
        assert _bits([eager(x).data]) == _bits([compiled(x).data])
        assert _bits([p.data for p in eager_params]) == _bits([p.data for p in params])
    assert params[0].grad.dtype == np.float64 and params[0].data.dtype == np.float32


UNARY = [lambda t: -t, lambda t: t.relu(), lambda t: t.tanh(), lambda t: t.tanh().exp(),
         lambda t: t.sigmoid(), lambda t: t.T.T, lambda t: -t.reshape(24, 16).T,
         lambda t: (t * 0.5).reshape(24, 16).reshape(16, 24)]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b.tanh(),
          lambda a, b: a / (b * b + 1.0)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 7), st.integers(0, 99),
                          st.integers(0, 99)), min_size=1, max_size=12))
def test_random_elementwise_steps_give_eager_bits(ops):
    """Chains of elementwise ops and views whose temporaries are read again or not, laid out
    in either order: the buffer reuse never changes a bit of the losses or weights."""
    def make():
        w, v, b = _params(10, (16, 24), (16, 24), (24,))

        def loss(x):
            pool = [w * 0.0 + x, w, v, x @ v.T @ w + b]
            for binary, kind, i, j in ops:
                a, c = pool[i % len(pool)], pool[j % len(pool)]
                pool.append(BINARY[kind % 4](a, c) if binary else UNARY[kind](a))
            return sum(((t - 0.1) ** 2).sum(axis=0).mean() for t in pool[-2:])
        return _sgd_step([w, v, b], loss, lr=0.01)

    _compare(make, _batch((16, 24)), steps=3)


@pytest.mark.parametrize("batch", [1, 5])
def test_a_transpose_read_by_one_product_is_taken_into_it(batch):
    """The weight gradients ``h.T @ g`` are one instruction each (at batch 1 an outer
    product, which the product computes with ``np.dot``), and so is an ``h.T @ x`` the step
    writes; a transpose read twice keeps its slot."""
    def make():
        w1, b1, w2 = _params(14, (6, 8), (8,), (8, 3))

        def loss(x):
            h = dc.linear(x, w1, b1, activation="relu")
            t = h.T
            return (h @ w2).sum() + (t * t).mean() + (h.T @ x).tanh().sum()
        return _sgd_step([w1, b1, w2], loss)

    text = _compare(make, _batch((batch, 6)))
    assert "= arg0.T @ g" in text and "= t3.T @ g" in text and "\n    t4 = t3.T\n" in text
    assert "\n    t12 = t3.T @ arg0\n" in text and text.count("= t3.T\n") == 1


def test_only_a_transpose_of_the_last_two_axes_becomes_a_products_flag():
    """In a batch of matrices, ``h.transpose(0, 2, 1) @ x`` is a product taking ``h``
    transposed (no slot for the view); ``h.T`` reverses all three axes: its own instruction."""
    def make():
        w, u = _params(16, (4, 5), (2, 6))

        def loss(x):
            h = (x @ w).tanh()
            return (h.transpose(0, 2, 1) @ x).tanh().sum() + ((h.T @ u) ** 2).sum()
        return _sgd_step([w, u], loss, lr=0.01)

    text = _compare(make, _batch((2, 3, 4)))
    assert "\n    t5 = t3.T @ arg0\n" in text and "\n    t8 = t3.T\n" in text


@pytest.mark.parametrize("zero_grad_first", [False, True])
def test_two_optimizers_stepping_one_after_the_other(zero_grad_first):
    """The first optimizer's updates are fused (their ``.grad`` kept: the second step's
    instructions come between them and ``zero_grad``); the second's stay as they were."""
    def make():
        w, b, v = _params(15, (4, 3), (3,), (3, 2))
        first, second = dc.optim.SGD([w, b], lr=0.1), dc.optim.Adam([v], lr=0.01)

        def step(x):
            if zero_grad_first:
                first.zero_grad()
                second.zero_grad()
            loss = ((x @ w + b).tanh() @ v).sum()
            loss.backward()
            first.step()
            second.step()
            if not zero_grad_first:
                first.zero_grad()
                second.zero_grad()
            return loss
        return [w, b, v], step

    text = _compare(make, _batch((5, 4)), steps=5)
    assert "w0.grad += g" in text and "; w0 = sgd_update(w0.grad, state, w0)" in text
    assert "\n    w2.grad += g" in text and "\n    w2 = adam_update(w2.grad, state, w2)" in text


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_int64_labels_are_checked_for_their_range_only(dtype):
    """The signature fixes the labels' dtype and shape; with ``int64`` labels of the batch's
    shape a replay checks only their range, and a label outside it raises eager's error."""
    def arguments(i):
        rng = np.random.default_rng(i)
        return rng.standard_normal((6, 5)).astype(np.float32), rng.integers(0, 4, 6, dtype)

    _compare(_cross_entropy_step, arguments)
    (_, eager), (_, step) = _cross_entropy_step(), _cross_entropy_step()
    compiled = dc.jit(step)
    x, labels = arguments(0)
    compiled(x, labels)
    quick = [type(i).__name__ for i in compiled.program(x, labels).code].count("LabelRangeCheck")
    assert quick == (dtype == np.int64)
    for bad in (4, -1):
        labels[2] = bad
        with pytest.raises(ValueError) as eager_error:
            eager(x, labels)
        with pytest.raises(ValueError, match=re.escape(str(eager_error.value))):
            compiled(x, labels)
