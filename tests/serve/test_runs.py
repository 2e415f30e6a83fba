"""The run manager's handling of training processes, with stand-in processes."""

from __future__ import annotations

import io

from webtools import needs_web

from descend.serve import runs

pytestmark = needs_web


class FakeProcess:
    """What ``_pump`` reads from a worker: its output lines, then its exit."""

    def __init__(self, lines: list[str]) -> None:
        self.stdout = iter(lines)
        self.stdin = io.StringIO()
        self.waited = False

    def wait(self, timeout=None):
        self.waited = True
        return 0

    def poll(self):
        return 0 if self.waited else None


def test_lines_that_are_not_events_are_passed_over():
    manager = runs.RunManager()
    run = runs.Run("boston", "linear")
    manager.register_run(run)
    process = FakeProcess(["a library printed this\n", "[1, 2]\n",
                           '{"type": "epoch", "epoch": 1, "loss": 2.5}\n',
                           '{"type": "end", "status": "done", "epoch": 1}\n'])
    manager._active[run.id] = (process, None)
    manager._pump(run, process)
    assert [e["type"] for e in run.since(0)] == ["epoch", "end"]
    assert run.status == "done" and manager.active == 0 and process.waited


def test_a_process_that_ends_without_its_end_event_ends_the_run_as_an_error():
    manager = runs.RunManager()
    run = runs.Run("boston", "linear")
    process = FakeProcess(['{"type": "epoch", "epoch": 1}\n'])
    manager._pump(run, process)
    assert run.status == "error"
    assert run.since(0)[-1]["message"] == "the training process ended without finishing"


def test_keep_forgets_the_oldest_finished_runs_only():
    manager = runs.RunManager(keep=2)
    first = manager.register("fit", "first")  # still running: kept
    for name in ("a", "b", "c"):
        manager.register("fit", name).finish("done")
    assert [r.title for r in manager.runs()] == ["c", "first"]  # two, the running one kept
    assert manager.get(first.id) is first
