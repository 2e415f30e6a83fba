"""Run the whole benchmark suite (issue 8) and write RESULTS.md: every workload, a summary.

Every workload times descend against hand-written NumPy and PyTorch CPU (where it has them)
at 1 thread (the headline) and 2 threads, each thread count in a fresh process (two BLAS
libraries in one process fight over threads), and writes its own section of RESULTS.md; the
summary at the top compares each figure with issue 8's target. The raw figures go to
``results.json``, so that a run of some workloads (``--only``) still gives a full summary
(rows from earlier runs say when they were measured).

Run from the repository root (or ``descend bench`` with the same options)::

    python benchmarks/run.py                  # everything, about 10-15 minutes
    python benchmarks/run.py --quick          # smoke run, 1 thread, about 1 minute; prints only
    python benchmarks/run.py --only cnn_step memory
    python benchmarks/run.py --note "quiet machine" --two-threads idle
    python benchmarks/run.py --list
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import adapters
import boston_step
import cnn_step
import elementwise_op
import fit_digits
import jit_step
import memory
import scaling
import sigmoid_step
import suite
from harness import (
    DISTURBED,
    format_table,
    machine_info,
    others_load,
    pin_threads,
    run_per_thread_count,
    update_results,
)

from descend.bench import add_options

BENCHES = {bench.name: bench for bench in (
    adapters.MLP, sigmoid_step.BENCH, elementwise_op.BENCH, boston_step.BENCH, cnn_step.BENCH,
    adapters.FIT, fit_digits.BENCH, adapters.OPTIM, memory.BENCH, scaling.BENCH, jit_step.BENCH)}
"""Every workload, in the order of the summary."""

RAW = Path(__file__).with_name("results.json")
"""The latest runs of each workload: ``{name: {"measured", "runs", "errors"}}``."""


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The suite's options (``descend.bench.add_options``) and the child's ``--threads``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(BENCHES))
    if unknown:
        parser.error(f"--only: unknown workload {', '.join(map(repr, unknown))}; choose from "
                     f"{', '.join(BENCHES)}")
    args.only = args.only or list(BENCHES)
    args.two_threads = args.two_threads or ("never" if args.quick else "always")
    return args


def measure_here(names: list[str], *, quick: bool, threads: int) -> dict[str, dict]:
    """Measure the workloads in this process; a workload that fails gets ``{"error": ...}``."""
    _limits = pin_threads(threads)  # keep the limits in force while measuring
    out = {}
    for name in names:
        start = time.perf_counter()
        try:
            out[name] = suite.measure_bench(BENCHES[name], quick=quick, threads=threads)
        except Exception as err:  # one broken workload must not lose the others' figures
            traceback.print_exc()
            out[name] = {"error": f"{type(err).__name__}: {err}"}
        print(f"[{threads} thread{'s' * (threads > 1)}] {name}: "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return out


def machine_is_idle(seconds: float = 2.0) -> tuple[bool, float | None]:
    """Whether other processes took at most ``suite.BUSY`` of the CPU over ``seconds``."""
    with others_load() as load:
        time.sleep(seconds)
    others = load.get("others")
    return others is None or others <= suite.BUSY, others


def collect(names: list[str], *, quick: bool, two_threads: str
            ) -> tuple[dict[str, dict[int, dict]], list[str]]:
    """``{name: {threads: run}}`` from one child process per thread count, and notes."""
    runs: dict[str, dict[int, dict]] = {name: {} for name in names}
    notes = []
    for threads in (1, 2):
        todo = [n for n in names if threads in BENCHES[n].thread_counts]
        if not todo or (threads == 2 and two_threads == "never"):
            continue
        if threads == 2 and two_threads == "idle":
            idle, others = machine_is_idle()
            if not idle:
                notes.append(f"2-thread figures not taken: other processes used {others:.0%} "
                             "of the CPU when they were due (`--two-threads idle`).")
                continue
        extra = ("--quick",) * quick + ("--only", *todo)
        for name, run in run_per_thread_count(__file__, (threads,), extra)[threads].items():
            runs[name][threads] = run
    return runs, notes


def retry_disturbed(runs: dict[str, dict[int, dict]], *, quick: bool, retries: int
                    ) -> list[str]:
    """Note every run's yardstick slowdown; then measure again, up to ``retries`` times, each
    workload whose 1-thread run read disturbed, keeping its quietest run. Returns a note
    naming the workloads still disturbed (none if all read quiet)."""
    suite.note_slowdowns(runs, store=not quick)
    for _ in range(retries):
        again = disturbed(runs)
        if not again:
            break
        fresh, _ = collect(again, quick=quick, two_threads="never")
        for name in again:
            run = fresh[name].get(1, {})
            if run.get("yardstick_s", float("inf")) < runs[name][1]["yardstick_s"]:
                runs[name][1] = run
        suite.note_slowdowns(runs, store=not quick)
    left = disturbed(runs)
    tries = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    return [f"Disturbed{tries} (the yardstick read over {DISTURBED - 1:.0%} slow around "
            f"them): {', '.join(left)}."] if left else []


def disturbed(runs: dict[str, dict[int, dict]]) -> list[str]:
    """The workloads whose 1-thread run the yardstick read as disturbed."""
    return [name for name, by_threads in runs.items()
            if by_threads.get(1, {}).get("slowdown", 1.0) > DISTURBED]


def split_errors(runs: dict[int, dict]) -> tuple[dict[int, dict], dict[int, str]]:
    """The runs that worked, and the error of each that failed, by thread count."""
    good = {t: r for t, r in runs.items() if "error" not in r}
    return good, {t: r["error"] for t, r in runs.items() if "error" in r}


def load_raw() -> dict:
    """``results.json`` (thread counts back to ints), or ``{}``."""
    if not RAW.exists():
        return {}
    raw = json.loads(RAW.read_text())
    for entry in raw.values():
        entry["runs"] = {int(t): run for t, run in entry["runs"].items()}
    return raw


def summary_rows(raw: dict, current: set[str]) -> tuple[list[list[str]], Counts]:
    """The summary's rows from the stored runs; also how many targets were met and measured,
    issue 8's, issue 19's and our own stricter checks apart."""
    rows, counts = [], Counts()
    for name, bench in BENCHES.items():
        entry = raw.get(name)
        if entry is None:
            continue
        when = "" if name in current else f"measured {entry['measured']}"
        for error in entry["errors"].values():
            rows.append([f"`{name}`", "—", "error", "—", "—", "—", error])
        if not entry["runs"]:
            continue
        for t in bench.targets(entry["runs"]):
            verdict = t.met()
            counts.add(verdict, own=t.own, issue=t.issue)
            rows.append([t.workload, t.goal, t.figure(1), t.figure(2),
                         {None: "not measured", True: "met", False: "**not met**"}[verdict],
                         suite.load_cell(t.others.get(1)),
                         "; ".join(x for x in (OWN * t.own, ISSUE19 * (t.issue == 19), t.note,
                                               when) if x)])
    return rows, counts


OWN = "a stricter check of our own, not in issue 8's table"
ISSUE19 = "issue 19's target for the compiled step"


@dataclass
class Counts:
    """Targets met and measured at 1 thread: issue 8's, issue 19's (the compiled step) and
    our own stricter checks."""

    met: int = 0
    measured: int = 0
    own_met: int = 0
    own_measured: int = 0
    compiled_met: int = 0
    compiled_measured: int = 0

    def add(self, verdict: bool | None, *, own: bool, issue: int = 8) -> None:
        if verdict is None:
            return
        if own:
            self.own_met += verdict
            self.own_measured += 1
        elif issue == 19:
            self.compiled_met += verdict
            self.compiled_measured += 1
        else:
            self.met += verdict
            self.measured += 1

    def headline(self) -> str:
        text = f"**{self.met} of {self.measured} of issue 8's targets met at 1 thread.**"
        if self.compiled_measured:
            text += (f" Issue 19's targets for the compiled step (`dc.jit`): "
                     f"{self.compiled_met} of {self.compiled_measured} met.")
        if self.own_measured:
            text += (f" Stricter checks of our own (marked in the notes): {self.own_met} of "
                     f"{self.own_measured} met.")
        return text


def summary(raw: dict, current: set[str], *, note: str, notes: list[str]) -> str:
    """The summary section: machine, threads, every target with its verdict."""
    rows, counts = summary_rows(raw, current)
    settings = {}
    for entry in raw.values():
        for threads, run in entry["runs"].items():
            settings.setdefault(threads, ", ".join(f"{k} = {v}"
                                                   for k, v in run["threads"].items()))
    machine = "; ".join(f"{k} {v}" for k, v in machine_info().items())
    lines = ["## Summary: issue 8's targets", ""]
    if note:
        lines += [f"*{note}*", ""]
    lines += [
        f"{counts.headline()} Figures are medians over "
        "interleaved rounds; ratios are medians of per-round paired ratios (see each "
        "workload's section below for the quartiles). The headline is 1 thread: BLAS pinned "
        "with `threadpoolctl`, `torch.set_num_threads(1)` and `OMP_NUM_THREADS`/"
        "`OPENBLAS_NUM_THREADS`/`MKL_NUM_THREADS`; the 2-thread figures come from a second "
        "process. \"CPU used by others\" is the share of the machine's cores that other "
        f"processes took while the 1-thread figure was measured; a figure marked \"busy\" was "
        f"measured while they took more than {suite.BUSY:.0%}. Other machines on the same "
        "host slow NumPy without using this machine's CPU: a figure marked \"disturbed\" was "
        "measured while the yardstick (a fixed hand-NumPy step, read before and after each "
        f"workload) ran more than {DISTURBED - 1:.0%} slower than its best on this "
        "machine.",
        "", format_table(["workload", "target", "1 thread", "2 threads", "verdict",
                          "CPU used by others", "notes"], rows), "",
        *(f"- {n}" for n in notes),
        *(f"Thread settings, {t} thread{'s' * (t > 1)}: {s}." for t, s in
          sorted(settings.items())),
        "", f"Machine: {machine}.",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python benchmarks/run.py`.",
    ]
    return "\n".join(lines)


def report(runs: dict[str, dict[int, dict]], *, quick: bool, note: str) -> dict:
    """Each workload's section (written to RESULTS.md unless ``quick``, else printed); the
    raw figures merged into ``results.json`` first (unless ``quick``). Returns the merged
    figures; a section that cannot be written counts as that workload's error."""
    raw = {} if quick else load_raw()
    stamp = time.strftime("%Y-%m-%d %H:%M")
    for name, by_threads in runs.items():
        good, errors = split_errors(by_threads)
        raw[name] = {"measured": stamp, "runs": good, "errors": errors}
    if not quick:
        RAW.write_text(json.dumps(raw, indent=1))
    for name in runs:
        bench, good = BENCHES[name], raw[name]["runs"]
        try:
            if good:
                write_section(bench, good, quick=quick, note=note)
        except Exception as err:  # keep the other sections and the summary
            traceback.print_exc()
            raw[name]["errors"][0] = f"writing the section: {type(err).__name__}: {err}"
    return raw


def write_section(bench: suite.Bench, runs: dict[int, dict], *, quick: bool, note: str
                  ) -> None:
    """Print (``quick``) or write the workload's section, and its figures."""
    markdown = bench.markdown(runs, note)
    if quick:
        print(markdown, end="\n\n")
        return
    update_results(bench.name, markdown)
    for path in bench.figures(runs) if bench.figures else []:
        print(f"wrote {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the suite (or, with the hidden ``--threads``, one thread count of it, here)."""
    args = parse(argv)
    if args.list:
        for name, bench in BENCHES.items():
            counts = ", ".join(map(str, bench.thread_counts))
            print(f"{name:<15} {bench.summary} (threads: {counts})")
        return 0
    if args.threads is not None:
        print(json.dumps(measure_here(args.only, quick=args.quick, threads=args.threads)))
        return 0
    runs, notes = collect(args.only, quick=args.quick, two_threads=args.two_threads)
    notes += retry_disturbed(runs, quick=args.quick, retries=args.retries)
    raw = report(runs, quick=args.quick, note=args.note)
    markdown = summary(raw, set(runs), note=args.note, notes=notes)
    print(markdown)
    if not args.quick:
        update_results("summary", markdown, first=True)
        print(f"wrote {RAW.with_name('RESULTS.md')} and {RAW.name}", file=sys.stderr)
    failed = any(entry["errors"] for name, entry in raw.items() if name in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
