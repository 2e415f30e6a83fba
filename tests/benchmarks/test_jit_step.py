"""The compiled-step benchmark: its compiled variants give eager's weights bit for bit, and its
figures become issue 19's targets in the suite's summary."""

from __future__ import annotations

import numpy as np
from bench_support import entry, load

jit_step = load("jit_step")
mlp_step = load("mlp_step")
run = load("run")


def test_the_compiled_and_plain_op_mlps_take_eager_steps_bit_for_bit():
    problem = mlp_step.make_problem(6, (8, 5, 5, 3))
    jit_step.check_bit_for_bit(lambda: mlp_step.DescendMLP(problem),
                               lambda: jit_step.Jitted(mlp_step.DescendMLP(problem),
                                                       ("x", "labels")))
    jit_step.check_bit_for_bit(lambda: jit_step.PlainMLP(problem),
                               lambda: jit_step.Jitted(jit_step.PlainMLP(problem),
                                                       ("x", "onehot")))
    fused, plain = mlp_step.DescendMLP(problem), jit_step.PlainMLP(problem)
    np.testing.assert_allclose(plain.loss().item(), fused.loss().item(), rtol=1e-6)


def test_the_fit_row_compares_like_with_like():
    """fit(jit_compile=True) and the bare loop of the compiled step train bit for bit alike."""
    bench = jit_step.fit_overhead
    workload = bench.workloads()["boston-linear"]
    workload.epochs = 2
    loop_model, fit_model = workload.make_model(), workload.make_model()
    workload.make_model = lambda: loop_model
    bench.jit_loop(workload)()
    workload.make_model = lambda: fit_model
    bench.fit(workload, jit_compile=True)()
    assert fit_model.compiled.jit_compile is True
    for ours, theirs in zip(fit_model.get_weights(), loop_model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def _fake(ratio: float) -> dict:
    def row(**results):
        return {"results": results, "others": 0.0}

    paired = {"jit plain ops/descend jit": entry(ratio=1.0)}
    mlp = {f"MLP batch {b}": {**row(NumPy=entry(), descend=entry(ratio=1.3),
                                    **{"descend jit": entry(ratio=ratio),
                                       "jit plain ops": entry(ratio=ratio)}), "paired": paired}
           for b in (1, 32, 128, 1024)}
    sigmoid = {**row(NumPy=entry(), descend=entry(ratio=12.0), torch=entry(ratio=20.0),
                     **{"descend jit": entry(ratio=4.0)}),
               "paired": {"descend jit/torch": entry(ratio=0.2), "descend/torch": entry(0.6)}}
    models = row(NumPy=entry(), descend=entry(ratio=1.2), **{"descend jit": entry(ratio=ratio)})
    fit = row(**{"jit loop": entry(), "fit jit": entry(ratio=ratio)})
    return {"mlp": mlp, "sigmoid": {"GD step": sigmoid}, "boston": {"333 rows": models},
            "cnn": {"batch 64": models}, "fit": {"Boston linear, batch 32": fit},
            "threads": {"blas (openblas)": "1"}, "machine": {"cpu": "test cpu"}}


def test_issue_19s_targets_are_counted_apart_in_the_summary():
    targets = jit_step.targets({1: _fake(1.01)})
    assert len(targets) == 10 and all(t.issue == 19 for t in targets)
    verdicts = {t.workload: t.met() for t in targets}
    assert verdicts["compiled MLP step, batch 1024"] and verdicts["compiled MLP step, batch 32"]
    missed = {t.workload for t in jit_step.targets({1: _fake(1.06)}) if not t.met()}
    assert {f"compiled MLP step, batch {b}" for b in (1024, 128, 32)} <= missed
    assert "compiled MLP step, batch 1" not in missed           # ≤ 1.10× the np.dot step
    raw = {"compiled_step": {"measured": "now", "runs": {1: _fake(1.01)}, "errors": {}}}
    rows, counts = run.summary_rows(raw, {"compiled_step"})
    assert (counts.compiled_met, counts.compiled_measured, counts.measured) == (10, 10, 0)
    assert "Issue 19's targets for the compiled step (`dc.jit`): 10 of 10 met." in \
        counts.headline()
    assert all("issue 19's target for the compiled step" in r[-1] for r in rows)
    assert "| small CNN | NumPy |" in jit_step.table(_fake(1.01))
