"""Shared benchmark harness: thread pinning, interleaved timing, paired ratios, RESULTS.md.

Every benchmark in this folder times several *variants* of the same work (descend, hand-written
NumPy, PyTorch) in one process, interleaving them round by round so that a noisy neighbour slows
all of them alike, and reports the median time of each and the median of the per-round ratios
to a baseline. Thread counts are pinned with ``threadpoolctl`` (BLAS) and
``torch.set_num_threads``, and each thread count runs in a fresh process
(``run_per_thread_count``). With more than one thread, NumPy's OpenBLAS and torch's OpenMP pools
share the process and fight over cores: ``compare(..., settle=)`` lets one go idle before the
other is timed. ``others_load`` records how much CPU other processes took meanwhile, and
``median_time``/``profile``/``top_functions`` serve profiling scripts.

Use from a script::

    from harness import Variant, compare, format_table, run_per_thread_count, update_results
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("RESULTS.md")

DISTURBED = 1.06
"""The yardstick's slowdown (its reading over this machine's best) above which a workload's
figures are marked disturbed. Quiet readings of one machine spread by up to 5 % (336 and
350 µs in one quiet run here, by process and by allocation); the disturbances it is for
slowed NumPy by 7-90 %."""


@dataclass
class Variant:
    """One way of doing the work: ``setup()`` returns a zero-argument callable to time."""

    name: str
    setup: Callable[[], Callable[[], object]]


def pin_threads(n: int) -> object:
    """Limit BLAS (all libraries NumPy and torch load) and torch's own pool to ``n`` threads."""
    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    return threadpool_limits(limits=n)


def _time_calls(fn: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def compare(variants: list[Variant], *, rounds: int = 15, min_time: float = 0.05,
            warmup: int = 3, settle: float = 0.0) -> dict[str, dict[str, float]]:
    """Time the variants interleaved; the first is the baseline for the paired ratios.

    Each variant is warmed up, then calibrated to ``inner`` calls per sample (enough for
    ``min_time`` seconds); every round takes one sample of each variant in turn. ``settle``
    seconds of sleep before each sample let the worker threads of the previous variant's
    thread pool stop spinning (OpenBLAS workers spin ~0.1 s after a call and steal a core
    from torch's OpenMP pool: use it for multi-threaded runs).

    Returns ``{name: {"median_s", "iqr_s", "ratio", "ratio_lo", "ratio_hi", "inner", "times"}}``
    where ratio is the median over rounds of (this variant's time / the baseline's time in the
    same round), ratio_lo and ratio_hi its lower and upper quartiles, and times the seconds per
    call of each round (for ratios between two other variants: :func:`paired_ratio`).
    """
    callables = {v.name: v.setup() for v in variants}
    inner = {}
    for name, fn in callables.items():
        for _ in range(warmup):
            fn()
        once = max(_time_calls(fn, 1), 1e-7)
        inner[name] = max(1, int(min_time / once))
    samples: dict[str, list[float]] = {name: [] for name in callables}
    for _ in range(rounds):
        for name, fn in callables.items():
            time.sleep(settle)
            samples[name].append(_time_calls(fn, inner[name]))
    base = variants[0].name
    report = {}
    for name, times in samples.items():
        q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
        report[name] = {
            "median_s": statistics.median(times),
            "iqr_s": q[2] - q[0],
            **_ratios(times, samples[base]),
            "inner": inner[name],
            "times": times,
        }
    return report


def _ratios(times: list[float], base: list[float]) -> dict[str, float]:
    ratios = sorted(t / b for t, b in zip(times, base))
    return {"ratio": statistics.median(ratios), "ratio_lo": ratios[len(ratios) // 4],
            "ratio_hi": ratios[(3 * len(ratios)) // 4]}


def paired_ratio(report: dict[str, dict], name: str, other: str) -> dict[str, float]:
    """``name``'s time over ``other``'s, round by round, from a :func:`compare` report.

    Returns ``{"ratio", "ratio_lo", "ratio_hi"}``: the median and quartiles of the per-round
    ratios, as :func:`compare` gives them against its baseline.
    """
    return _ratios(report[name]["times"], report[other]["times"])


def has_torch() -> bool:
    """Whether PyTorch can be imported (without it, the torch variants are left out)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def median_time(fn: Callable[[], object], *, repeats: int = 25, min_time: float = 0.02) -> float:
    """The median over ``repeats`` samples of the seconds one call of ``fn`` takes."""
    fn()
    inner = max(1, int(min_time / max(_time_calls(fn, 1), 1e-7)))
    return statistics.median(_time_calls(fn, inner) for _ in range(repeats))


def profile(fn: Callable[[], object], calls: int) -> pstats.Stats:
    """cProfile ``calls`` calls of ``fn`` (cProfile slows Python code down: read shares)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    return pstats.Stats(profiler)


def function_label(key: tuple[str, int, str], names: dict | None = None) -> str:
    """``path:line(name)`` of a pstats key, the path cut after ``src/`` or ``site-packages/``.

    ``names`` may map ``(path, line)`` to a better name for the function (``MatMul.forward``).
    """
    path, line, name = key
    if names and (path, line) in names:
        name = names[(path, line)]
    for marker in ("src/", "site-packages/", "benchmarks/"):
        if marker in path:
            path = path.rsplit(marker, 1)[1]
            break
    return f"{path}:{line}({name})" if line else name


def top_functions(stats: pstats.Stats, calls: int, *, count: int = 12,
                  names: dict | None = None) -> str:
    """A markdown table of the functions with the most own time, per call of the profiled fn.

    ``names`` is passed on to :func:`function_label`.
    """
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:count]
    total = max(stats.total_tt, 1e-12)
    rows = [[f"`{function_label(key, names)}`", f"{nc / calls:g}", f"{tt / calls * 1e6:.1f}",
             f"{tt / total:.0%}", f"{ct / calls * 1e6:.1f}"]
            for key, (_, nc, tt, ct, _) in entries]
    return format_table(["function", "calls/step", "own µs/step", "own share",
                         "cumulative µs/step"], rows)


def fmt_time(seconds: float) -> str:
    """Seconds as µs or ms with three significant figures."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def machine_info() -> dict[str, str]:
    """CPU, cores, Python, NumPy and its BLAS, torch: what a reader needs to weigh the figures."""
    import numpy as np

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cores": str(os.cpu_count()),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{p['internal_api']} {p['version']}" for p in threadpool_info()
                if p["user_api"] == "blas"]
        info["blas"] = ", ".join(sorted(set(blas)))
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def _cpu_seconds() -> tuple[float, float] | None:
    """(busy CPU seconds of the whole machine since boot, CPU seconds of this process)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # user..steal, minus idle and iowait
    own = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


@contextlib.contextmanager
def others_load() -> Iterator[dict[str, float]]:
    """Measure how busy *other* processes kept the machine during the ``with`` block.

    Yields a dict that gets ``"others"``: the share of all cores' time that processes other
    than this one used (0 = a quiet machine, 0.5 = one core of two taken), on Linux. Time the
    hypervisor gave our cores to other machines (steal) counts as taken by others.
    """
    result: dict[str, float] = {}
    before, start = _cpu_seconds(), time.perf_counter()
    yield result
    after, wall = _cpu_seconds(), time.perf_counter() - start
    if before is not None and after is not None and wall > 0:
        others = (after[0] - before[0]) - (after[1] - before[1])
        result["others"] = max(0.0, others / (wall * (os.cpu_count() or 1)))


def yardstick_seconds(repeats: int = 20, calls: int = 5) -> float:
    """How fast this machine runs NumPy right now: a fixed hand-written step (a batch of 32
    rows through a 784-256-10 ReLU layer pair, forward and backward, float32, BLAS on one
    thread; about 0.35 ms on a quiet core), the fastest of ``repeats`` samples of ``calls``
    steps, per step.

    Other virtual machines on the same host slow NumPy by sharing its memory bandwidth and
    caches, which neither ``others_load`` nor the steal time sees: read before and after a
    workload, the yardstick tells a quiet measurement from a disturbed one.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 784), dtype=np.float32)
    w1 = rng.standard_normal((784, 256), dtype=np.float32) * np.float32(0.05)
    w2 = rng.standard_normal((256, 10), dtype=np.float32) * np.float32(0.05)
    rate = np.float32(1e-6)

    def step() -> None:
        hidden = np.maximum(x @ w1, 0)
        grad_out = hidden @ w2
        grad_hidden = (grad_out @ w2.T) * (hidden > 0)
        np.subtract(w2, (hidden.T @ grad_out) * rate, out=w2)
        np.subtract(w1, (x.T @ grad_hidden) * rate, out=w1)

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # the same work in a process of any thread count
        return min(_time_calls(step, calls) for _ in range(repeats))


def yardstick_lines(run: dict) -> list[str]:
    """The yardstick's reading in a run, as a paragraph under its table (none if unread)."""
    if "slowdown" not in run:
        return []
    verdict = "disturbed: figures slower than on a quiet machine" if (
        run["slowdown"] > DISTURBED) else "quiet"
    return ["", f"Yardstick (`harness.yardstick_seconds`, the slower of its readings before "
                f"and after): {fmt_time(run['yardstick_s'])}, {run['slowdown'] - 1:+.1%} over "
                f"this machine's best ({verdict})."]


def thread_settings() -> dict[str, str]:
    """The thread counts in force now: each thread pool NumPy/torch loaded, and torch's own.

    Recorded beside the timings, so a table shows that pinning worked.
    """
    from threadpoolctl import threadpool_info

    settings = {f"{p['user_api']} ({p['internal_api']})": str(p["num_threads"])
                for p in threadpool_info()}
    try:
        import torch

        settings["torch.get_num_threads()"] = str(torch.get_num_threads())
    except ImportError:
        pass
    return settings


def run_per_thread_count(script: str, thread_counts: tuple[int, ...] = (1, 2),
                         extra_args: tuple[str, ...] = ()) -> dict[int, dict]:
    """Run ``script --threads N --json`` once per N in a fresh process; collect the JSON.

    The child's stderr (progress lines) goes straight to ours; its last stdout line must be the
    JSON result. A child that fails raises ``RuntimeError`` with its exit status.
    """
    results = {}
    for n in thread_counts:
        env = dict(os.environ, OMP_NUM_THREADS=str(n), OPENBLAS_NUM_THREADS=str(n),
                   MKL_NUM_THREADS=str(n))
        command = [sys.executable, script, "--threads", str(n), "--json", *extra_args]
        out = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed with exit status {out.returncode}")
        results[n] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def footer(script: str) -> list[str]:
    """The machine and the time, as the last lines of a section written by ``script``."""
    info = machine_info()
    return ["Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
            f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python benchmarks/{script}`."]


def update_results(section: str, markdown: str, *, path: Path | None = None,
                   first: bool = False) -> None:
    """Replace the text between ``<!-- section:start -->`` and ``<!-- section:end -->``.

    ``path`` defaults to ``RESULTS.md``; the section is appended when the file lacks it (or,
    with ``first``, put right under the file's title line), and the rest of the file is left
    as it was (other benchmarks own other sections).
    """
    path = RESULTS if path is None else path
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    elif first:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{block}\n\n{rest.lstrip()}".rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    write_whole(path, text)


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a partial file, so readers never see half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def drive(script: str, section: str, args: Any, measure: Callable[[], dict],
          markdown: Callable[[dict[int, dict]], str], extra: tuple[str, ...] = ()) -> None:
    """The shared end of a benchmark's ``main``.

    With ``args.threads`` set, pin that many threads, measure here and print the table (or
    the raw results as JSON with ``args.json``, for the parent process). Otherwise run the
    script once per thread count (1 and 2) in fresh processes with ``extra`` arguments, print
    the tables and, unless ``args.quick``, write them into ``section`` of RESULTS.md.
    """
    if args.threads is not None:
        limits = pin_threads(args.threads)  # noqa: F841 - the limits hold while it lives
        run = measure()
        print(json.dumps(run) if args.json else markdown({args.threads: run}))
        return
    text = markdown(run_per_thread_count(script, (1, 2), extra_args=extra))
    print(text)
    if not args.quick:
        update_results(section, text)
