"""The MLP-step benchmark computes the same thing three ways (checked here, never timed here).

At a tiny size, descend, hand-written NumPy and PyTorch must give the same loss and the same
updated weights after one and two SGD steps, starting from the same problem; and the results
section must say whether the issue's target was met.
"""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import load

TINY = (7, 5, 4, 3)


@pytest.fixture(scope="module")
def mlp_step():
    return load("mlp_step")


@pytest.fixture(scope="module")
def problem(mlp_step):
    # 9 rows and 3 classes: labels repeat, so the gather's backward must add, not overwrite.
    return mlp_step.make_problem(9, TINY, seed=3)


def implementation_names(mlp_step):
    try:
        import torch  # noqa: F401
    except ImportError:
        return ["NumPy", "descend"]
    return list(mlp_step.IMPLEMENTATIONS)


def test_the_problem_has_the_requested_shapes_and_dtypes(mlp_step, problem):
    assert [k.shape for k in problem.kernels] == [(7, 5), (5, 4), (4, 3)]
    assert [b.shape for b in problem.biases] == [(5,), (4,), (3,)]
    assert problem.x.shape == (9, 7) and problem.x.dtype == np.float32
    assert problem.labels.shape == (9,) and set(problem.labels) <= {0, 1, 2}
    assert len(set(problem.labels.tolist())) < len(problem.labels)
    assert all(a.dtype == np.float32 for a in problem.parameters())


def test_the_loss_is_softmax_cross_entropy(mlp_step, problem):
    h = problem.x
    for k, b in zip(problem.kernels[:-1], problem.biases[:-1]):
        h = np.maximum(h.astype(np.float64) @ k + b, 0)
    z = h @ problem.kernels[-1] + problem.biases[-1]
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(9), problem.labels].mean()
    loss = float(mlp_step.NumpyMLP(problem).step())
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("steps", [1, 2])
def test_all_implementations_agree_on_loss_and_updated_weights(mlp_step, problem, steps):
    lr = 0.5  # large, so that a missing or wrong update shows
    models = {name: mlp_step.IMPLEMENTATIONS[name](problem, lr=lr)
              for name in implementation_names(mlp_step)}
    losses = {name: [float(model.step()) for _ in range(steps)] for name, model in models.items()}
    reference = models["NumPy"].weights()
    for name, model in models.items():
        np.testing.assert_allclose(losses[name], losses["NumPy"], rtol=1e-5, err_msg=name)
        weights = model.weights()
        assert [w.shape for w in weights] == [w.shape for w in reference], name
        for i, (w, r) in enumerate(zip(weights, reference)):
            np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}: parameter {i} after {steps} step(s)")
    moved = [np.abs(w - p).max() for w, p in zip(reference, problem.parameters())]
    assert min(moved) > 1e-4, "every parameter must change in a step"


def test_implementations_do_not_share_or_modify_the_problem(mlp_step, problem):
    before = [a.copy() for a in problem.parameters()]
    first = {name: float(mlp_step.IMPLEMENTATIONS[name](problem).step())
             for name in implementation_names(mlp_step)}
    for a, b in zip(problem.parameters(), before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(list(first.values()), first["NumPy"], rtol=1e-5)


def fake_run(mlp_step, ratio_128):
    entry = {"median_s": 1e-3, "iqr_s": 1e-5, "ratio": 1.0, "ratio_lo": 0.9, "ratio_hi": 1.1,
             "inner": 10}
    batches = {}
    for b in mlp_step.BATCHES:
        r = ratio_128 if b == 128 else 1.2
        batches[str(b)] = {"NumPy": entry,
                           "descend": {**entry, "ratio": r, "ratio_lo": r - 0.1,
                                       "ratio_hi": r + 0.1}}
    others = {str(b): 0.25 for b in mlp_step.BATCHES} | {"1": None}
    return {"batches": batches, "others": others, "threads": {"blas (openblas)": "1"},
            "rounds": 25,
            "machine": {"cpu": "test cpu"}}


def test_a_run_without_the_target_batches_does_not_claim_the_target(mlp_step):
    run = fake_run(mlp_step, 1.0)
    del run["batches"]["128"]
    line = mlp_step.target_line(run, 1)
    assert "**incomplete, batch 128 not measured**" in line and "1.20× at batch 1024" in line


@pytest.mark.parametrize(("ratio", "verdict"), [(1.4, "**met**"), (1.6, "**not met**")])
def test_the_results_section_reports_the_target(mlp_step, ratio, verdict):
    markdown = mlp_step.results_markdown({1: fake_run(mlp_step, ratio)}, note="a busy machine")
    assert verdict in markdown
    assert f"{ratio:.2f}× at batch 128" in markdown
    assert "*a busy machine*" in markdown and "cpu test cpu" in markdown
    assert "| 1024 | 1 ms | 1 ms | 1.20× (1.10–1.30) | 25% |" in markdown
    assert "| 1 | 1 ms | 1 ms | 1.20× (1.10–1.30) | ? |" in markdown
    assert "blas (openblas) = 1" in markdown
