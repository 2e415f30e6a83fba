"""The suite's view of the scripts written before it: ``mlp_step``, ``fit_overhead``,
``optim_step``.

Each keeps its own command line and RESULTS.md section; here each becomes a
:class:`suite.Bench` (measure / markdown / targets) so that ``run.py`` runs it with the rest,
and adds issue 8's targets for it to the summary.
"""

from __future__ import annotations

import fit_overhead
import mlp_step
import optim_step
import suite
from harness import others_load, paired_ratio

# --- mlp_step: one SGD step of the 784-256-256-10 MLP -----------------------------------------

MLP_TARGETS = ((1024, 1.10, "hand NumPy"), (128, 1.15, "hand NumPy"), (32, 1.20, "hand NumPy"),
               (1, 1.4, "the hand step with `np.dot`"))
"""Issue 8: (batch, most descend/NumPy allowed, what the baseline is)."""


def mlp_measure(quick: bool, threads: int) -> dict:
    """``mlp_step.measure`` at every batch size (5 short rounds when ``quick``), and the
    paired ratio descend/torch per batch."""
    run = mlp_step.measure(mlp_step.BATCHES, rounds=5 if quick else 25,
                           min_time=0.02 if quick else 0.1,
                           settle=suite.settle_for(threads))
    run["descend/torch"] = {batch: paired_ratio(entries, "descend", "torch")
                            for batch, entries in run["batches"].items() if "torch" in entries}
    return run


def mlp_targets(runs: dict[int, dict]) -> list[suite.Target]:
    """descend/NumPy at each batch size, and descend/torch at batch 32."""
    def ratio(batch: int, torch: bool = False):
        def figure(run: dict) -> tuple[float, float | None] | None:
            entry = (run["descend/torch"] if torch else
                     {b: e["descend"] for b, e in run["batches"].items()}).get(str(batch))
            return None if entry is None else (entry["ratio"], run["others"][str(batch)])
        return figure

    def torch_note(batch: int) -> str:
        entries = runs[min(runs)]["batches"].get(str(batch), {})
        return f"torch {entries['torch']['ratio']:.2f}×" if "torch" in entries else ""

    rows = [suite.target(f"MLP step, batch {batch}", f"≤ {limit:.2f}× {baseline}", limit, runs,
                         ratio(batch), note=torch_note(batch))
            for batch, limit, baseline in MLP_TARGETS]
    rows.insert(3, suite.target("MLP step, batch 32", "faster than PyTorch (descend/torch < 1)",
                                1.0, runs, ratio(32, torch=True)))
    return rows


MLP = suite.Bench("mlp_step", mlp_step.__file__,
                  "SGD step of the 784-256-256-10 MLP at batch 1, 32, 128, 1024", mlp_measure,
                  mlp_targets, render=lambda runs, note: mlp_step.results_markdown(runs,
                                                                                   note=note))

# --- fit_overhead: Model.fit against the bare loop ----------------------------------------------


def fit_measure(quick: bool, threads: int) -> dict:
    """``fit_overhead.measure`` on all its workloads, as its own script runs them."""
    return fit_overhead.measure(list(fit_overhead.workloads()), rounds=5 if quick else 15,
                                min_time=0.05 if quick else 0.2)


def fit_targets(runs: dict[int, dict]) -> list[suite.Target]:
    """fit / loop per workload, at most ``fit_overhead.TARGET``."""
    def ratio(name: str):
        def figure(run: dict) -> tuple[float, float | None]:
            return run["workloads"][name]["fit"]["ratio"], run["others"][name]
        return figure

    labels = {name: w.label for name, w in fit_overhead.workloads().items()}
    names = runs[min(runs)]["workloads"]
    return [suite.target(f"`fit` per-batch overhead, {labels[name]}, batch {fit_overhead.BATCH}",
                         f"≤ {fit_overhead.TARGET:.2f}× the bare loop", fit_overhead.TARGET,
                         runs, ratio(name)) for name in names]


FIT = suite.Bench("fit_overhead", fit_overhead.__file__,
                  "Model.fit's per-batch overhead over the bare loop", fit_measure, fit_targets,
                  render=lambda runs, note: fit_overhead.results_markdown(runs, note=note))

# --- optim_step: optimizer.step() on 1M parameters ----------------------------------------------

OPTIM_TARGET = 1.5
"""Issue 8: descend's ``step()`` at most 1.5× torch.optim's single-tensor implementation."""


def optim_measure(quick: bool, threads: int) -> dict:
    """``optim_step.measure`` on 1M parameters (100k when ``quick``), with the CPU load."""
    total, rounds, tensors = (100_000, 5, 10) if quick else (1_000_000, 15, 10)
    with others_load() as load:
        configs = optim_step.measure(threads, total=total, tensors=tensors, rounds=rounds)
    return {"configs": configs, "others": load.get("others"), "total": total,
            "tensors": tensors}


def optim_markdown(runs: dict[int, dict], note: str) -> str:
    """``optim_step.table`` with the note under its heading."""
    first = runs[min(runs)]
    heading, rest = optim_step.table({t: r["configs"] for t, r in runs.items()},
                                     first["total"], first["tensors"]).split("\n", 1)
    return f"{heading}\n\n*{note}*\n{rest}" if note else f"{heading}\n{rest}"


def optim_targets(runs: dict[int, dict]) -> list[suite.Target]:
    """The slowest optimizer relative to torch's single-tensor ``step()``."""
    def compared(run: dict) -> dict[str, float]:
        return {label: c["descend"]["ratio"] for label, c in run["configs"].items()
                if "torch single" in c}

    def worst(run: dict) -> tuple[float, float | None] | None:
        ratios = compared(run)
        return (max(ratios.values()), run["others"]) if ratios else None

    first = runs[min(runs)]
    ratios = compared(first)
    note = f"slowest at 1 thread: {max(ratios, key=ratios.get)}" if ratios else "needs torch"
    return [suite.target(f"optimizer `step()` on {first['total']:,} parameters, slowest of "
                         f"{len(first['configs'])}", f"≤ {OPTIM_TARGET}× torch.optim "
                         "(single-tensor)", OPTIM_TARGET, runs, worst, note=note)]


OPTIM = suite.Bench("optim_step", optim_step.__file__,
                    "optimizer step() on 1M parameters, 13 optimizers", optim_measure,
                    optim_targets, render=optim_markdown)
