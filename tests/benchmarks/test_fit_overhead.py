"""The fit-overhead benchmark compares like with like (checked here, never timed here).

For every workload, fit and the bare loop must do exactly the same training: from the same
initial weights they reach bit-for-bit the same weights. And the results section must report
the target honestly.
"""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import load


@pytest.fixture(scope="module")
def bench():
    return load("fit_overhead")


@pytest.mark.parametrize("name", ["boston-linear", "boston-mlp", "mlp-784"])
def test_fit_and_the_bare_loop_train_identically(bench, name):
    workload = bench.workloads()[name]
    loop_model, fit_model = workload.make_model(), workload.make_model()
    initial = loop_model.get_weights()
    workload.make_model = lambda: loop_model
    bench.bare_loop(workload)()
    workload.make_model = lambda: fit_model
    history = bench.fit(workload)()
    assert len(history.history["loss"]) == workload.epochs
    for ours, theirs, start in zip(fit_model.get_weights(), loop_model.get_weights(), initial):
        np.testing.assert_array_equal(ours, theirs)
        assert not np.array_equal(ours, start)


def test_fit_setup_runs_no_epoch(bench):
    workload = bench.workloads()["boston-linear"]
    model = workload.make_model()
    before = model.get_weights()
    workload.make_model = lambda: model
    assert bench.fit(workload, epochs=0)().history == {}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_the_breakdown_splits_every_variant_in_three(bench):
    parts = bench.breakdown(rounds=1)
    assert list(parts) == ["loop", "fit", "loop jit", "fit jit"]
    assert all(times.shape == (3,) and np.isfinite(times).all() for times in parts.values())


def _fake_run(ratios: dict[str, float]) -> dict:
    entry = {"median_s": 1e-2, "iqr_s": 1e-4, "inner": 3}
    workloads = {name: {"loop": {**entry, "ratio": 1.0, "ratio_lo": 1.0, "ratio_hi": 1.0},
                        "fit": {**entry, "median_s": 1e-2 * r, "ratio": r, "ratio_lo": r - 0.01,
                                "ratio_hi": r + 0.01},
                        "fit setup": {**entry, "median_s": 2e-4}}
                 for name, r in ratios.items()}
    return {"workloads": workloads, "others": dict.fromkeys(ratios, 0.5), "rounds": 15,
            "threads": {"blas (openblas)": "1"}, "machine": {"cpu": "test cpu"}}


@pytest.mark.parametrize(("ratio", "verdict"), [(1.08, "**met**"), (1.12, "**not met**")])
def test_the_results_section_reports_the_target(bench, ratio, verdict):
    markdown = bench.results_markdown({1: _fake_run({"boston-linear": ratio,
                                                     "mlp-784": 1.02})}, note="busy")
    assert verdict in markdown
    assert f"{ratio - 1:+.1%} on boston-linear, +2.0% on mlp-784" in markdown
    assert ("| Boston linear 12→1 (333 rows) | 110 | 90.9 µs | "
            f"{bench.fmt_time(1e-2 * ratio / 110)} | {ratio:.3f} ({ratio - 0.01:.3f}–"
            f"{ratio + 0.01:.3f}) | {ratio - 1:+.1%} | 200 µs | 50% |") in markdown
    assert "*busy*" in markdown and "cpu test cpu" in markdown
