"""A compiled step gives bit-for-bit the eager step's losses and weights, step after step."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.autograd.function import Function
from descend.compiler.trace import TraceError
from jitcheck import batches, make_step, run, same, twins

SPARSE_CE = dc.losses.SparseCategoricalCrossentropy(from_logits=True)


def _mlp():
    model = dc.Sequential([dc.nn.Dense(16, activation="relu", input_dim=8), dc.nn.Dense(4)])
    return model, dc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _cnn():
    model = dc.Sequential([
        dc.nn.Conv2D(4, 3, activation="relu", input_shape=(2, 8, 8)),
        dc.nn.MaxPool2D(2), dc.nn.Flatten(), dc.nn.Dense(3)])
    return model, dc.optim.Adam(model.parameters(), lr=0.01)


def _cnn_avg_pool():
    model = dc.Sequential([
        dc.nn.Conv2D(3, 3, padding="same", input_shape=(2, 8, 8)), dc.nn.BatchNorm(),
        dc.nn.Activation("tanh"), dc.nn.AvgPool2D(2), dc.nn.Conv2D(4, 2, strides=2),
        dc.nn.GlobalAvgPool2D(), dc.nn.Dense(3)])
    return model, dc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _batchnorm_dropout():
    model = dc.Sequential([
        dc.nn.Dense(16, input_dim=8), dc.nn.BatchNorm(), dc.nn.Activation("relu"),
        dc.nn.Dropout(0.3), dc.nn.Dense(4)])
    return model, dc.optim.RMSprop(model.parameters(), lr=0.01)


class PlainMLP(dc.nn.Module):
    """An MLP in plain ops: ``x @ W + b``, ``.relu()``, ``log_softmax``."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = dc.nn.Parameter(dc.randn(8, 16).numpy() * 0.3)
        self.b1 = dc.nn.Parameter(np.zeros(16))
        self.w2 = dc.nn.Parameter(dc.randn(16, 4).numpy() * 0.3)

    def forward(self, x):
        return dc.log_softmax((x @ self.w1 + self.b1).relu() @ self.w2, axis=-1)


def _plain():
    model = PlainMLP()
    return model, dc.optim.SGD(model.parameters(), lr=0.1)


def _nll(y, log_probs):
    return -(log_probs * dc.tensor(np.eye(4, dtype=np.float32)[y.numpy()])).sum() / len(y)


MODELS = {
    "mlp": (_mlp, (8,), 4, SPARSE_CE),
    "cnn": (_cnn, (2, 8, 8), 3, SPARSE_CE),
    "cnn_avg_pool": (_cnn_avg_pool, (2, 8, 8), 3, SPARSE_CE),
    "batchnorm_dropout": (_batchnorm_dropout, (8,), 4, SPARSE_CE),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_compiled_step_gives_the_eager_weights(name):
    build, x_shape, classes, loss = MODELS[name]
    data = batches(x_shape, classes, [6, 6, 6, 6, 6])
    eager_model, eager_step, model, step = twins(build, loss)
    eager = run(eager_model, eager_step, data)
    compiled = run(model, dc.jit(step), data)
    assert same(eager[0], compiled[0]) and same(eager[1], compiled[1])


def test_replays_draw_fresh_dropout_masks():
    """The mask is an op: each replay draws a new one, in eager's order, not the traced one."""
    x = np.ones((4, 8), dtype=np.float32)
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dropout(0.5, input_shape=(8,))])
    dc.seed(3)
    eager = [model(dc.tensor(x)).numpy() for _ in range(3)]
    dc.seed(3)
    compiled = dc.jit(lambda x: model(x))
    replayed = [compiled(x).numpy() for _ in range(3)]
    assert same(eager, replayed) and not np.array_equal(replayed[1], replayed[2])


def test_a_plain_op_model_compiles_too():
    data = batches((8,), 4, [5, 5, 5])
    eager_model, eager_step, model, step = twins(_plain, lambda y, p: -p.mean())
    assert same(run(eager_model, eager_step, data)[1], run(model, dc.jit(step), data)[1])


OPTIMIZERS = {
    "SGD": lambda p: dc.optim.SGD(p, lr=0.1),
    "SGD-nesterov": lambda p: dc.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                           weight_decay=0.01),
    "Adagrad": lambda p: dc.optim.Adagrad(p, lr=0.1),
    "RMSprop": lambda p: dc.optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "Adadelta": lambda p: dc.optim.Adadelta(p),
    "Adam": lambda p: dc.optim.Adam(p, lr=0.01, amsgrad=True),
    "AdamW": lambda p: dc.optim.AdamW(p, lr=0.01),
    "Nadam": lambda p: dc.optim.Nadam(p, lr=0.01),
    "Adamax": lambda p: dc.optim.Adamax(p, lr=0.01),
    "RAdam": lambda p: dc.optim.RAdam(p, lr=0.01),
    "Lion": lambda p: dc.optim.Lion(p, lr=0.001),
}


def test_the_optimizer_list_is_complete():
    every = {o.__name__ for o in vars(dc.optim).values()
             if isinstance(o, type) and issubclass(o, dc.optim.Optimizer)} - {"Optimizer"}
    assert every - {"NAdam"} <= {name.split("-")[0] for name in OPTIMIZERS}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_compiles_bit_for_bit(name):
    def build():
        model = dc.Sequential([dc.nn.Dense(6, activation="tanh", input_dim=5), dc.nn.Dense(3)])
        return model, OPTIMIZERS[name](model.parameters())

    data = batches((5,), 3, [4, 4, 4, 4])
    eager_model, eager_step, model, step = twins(build, SPARSE_CE)
    assert same(run(eager_model, eager_step, data)[1], run(model, dc.jit(step), data)[1])


def test_a_new_batch_size_retraces():
    data = batches((8,), 4, [6, 6, 3, 3, 6])
    eager_model, eager_step, model, step = twins(_mlp, SPARSE_CE)
    compiled = dc.jit(step)
    assert same(run(eager_model, eager_step, data)[1], run(model, compiled, data)[1])
    assert len(compiled.programs) == 2


def test_a_parameter_given_a_new_array_retraces():
    """A program reads parameters where they live; replacing one's array makes it stale."""
    data = batches((8,), 4, [6, 6, 6])
    eager_model, eager_step, model, step = twins(_mlp, SPARSE_CE)
    compiled = dc.jit(step)
    for m, s in ((eager_model, eager_step), (model, compiled)):
        s(*data[0])
        first = m.parameters()[0]
        first.data = first.data.copy()
        s(*data[1])
        s(*data[2])
    assert same([p.data for p in eager_model.parameters()], [p.data for p in model.parameters()])


def test_gradients_kept_between_steps_accumulate_as_in_eager():
    """zero_grad(set_to_none=False) keeps .grad arrays: replays add into them as eager does."""

    def build():
        model, _ = _mlp()
        return model, dc.optim.Adam(model.parameters(), lr=0.01)

    data = batches((8,), 4, [6, 6, 6, 6])
    results = []
    for compile_it in (False, True):
        dc.seed(0)
        model, optimizer = build()

        def step(x, y, model=model, optimizer=optimizer):
            optimizer.zero_grad(set_to_none=False)
            for half in (slice(0, 3), slice(3, 6)):   # two backward passes into one .grad
                loss = SPARSE_CE(y[half], model(x[half]))
                loss.backward()
            optimizer.step()
            return loss

        results.append(run(model, dc.jit(step) if compile_it else step, data)[1])
    assert same(*results)


def test_a_step_pre_hook_runs_on_every_replay():
    """A hook that changes the gradients before the update (data-parallel training sums them
    there) is replayed: without it the compiled weights would drift from eager's."""

    def build():
        model, _ = _mlp()
        optimizer = dc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def shrink(opt):
            for group in opt.param_groups:
                for p in group["params"]:
                    p.grad = p.grad * 0.5

        optimizer.register_step_pre_hook(shrink)
        return model, optimizer

    data = batches((8,), 4, [6, 6, 6, 6])
    eager_model, eager_step, model, step = twins(build, SPARSE_CE)
    compiled = dc.jit(step)
    _, model_weights = run(model, compiled, data)
    assert same(run(eager_model, eager_step, data)[1], model_weights)
    assert "shrink(optimizer)" in str(compiled.program(*map(dc.Tensor._wrap, data[0])))


def test_fit_with_jit_and_data_parallel_matches_eager():
    def trained(jit_compile):
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=3), dc.nn.Dense(1)])
        model.compile(dc.optim.Adam(lr=0.01), "mse", jit_compile=jit_compile)
        x = np.random.default_rng(0).normal(size=(24, 3)).astype(np.float32)
        model.fit(x, x.sum(axis=1), batch_size=8, epochs=2, verbose=0, seed=0,
                  distribute=dc.distributed.DataParallel())
        return [p.data for p in model.parameters()]

    assert same(trained(False), trained(True))


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_gradient_clipping_is_replayed(clip):
    def build():
        model, _ = _mlp()
        return model, dc.optim.SGD(model.parameters(), lr=0.5)

    def clipped_step(model, optimizer):
        def step(x, y):
            optimizer.zero_grad()
            loss = SPARSE_CE(y, model(x))
            loss.backward()
            params = model.parameters()  # a generator: consumed once, at the trace
            if clip == "norm":
                dc.optim.clip_grad_norm(params, 0.05)
            else:
                dc.optim.clip_grad_value(params, 0.01)
            optimizer.step()
            return loss
        return step

    data = batches((8,), 4, [6, 6, 6, 6])
    results = []
    for compile_it in (False, True):
        dc.seed(0)
        model, optimizer = build()
        step = clipped_step(model, optimizer)
        results.append(run(model, dc.jit(step) if compile_it else step, data)[1])
    assert same(*results)


def test_a_where_on_a_comparison_replays_on_each_batch():
    """A comparison is an instruction of its own, so a where's condition follows the values."""
    w = dc.tensor([[1.0], [-1.0]], requires_grad=True)

    def step(x):
        return dc.where(x @ w > 0, x @ w, 0.0).sum()

    compiled = dc.jit(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((5, 2)).astype(np.float32)
        assert np.array_equal(compiled(x).data, step(x).data)


def test_relu_and_one_hot_backwards_replay_flat():
    """relu's mask and the cross-entropy's one-hot are instructions: no backward is one unit."""
    w = dc.tensor(np.full((3, 4), 0.1, dtype=np.float32), requires_grad=True)
    b = dc.zeros(4, requires_grad=True)

    def step(x, y):
        h = dc.linear(x, w, b, activation="relu").relu()
        loss = dc.losses.sparse_categorical_crossentropy(y, h, from_logits=True)
        loss.backward()
        return loss

    text = str(dc.jit(step).program(np.ones((2, 3), dtype=np.float32), np.array([0, 3])))
    assert ".backward(" not in text
    assert "> 0" in text and "t7 = .log_p  # labels=y" in text  # the forward's log_softmax
    assert "softmax_minus_one_hot(t5)  # labels=y, log_p=t7" in text  # exp(log_p) - one-hot


def test_sgd_replays_follow_changes_to_its_group():
    """A replayed SGD update reads lr, momentum and weight decay live, as the eager step does."""

    def make():
        w = dc.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), requires_grad=True)
        b = dc.tensor(0.5, requires_grad=True)  # a 0-d parameter
        optimizer = dc.optim.SGD([w, b], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            loss = ((x @ w + b) ** 2).mean()
            loss.backward()
            optimizer.step()
            return loss
        return (w, b), optimizer, step

    (w1, opt1, eager), (w2, opt2, step) = make(), make()
    compiled = dc.jit(step)
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    changes = [{}, {}, {"lr": 0.05}, {"momentum": 0.9}, {"weight_decay": 0.01}, {}]
    for change in changes:
        for optimizer in (opt1, opt2):
            optimizer.param_groups[0].update(change)
        eager(x)
        compiled(x)
        assert all(np.array_equal(a.data, b.data) for a, b in zip(w1, w2))


def test_a_convolution_and_pooling_backward_replay_flat():
    """The forward's ``cols`` get a slot: the kernel gradient reads it there, no unit; max
    pooling's backward is one op reading its input and output, no unit either."""
    model, optimizer = _cnn()
    step = dc.jit(make_step(model, optimizer, SPARSE_CE))
    x, y = batches((2, 8, 8), 3, [4])[0]
    text = str(step.program(x, y))
    assert ".backward(" not in text and "max_pool2d_grad(g" in text
    assert "t5 = .cols" in text and "conv2d_kernel_grad(x, g" in text and "# cols=t5" in text


class _Clip(Function):
    """A user's op whose backward computes its mask with NumPy from the input's ``.data``."""

    def forward(self, x):
        return np.clip(x, -1.0, 1.0)

    def backward(self, gy):
        inside = np.abs(self.inputs[0].data) <= 1.0
        return gy * dc.tensor(inside.astype(gy.dtype))


class _ClippedMLP(dc.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.second = dc.nn.Dense(16, input_dim=8), dc.nn.Dense(4)

    def forward(self, x):
        return self.second(_Clip.apply(self.first(x)))


def test_an_op_whose_backward_reads_values_replays_as_one_unit():
    def build():
        model = _ClippedMLP()
        return model, dc.optim.SGD(model.parameters(), lr=0.5)

    data = batches((8,), 4, [6, 6, 6])
    eager_model, eager_step, model, step = twins(build, SPARSE_CE)
    eager = run(eager_model, eager_step, data)
    compiled = dc.jit(step)
    result = run(model, compiled, data)
    assert same(eager[0], result[0]) and same(eager[1], result[1])
    assert "_clip.backward(" in str(compiled.program(*data[0]))


@pytest.mark.parametrize("inner_traced", [False, True])
def test_a_compiled_step_called_inside_another_joins_its_program(inner_traced):
    """The inner step runs its function inside the outer one's trace (traced before or not):
    its ops are the outer program's, so a replay on other inputs computes them again."""
    w = dc.tensor(np.array([0.5, -1.0, 2.0], np.float32), requires_grad=True)
    optimizer = dc.optim.SGD([w], lr=0.1)

    @dc.jit
    def inner(x):
        optimizer.zero_grad()
        loss = ((x * w).sum() - 1.0) ** 2
        loss.backward()
        optimizer.step()
        return loss

    outer = dc.jit(lambda x: inner(x) * 2.0)
    x = np.array([1.0, 2.0, 3.0], np.float32)
    if inner_traced:
        inner(x)
    eager_w = dc.tensor(w.numpy().copy(), requires_grad=True)
    eager_optimizer = dc.optim.SGD([eager_w], lr=0.1)
    for scale in (1.0, 5.0, -2.0):
        eager_optimizer.zero_grad()
        loss = ((dc.Tensor._wrap(x * scale) * eager_w).sum() - 1.0) ** 2
        loss.backward()
        eager_optimizer.step()
        assert outer(x * scale).item() == (loss * 2.0).item()
        assert w.numpy().tobytes() == eager_w.numpy().tobytes()
    text = str(outer.program(x))
    assert "x * w" in text and "sgd" in text


def test_program_cannot_trace_a_step_inside_another_trace():
    inner = dc.jit(lambda x: x.sum())
    outer = dc.jit(lambda x: inner.program(x) and x * 2.0)
    with pytest.raises(TraceError, match="program\\(\\) cannot trace a step while another is"):
        outer(np.ones(2, np.float32))


def test_an_evaluation_step_reads_batchnorm_s_running_statistics_as_they_are_now():
    """In eval mode BatchNorm reads its running statistics (buffers made before the step,
    read where they live): a compiled evaluation step follows them as training moves them
    (it was refused: 'an array the step neither got nor computed')."""
    dc.seed(0)
    model, optimizer = _batchnorm_dropout()
    train = dc.jit(make_step(model, optimizer, SPARSE_CE), key=lambda: model.training)
    evaluate = dc.jit(lambda x: model(x), key=lambda: model.training)
    for x, y in batches((8,), 4, [6, 6, 6]):
        model.train()
        train(x, y)
        model.eval()
        assert np.array_equal(evaluate(x).numpy(), model(dc.tensor(x)).numpy())
    assert len(evaluate.programs) == 1


def test_a_model_built_by_its_first_compiled_call_keeps_its_running_statistics():
    """Layers without an input size build at the first call, here the trace: BatchNorm's
    running statistics, made then, are the model's, updated by every replay (it was refused
    as an in-place change of a constant of the step)."""
    results = []
    for compiled in (False, True):
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(6), dc.nn.BatchNorm(), dc.nn.Dense(4)])

        def step(x, y, model=model):
            return SPARSE_CE(y, model(x))

        step = dc.jit(step) if compiled else step
        losses, state = run(model, step, batches((8,), 4, [5, 5, 5]))
        results.append(losses + state)
    assert same(*results)
