"""What every workload of the suite provides, and the pieces their RESULTS.md sections share.

A workload module defines ``BENCH = Bench(...)``:

- ``measure(quick, threads)`` times the workload in this process (threads already pinned) and
  returns a JSON-able dict, the *run* of that thread count;
- ``table(run)`` shows one run as a markdown table; the module's RESULTS.md section
  (``Bench.markdown``) has one per thread count under its title and description;
- ``targets(runs)`` gives the rows it adds to the summary from ``{threads: run}``: issue 8's
  targets (issue 19's for the compiled step), as :class:`Target` s (what was promised, the
  figure at each thread count, met or not).

``run.py`` measures every Bench, one fresh process per thread count; :func:`main` gives a single
workload the same command line on its own (``python benchmarks/sigmoid_step.py --quick``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from harness import (
    DISTURBED,
    Variant,
    compare,
    fmt_time,
    format_table,
    has_torch,
    machine_info,
    others_load,
    pin_threads,
    run_per_thread_count,
    thread_settings,
    update_results,
    write_whole,
    yardstick_lines,
    yardstick_seconds,
)

import descend as dc

BUSY = 0.10
"""Share of the machine's CPU taken by other processes above which a figure is marked busy."""

YARDSTICKS = Path(__file__).with_name("yardstick.json")
"""The best yardstick reading of each machine and thread count: ``{key: seconds}``."""


@dataclass
class Target:
    """One of issue 8's targets (or ``issue``'s): a figure that must stay at or below ``limit``.

    ``values`` and ``others`` map a thread count to the measured figure (a ratio, seconds or
    bytes, as ``unit`` says) and to the share of the CPU other processes took meanwhile.
    """

    workload: str
    goal: str
    limit: float
    values: dict[int, float] = field(default_factory=dict)
    others: dict[int, float | None] = field(default_factory=dict)
    unit: str = "×"
    note: str = ""
    own: bool = False
    """A stricter check of our own beside issue 8's table: reported with its verdict, counted
    apart from the issue's targets."""
    issue: int = 8
    """The issue that set the target (19: the compiled step's), counted apart from issue 8's."""
    slowdown: dict[int, float] = field(default_factory=dict)
    """Per thread count, the yardstick's slowdown while the figure was measured (see
    :func:`note_slowdowns`)."""

    def met(self, threads: int = 1) -> bool | None:
        """Whether the figure at ``threads`` is within the limit (None: not measured)."""
        value = self.values.get(threads)
        return None if value is None else value <= self.limit

    def figure(self, threads: int = 1) -> str:
        """The figure at ``threads`` as text, marked when other processes kept the CPU busy."""
        value = self.values.get(threads)
        if value is None:
            return "—"
        text = format_value(value, self.unit)
        others, slowdown = self.others.get(threads), self.slowdown.get(threads, 1.0)
        if others is not None and others > BUSY:
            text += f" (busy: {others:.0%})"
        if slowdown > DISTURBED:
            text += f" (disturbed: yardstick {slowdown - 1:+.1%})"
        return text


def format_value(value: float, unit: str) -> str:
    """``1.07×``, ``2.31 µs`` or ``1.5 MiB`` for ``unit`` ``"×"``, ``"s"`` or ``"B"``."""
    if unit == "s":
        return fmt_time(value)
    if unit == "B":
        return fmt_bytes(value)
    return f"{value:.2f}{unit}"


def fmt_bytes(count: float) -> str:
    """Bytes as B, KiB or MiB with three significant figures (sign kept)."""
    size = abs(count)
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} B"


def target(workload: str, goal: str, limit: float, runs: dict[int, dict],
           pick: Callable[[dict], tuple[float, float | None] | None], *, unit: str = "×",
           note: str = "", own: bool = False) -> Target:
    """A :class:`Target` whose figure ``pick(run)`` returns as ``(value, others)`` per run.

    ``pick`` returns None where a run lacks the figure (a thread count it is not taken at).
    """
    result = Target(workload, goal, limit, unit=unit, note=note, own=own)
    for threads, run in runs.items():
        picked = pick(run)
        if picked is not None:
            result.values[threads], result.others[threads] = picked
            if "slowdown" in run:
                result.slowdown[threads] = run["slowdown"]
    return result


def target_lines(targets: list[Target]) -> list[str]:
    """One markdown line per target: the goal, the 1-thread verdict and figure."""
    lines = []
    for t in targets:
        met = t.met()
        verdict = "not measured" if met is None else ("met" if met else "not met")
        kind = "Stricter check of our own" if t.own else f"Target (issue {t.issue})"
        lines.append(f"- {kind}: {t.workload} {t.goal}, 1 thread: **{verdict}** "
                     f"({t.figure()}{'; ' + t.note if t.note else ''}).")
    return lines


@dataclass(frozen=True)
class Bench:
    """A workload of the suite.

    ``name`` is its RESULTS.md section and its name on the command line, ``script`` its file,
    ``summary`` a line for ``--list``; ``measure(quick, threads)`` and ``targets(runs)`` as
    in the module docstring. Its section is ``title``, ``what`` (a paragraph on what is
    timed), the target lines and one ``table(run)`` per thread count, unless ``render(runs,
    note)`` writes the whole section (the scripts older than the suite). ``thread_counts``
    are the counts it is measured at; ``figures``, when given, draws pictures from the runs
    (full runs only) and returns the paths it wrote.
    """

    name: str
    script: str
    summary: str
    measure: Callable[[bool, int], dict]
    targets: Callable[[dict[int, dict]], list[Target]]
    table: Callable[[dict], str] | None = None
    title: str = ""
    what: str = ""
    render: Callable[[dict[int, dict], str], str] | None = None
    thread_counts: tuple[int, ...] = (1, 2)
    figures: Callable[[dict[int, dict]], list[str]] | None = None

    def markdown(self, runs: dict[int, dict], note: str = "") -> str:
        """The RESULTS.md section for ``{threads: run}``, ``note`` in italics above it."""
        if self.render is not None:
            return self.render(runs, note)
        return section(self.title, self.what, runs, self.table, note=note,
                       script=Path(self.script).name, targets=self.targets(runs))


class ModelStep:
    """A descend model's step in the custom loop: ``loss = loss_fn(y, model(x))``,
    ``loss.backward()``, ``optimizer.step()``, ``optimizer.zero_grad()`` with ``dc.optim.SGD``.

    ``x`` is wrapped in a Tensor once, as a user does before a loop; ``y`` stays as given.
    """

    def __init__(self, model: dc.Sequential, loss_fn: Callable[..., dc.Tensor], x: np.ndarray,
                 y: np.ndarray, lr: float) -> None:
        self.model, self.loss_fn = model, loss_fn
        self.optimizer = dc.optim.SGD(model.parameters(), lr=lr)
        self.x, self.y = dc.tensor(x), y

    def step(self) -> dc.Tensor:
        """Forward, ``backward()``, ``step()``, ``zero_grad()``; returns the loss."""
        loss = self.loss_fn(self.y, self.model(self.x))
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return loss

    def weights(self) -> list[np.ndarray]:
        return self.model.get_weights()


def measure_bench(bench: Bench, *, quick: bool, threads: int) -> dict:
    """``bench.measure`` with the thread settings and machine recorded beside its figures,
    and the yardstick read before and after it (``"yardstick_s"``: the slower reading)."""
    before = yardstick_seconds()
    run = bench.measure(quick, threads)
    return {"threads": thread_settings(), "machine": machine_info(),
            "yardstick_s": max(before, yardstick_seconds()), **run}


def yardstick_key(machine: dict[str, str], threads: int) -> str:
    """What names a machine in ``yardstick.json``: its CPU, cores, NumPy and BLAS, and the
    thread count of the process read in (whose idle thread pools may differ)."""
    named = "; ".join(f"{k} {machine.get(k, '?')}" for k in ("cpu", "cores", "numpy", "blas"))
    return f"{named}; {threads} thread{'s' * (threads > 1)}"


def note_slowdowns(runs: dict[str, dict[int, dict]], *, store: bool,
                   path: Path | None = None) -> None:
    """Set each run's ``"slowdown"``: its yardstick reading over the best one of its machine
    and thread count, from ``yardstick.json`` (``path``) and these runs; with ``store``, keep
    the new bests. A run without a reading (measured before the yardstick) gets none."""
    path = YARDSTICKS if path is None else path
    try:
        best = {k: float(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        best = {}
    measured = [(yardstick_key(run["machine"], threads), run)
                for by_threads in runs.values() for threads, run in by_threads.items()
                if "yardstick_s" in run]
    for key, run in measured:
        best[key] = min(best.get(key, run["yardstick_s"]), run["yardstick_s"])
    for key, run in measured:
        run["slowdown"] = run["yardstick_s"] / best[key]
    if store and measured:
        write_whole(path, json.dumps(best, indent=1) + "\n")


def available(variants: list[Variant]) -> list[Variant]:
    """The variants, without the torch ones when PyTorch is not installed."""
    return variants if has_torch() else [v for v in variants if not v.name.startswith("torch")]


def timed(variants: list[Variant], *, quick: bool, settle: float = 0.0,
          rounds: int | None = None, min_time: float | None = None) -> dict:
    """:func:`harness.compare` the (available) variants; record the load of other processes.

    Defaults: 15 rounds of 0.1 s samples, or 5 of 0.02 s when ``quick``. Returns
    ``{"results": compare's report, "others": share of the CPU others took (or None)}``.
    """
    with others_load() as load:
        report = compare(available(variants), settle=settle,
                         rounds=rounds or (5 if quick else 15),
                         min_time=min_time or (0.02 if quick else 0.1))
    return {"results": report, "others": load.get("others")}


def settle_for(threads: int) -> float:
    """Seconds to let OpenBLAS's spinning workers go idle before each sample (2+ threads)."""
    return 0.2 if threads > 1 else 0.0


def ratio_cell(entry: dict) -> str:
    """``1.07× (1.03–1.12)``: a median paired ratio and its quartiles."""
    return f"{entry['ratio']:.2f}× ({entry['ratio_lo']:.2f}–{entry['ratio_hi']:.2f})"


def load_cell(others: float | None) -> str:
    """The share of the CPU other processes took; ``—`` where not read (or not relevant)."""
    return "—" if others is None else f"{others:.0%}"


def section(title: str, what: str, runs: dict[int, dict], table: Callable[[dict], str], *,
            note: str, script: str, targets: Sequence[Target] = ()) -> str:
    """A RESULTS.md section: title, what was measured, targets, a table per thread count."""
    first = runs[min(runs)]
    lines = [f"## {title}", "", what]
    if note:
        lines += ["", f"*{note}*"]
    if targets:
        lines += ["", *target_lines(targets)]
    for threads, run in sorted(runs.items()):
        heading = "1 thread (headline)" if threads == 1 else f"{threads} threads"
        settings = ", ".join(f"{k} = {v}" for k, v in run["threads"].items())
        lines += ["", f"### {heading}", "", table(run), "", f"Thread settings: {settings}."]
        lines += yardstick_lines(run)
    machine = "; ".join(f"{k} {v}" for k, v in first["machine"].items())
    lines += ["", f"Machine: {machine}.",
              f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python benchmarks/{script}`."]
    return "\n".join(lines)


def variant_table(run: dict, label: str, *, baseline: str, extra: Callable[[str, dict],
                  list[str]] | None = None, extra_header: tuple[str, ...] = ()) -> str:
    """One row per measured row of ``run["rows"]``: median times, ratios to ``baseline``.

    ``run["rows"]`` maps a row label to a :func:`timed` result; ``extra(label, row)`` may add
    cells (under ``extra_header``) before the "CPU used by others" column.
    """
    rows = run["rows"]
    names = list(next(iter(rows.values()))["results"])
    others = [n for n in names if n != baseline]
    header = [label, *(f"{n}" for n in names), *(f"{n}/{baseline}" for n in others),
              *extra_header, "CPU used by others"]
    lines = []
    for key, row in rows.items():
        results = row["results"]
        lines.append([key, *(fmt_time(results[n]["median_s"]) for n in names),
                      *(ratio_cell(results[n]) for n in others),
                      *(extra(key, row) if extra else []), load_cell(row["others"])])
    return format_table(header, lines)


def main(bench: Bench, description: str, argv: list[str] | None = None) -> None:
    """A workload's own command line: every thread count in its process, or one here."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small sizes, few rounds; prints, writes nothing")
    parser.add_argument("--threads", type=int, help="measure only this thread count, here")
    parser.add_argument("--json", action="store_true",
                        help="with --threads: print the raw results as JSON (for the harness)")
    parser.add_argument("--note", default="", help="a sentence printed above the tables")
    args = parser.parse_args(argv)
    if args.threads is not None:
        _limits = pin_threads(args.threads)  # keep the limits in force while measuring
        run = measure_bench(bench, quick=args.quick, threads=args.threads)
        print(json.dumps(run) if args.json else bench.markdown({args.threads: run}, args.note))
        return
    runs = run_per_thread_count(bench.script, bench.thread_counts,
                                extra_args=("--quick",) if args.quick else ())
    note_slowdowns({bench.name: runs}, store=not args.quick)
    markdown = bench.markdown(runs, args.note)
    print(markdown)
    if not args.quick:
        update_results(bench.name, markdown)
        for path in bench.figures(runs) if bench.figures else []:
            print(f"wrote {path}")
