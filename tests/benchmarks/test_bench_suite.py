"""The suite's shared pieces: targets, formatting, paired ratios, RESULTS.md, the adapters."""

from __future__ import annotations

import json

import pytest
from bench_support import entry, load

suite = load("suite")
harness = load("harness")
adapters = load("adapters")


def test_a_target_is_met_at_or_below_its_limit_and_marks_busy_figures():
    t = suite.Target("w", "≤ 1.2×", 1.2, values={1: 1.2, 2: 1.3}, others={1: 0.1, 2: 0.5})
    assert t.met() is True and t.met(2) is False and t.met(4) is None
    assert t.figure(1) == "1.20×" and t.figure(2) == "1.30× (busy: 50%)" and t.figure(4) == "—"


def test_a_figure_the_yardstick_read_as_disturbed_is_marked_with_its_slowdown():
    t = suite.Target("w", "≤ 1.2×", 1.2, values={1: 1.1, 2: 1.1}, others={1: 0.5, 2: 0.0},
                     slowdown={1: 1.093, 2: 1.06})
    assert t.figure(1) == "1.10× (busy: 50%) (disturbed: yardstick +9.3%)"
    assert t.figure(2) == "1.10×" and t.met() is True
    runs = {1: {"x": 1.1, "slowdown": 1.2}, 2: {"x": 1.0}}
    picked = suite.target("w", "goal", 1.0, runs, lambda run: (run["x"], 0.0))
    assert picked.slowdown == {1: 1.2} and "disturbed: yardstick +20.0%" in picked.figure()


def test_slowdowns_are_taken_against_the_best_reading_of_each_machine_and_thread_count(
        tmp_path):
    stored = tmp_path / "yardstick.json"
    a, b = {"cpu": "A", "cores": "2"}, {"cpu": "B", "cores": "2"}
    key_a, key_b, key_b2 = (suite.yardstick_key(a, 1), suite.yardstick_key(b, 1),
                            suite.yardstick_key(b, 2))
    assert key_b2 == "cpu B; cores 2; numpy ?; blas ?; 2 threads"
    stored.write_text(f'{{"{key_a}": 0.001}}')
    runs = {"one": {1: {"machine": a, "yardstick_s": 0.0011},
                    2: {"machine": b, "yardstick_s": 0.0006}},
            "two": {1: {"machine": b, "yardstick_s": 0.002}, 2: {"machine": b}},
            "three": {1: {"machine": b, "yardstick_s": 0.0021}}}
    suite.note_slowdowns(runs, store=False, path=stored)
    assert runs["one"][1]["slowdown"] == pytest.approx(1.1)
    assert runs["three"][1]["slowdown"] == pytest.approx(1.05)  # B's best is in these runs
    assert runs["one"][2]["slowdown"] == 1.0  # 2 threads: a yardstick of its own
    assert runs["two"][1]["slowdown"] == 1.0 and "slowdown" not in runs["two"][2]
    assert stored.read_text() == f'{{"{key_a}": 0.001}}'  # store=False writes nothing
    suite.note_slowdowns(runs, store=True, path=stored)
    assert json.loads(stored.read_text()) == {key_a: 0.001, key_b: 0.002, key_b2: 0.0006}
    runs["one"][1]["yardstick_s"] = 0.0005  # a new best for A: kept, and the reference
    suite.note_slowdowns(runs, store=True, path=stored)
    assert runs["one"][1]["slowdown"] == 1.0
    assert json.loads(stored.read_text())[key_a] == 0.0005
    stored.write_text("[not a mapping")  # a damaged file counts as no readings
    suite.note_slowdowns(runs, store=False, path=stored)
    assert runs["three"][1]["slowdown"] == pytest.approx(1.05)


def test_a_section_says_what_the_yardstick_read_under_each_table():
    quiet = {"threads": {}, "machine": {}, "yardstick_s": 350e-6, "slowdown": 1.012}
    noisy = {**quiet, "yardstick_s": 400e-6, "slowdown": 1.157}
    text = suite.section("T", "what", {1: quiet, 2: noisy}, lambda run: "| table |",
                         note="", script="x.py")
    assert ("Yardstick (`harness.yardstick_seconds`, the slower of its readings before and "
            "after): 350 µs, +1.2% over this machine's best (quiet).") in text
    assert ("400 µs, +15.7% over this machine's best (disturbed: figures slower than on a "
            "quiet machine).") in text
    assert harness.yardstick_lines({"threads": {}}) == []


def test_the_yardstick_times_a_fixed_numpy_step():
    seconds = harness.yardstick_seconds(repeats=2, calls=1)
    assert 0 < seconds < 1


@pytest.mark.parametrize(("value", "unit", "text"), [
    (1.234, "×", "1.23×"), (2.5e-6, "s", "2.5 µs"), (3 * 2**20, "B", "3 MiB"),
    (1536, "B", "1.5 KiB"), (-640, "B", "-640 B")])
def test_values_are_formatted_by_unit(value, unit, text):
    assert suite.format_value(value, unit) == text


def test_target_builds_figures_from_each_run_and_skips_missing_ones():
    runs = {1: {"x": 0.9, "load": 0.0}, 2: {"load": 0.3}}
    t = suite.target("w", "goal", 1.0, runs,
                     lambda run: (run["x"], run["load"]) if "x" in run else None)
    assert t.values == {1: 0.9} and t.others == {1: 0.0}
    assert suite.target_lines([t]) == ["- Target (issue 8): w goal, 1 thread: **met** (0.90×)."]


def test_paired_ratio_is_the_median_of_round_by_round_ratios():
    report = {"a": entry(times=(2.0, 3.0, 8.0)), "b": entry(times=(1.0, 1.0, 2.0))}
    assert harness.paired_ratio(report, "a", "b") == {"ratio": 3.0, "ratio_lo": 2.0,
                                                     "ratio_hi": 4.0}


def test_compare_keeps_every_rounds_time():
    report = harness.compare([harness.Variant("x", lambda: lambda: None)], rounds=3,
                             min_time=1e-4, warmup=0)
    assert len(report["x"]["times"]) == 3 and report["x"]["ratio"] == 1.0


def test_update_results_can_put_a_new_section_first(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n<!-- a:start -->\nA\n<!-- a:end -->\n")
    harness.update_results("summary", "S", path=path, first=True)
    harness.update_results("b", "B", path=path)
    harness.update_results("summary", "S2", path=path, first=True)
    assert path.read_text() == ("# Benchmark results\n\n<!-- summary:start -->\nS2\n"
                                "<!-- summary:end -->\n\n<!-- a:start -->\nA\n<!-- a:end -->\n"
                                "\n<!-- b:start -->\nB\n<!-- b:end -->\n")


def mlp_run(ratios: dict[int, float], torch_32: float) -> dict:
    batches = {str(b): {"NumPy": entry(), "descend": entry(ratio=r), "torch": entry(ratio=1.3)}
               for b, r in ratios.items()}
    return {"batches": batches, "others": {str(b): 0.0 for b in ratios},
            "descend/torch": {"32": entry(ratio=torch_32)}}


def test_the_mlp_targets_follow_issue_8():
    rows = adapters.mlp_targets({1: mlp_run({1: 1.3, 32: 1.25, 128: 1.1, 1024: 1.12}, 0.95)})
    got = {(t.workload, t.limit): t.met() for t in rows}
    assert got == {("MLP step, batch 1024", 1.10): False, ("MLP step, batch 128", 1.15): True,
                   ("MLP step, batch 32", 1.20): False, ("MLP step, batch 32", 1.0): True,
                   ("MLP step, batch 1", 1.4): True}
    assert rows[0].note == "torch 1.30×"


def test_the_optimizer_target_is_the_slowest_one():
    configs = {"SGD": {"descend": entry(ratio=0.9), "torch single": entry()},
               "Adam": {"descend": entry(ratio=1.6), "torch single": entry()},
               "Lion": {"descend": entry()}}
    run = {"configs": configs, "others": 0.0, "total": 1000, "tensors": 10}
    (target,) = adapters.optim_targets({1: run})
    assert target.values[1] == 1.6 and not target.met() and target.note.endswith("Adam")


def test_the_fit_targets_have_one_row_per_workload():
    run = {"workloads": {"boston-linear": {"fit": entry(ratio=1.05)},
                         "mlp-784": {"fit": entry(ratio=1.2)}},
           "others": {"boston-linear": 0.0, "mlp-784": 0.2}}
    rows = adapters.fit_targets({1: run})
    assert [t.met() for t in rows] == [True, False]
    assert "Boston linear" in rows[0].workload and rows[1].figure() == "1.20× (busy: 20%)"
