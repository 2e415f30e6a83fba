"""``dc.detect_anomaly()`` and the compiled step: while anomaly mode is on, a compiled step runs
its function eagerly (no trace, no replay, its programs untouched), so a NaN or inf raises the
eager step's ``FloatingPointError`` naming the op; on good data nothing else changes."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from jitcheck import same, twins, weights

GOOD = (np.array([[1.0, 2.0], [0.5, 1.5]], np.float32), np.array([[2.0], [1.0]], np.float32))


def _linear():
    model = dc.nn.Dense(1, input_dim=2, kernel_initializer=dc.nn.initializers.Constant(0.1),
                        bias_initializer=dc.nn.initializers.Constant(0.5))
    return model, dc.optim.Adam(model.parameters(), lr=0.01)


def _log_loss(y, out):
    return (out * y).log().mean()      # NaN where y < 0: the forward value of 'log'


def _sqrt_loss(y, out):
    return (out * y).sqrt().mean()     # inf where y = 0: the gradient that 'sqrt' passes back


def _error(step, batch) -> str:
    with pytest.raises(FloatingPointError) as info, np.errstate(all="ignore"), \
            dc.detect_anomaly():
        step(*batch)
    return str(info.value)


@pytest.mark.parametrize("loss, bad, op", [
    (_log_loss, -1.0, "the forward value of 'log'"),
    (_sqrt_loss, 0.0, "the gradient that 'sqrt' passes back"),
])
def test_a_replay_under_anomaly_mode_raises_as_the_eager_step_does(loss, bad, op):
    eager_model, eager, model, step = twins(_linear, loss)
    step = dc.jit(step)
    for _ in range(2):   # traced, then replayed
        eager(*GOOD)
        step(*GOOD)
    assert step.ready(*GOOD)
    (program,) = step.programs.values()
    before = weights(model)
    assert same(weights(eager_model), before)
    x, y = GOOD[0], np.array([[2.0], [bad]], np.float32)
    message = _error(eager, (dc.tensor(x), dc.tensor(y)))
    assert message.startswith(f"anomaly: {op} is not finite (1 of 2 values")
    assert _error(step, (x, y)) == message       # the same op, made at the same line
    assert same(weights(model), before)        # no step taken
    assert step.programs == {next(iter(step.programs)): program}   # nothing traced anew
    with np.errstate(all="ignore"):              # outside anomaly mode: replayed, unchecked
        assert step(x, y).data.tobytes() == eager(x, y).data.tobytes()
    assert [w.tobytes() for w in weights(eager_model)] == [w.tobytes() for w in weights(model)]


def _batch(i: int, rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(i)
    return (rng.uniform(0.5, 2.0, (rows, 2)).astype(np.float32),
            rng.uniform(0.5, 2.0, (rows, 1)).astype(np.float32))


def test_under_anomaly_mode_a_compiled_step_gives_the_eager_results_bit_for_bit():
    eager_model, eager, model, step = twins(_linear, _log_loss)
    step = dc.jit(step)
    batches = [_batch(i, rows=3 if i == 3 else 2) for i in range(8)]
    results = [[], []]
    for i, batch in enumerate(batches):   # replays before, eager runs inside, replays after
        results[0].append(eager(*batch).data.copy())
        if 2 <= i < 5:
            with dc.detect_anomaly():
                results[1].append(step(*batch).data.copy())
        else:
            results[1].append(step(*batch).data.copy())
    assert same(results[0], results[1])
    assert same(weights(eager_model), weights(model))
    assert len(step.programs) == 1        # the batch of 3 rows, in anomaly mode, traced nothing
    with dc.detect_anomaly():             # an epoch's calls at once, eagerly too
        losses = step.run_each(batches[:3], lambda loss: loss.data.copy())
    assert same([eager(*batch).data.copy() for batch in batches[:3]], losses)
    assert same(weights(eager_model), weights(model))


def test_a_step_called_in_anomaly_mode_traces_nothing_and_replays_as_eagerly_after():
    eager_model, eager, model, step = twins(_linear, _log_loss)
    step = dc.jit(step)
    with dc.detect_anomaly():
        assert step(*GOOD).data.tobytes() == eager(*GOOD).data.tobytes()
        assert not step.programs and not step.ready(*GOOD)
        program = step.program(*GOOD)     # asked for: traced (and checked) in anomaly mode
        eager(*GOOD)
    assert step.ready(*GOOD)
    for batch in (_batch(0), _batch(1)):  # replayed outside it, as the eager step
        assert step(*batch).data.tobytes() == eager(*batch).data.tobytes()
    assert same(weights(eager_model), weights(model))
    _, _, _, traced_outside = twins(_linear, _log_loss)
    assert str(program) == str(dc.jit(traced_outside).program(*GOOD))   # no hook baked in
    x, y = GOOD[0], np.array([[2.0], [-1.0]], np.float32)
    with np.errstate(all="ignore"):       # and a replay outside anomaly mode does not check
        assert np.isnan(step(x, y).item())


def _fit_error(jit_compile: bool | str, metrics: list[str], x: np.ndarray,
               y: np.ndarray) -> tuple[str, dc.Sequential]:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(4, activation="tanh", input_dim=2), dc.nn.Dense(1)])
    model.compile(dc.optim.SGD(lr=0.05), "mse", metrics=metrics, jit_compile=jit_compile)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)  # traced on good data
    bad = y.copy()
    bad[5] = 3e38                         # in the second batch: its squared error overflows
    with pytest.raises(FloatingPointError) as info, np.errstate(all="ignore"), \
            dc.detect_anomaly():
        model.fit(x, bad, epochs=1, batch_size=4, verbose=0, shuffle=False)
    return str(info.value), model


@pytest.mark.parametrize("jit_compile, metrics", [(True, []), (True, ["mae"]), ("auto", [])],
                         ids=["an epoch at once", "batch by batch", "auto"])
def test_fit_with_jit_compile_under_detect_anomaly_raises_naming_the_op(jit_compile, metrics):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 2)).astype(np.float32)
    y = rng.standard_normal((12, 1)).astype(np.float32)
    message, eager_model = _fit_error(False, metrics, x, y)
    assert message.startswith("anomaly: the forward value of ")
    compiled_message, model = _fit_error(jit_compile, metrics, x, y)
    assert compiled_message == message
    assert same(eager_model.get_weights(), model.get_weights())   # the first batch's step


def test_auto_fit_in_anomaly_mode_trains_eagerly_and_chooses_afterwards(capsys):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 2)).astype(np.float32)
    y = rng.standard_normal((12, 1)).astype(np.float32)
    models = []
    for jit_compile in (False, "auto"):
        dc.seed(0)
        model = dc.Sequential([dc.nn.Dense(4, activation="tanh", input_dim=2), dc.nn.Dense(1)])
        model.compile(dc.optim.SGD(lr=0.05), "mse", jit_compile=jit_compile)
        with dc.detect_anomaly():
            model.fit(x, y, epochs=2, batch_size=4, verbose=2, shuffle=False)
        models.append(model)
    compiled = models[1].compiled
    assert compiled.jit_choice is None and "jit_compile" not in capsys.readouterr().out
    assert all(not step.programs for step in compiled.jit_steps.values())
    for model in models:                  # outside anomaly mode "auto" chooses, and traces
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert compiled.jit_choice == "compiled" and compiled.jit_steps["train"].programs
    assert same(models[0].get_weights(), models[1].get_weights())
