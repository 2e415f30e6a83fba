"""Runs: the trainings the pages watch, each an append-only list of events, kept in memory.

A :class:`Run` is fed either by a training process the server started (a Boston column) or
by a :class:`~descend.serve.dashboard.Dashboard` callback inside someone's ``fit``. Pages read
a run's events from any index on (so a finished run stays viewable) and ask it to stop.

:class:`RunManager` keeps the last ``keep`` runs and starts at most ``max_active`` training
processes at once (a further one raises :class:`~descend.serve.validation.BusyError`). Trainings
run in worker processes (:mod:`descend.serve.worker`) because descend's grad mode and
random generator are process-wide: two fits in threads of one process would disturb each other.

>>> manager = RunManager(keep=2)
>>> run = manager.register("fit", "my model")
>>> run.emit({"type": "epoch", "epoch": 1, "loss": float("nan")})
>>> run.since(0)
[{'type': 'epoch', 'epoch': 1, 'loss': None, 'seq': 0}]
>>> run.finish("done"); run.status, run.finished
('done', True)
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import secrets
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from descend.serve import worker
from descend.serve.jsonsafe import clean
from descend.serve.validation import BusyError, RequestError

MAX_EVENTS = 20_000
"""Events one run keeps; past it, batch events are dropped, and past twice as many, epoch
events too (the end event is always kept)."""


SILENCE = 30.0
"""Seconds without news after which a run fed from another process is given up as lost."""

RUN_ID = re.compile(r"(fit|boston)-([0-9a-f]{8})-([1-9][0-9]{0,9})")
"""What a run id looks like: its kind, its server's token, its number (``fit-3fa2c1d0-7``)."""


def new_token() -> str:
    """A server's token: 8 random hex digits in each of its run ids, so a page or bookmark of
    a server that has since restarted names no run of the new one.

    >>> RUN_ID.fullmatch(f"fit-{new_token()}-1") is not None
    True
    """
    return secrets.token_hex(4)


class Listened:
    """Something a page's event stream sleeps on: it calls each ``wake()`` given to
    :meth:`listen` (from the thread that changed it) after each change, instead of being
    polled. Subclasses set ``_lock`` and ``_listeners`` and call the wakes."""

    _lock: threading.Lock
    _listeners: list[Callable[[], None]]

    def listen(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` after each change (a run's new events, a change of the runs list),
        until :meth:`unlisten`."""
        with self._lock:
            self._listeners.append(wake)

    def unlisten(self, wake: Callable[[], None]) -> None:
        """Stop calling ``wake``."""
        with self._lock:
            self._listeners.remove(wake)


class Run(Listened):
    """One training's events and state, shared between the training and the pages.

    Attributes:
        id: its identifier in URLs: the kind, the server's ``token``, a number
            (:data:`RUN_ID`).
        kind: ``"boston"`` or ``"fit"``.
        title: what the page calls it.
        info: fixed facts shown with it (settings, the model summary).
        status: ``"running"``, then ``"done"``, ``"stopped"``, ``"diverged"`` or ``"error"``.
        stop_requested: set by a Stop button or a closed page; the training stops after the
            batch.
    """

    _ids = itertools.count(1)
    remote = False
    """Whether a Dashboard in another process feeds it (through ``/api/fits``)."""

    def __init__(self, kind: str, title: str, info: dict[str, Any] | None = None, *,
                 token: str = "00000000") -> None:
        self.id = f"{kind}-{token}-{next(self._ids)}"
        self.kind, self.title, self.info = kind, title, clean(info or {})
        self.status = "running"
        self.created = time.time()
        self.stop_requested = threading.Event()
        self.last_seen = time.monotonic()
        self.histograms_at = -1
        """The ``seq`` of the newest event that brought weight histograms (-1: none yet)."""
        self.on_finish: Callable[[], None] = lambda: None
        self._events: list[dict[str, Any]] = []
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def finished(self) -> bool:
        """Whether the training has ended (its last event is in)."""
        return self.status != "running"

    def emit(self, event: dict[str, Any]) -> None:
        """Append one event (a dict with a ``type``); ``seq`` numbers them from 0."""
        self.emit_many([event])

    def emit_many(self, events: list[dict[str, Any]]) -> None:
        """Append several events at once (the pages get them in one message), then wake
        whoever :meth:`listen` s."""
        with self._lock:
            for event in events:
                kind, count = event.get("type"), len(self._events)
                if (count >= MAX_EVENTS and kind == "batch") or (count >= 2 * MAX_EVENTS
                                                                   and kind != "end"):
                    continue
                event = clean(event)
                event["seq"] = count
                if "histograms" in event:
                    self.histograms_at = count
                self._events.append(event)
            listeners = list(self._listeners)
        for wake in listeners:
            wake()

    def check_alive(self) -> None:
        """End a remote run whose process has sent nothing for :data:`SILENCE` seconds."""
        if self.remote and not self.finished and time.monotonic() - self.last_seen > SILENCE:
            self.finish("error", message=f"the training process sent nothing for "
                                         f"{SILENCE:g} s; it has probably ended")

    @property
    def count(self) -> int:
        """How many events the run has (the next event's ``seq``)."""
        return len(self._events)

    def since(self, index: int, limit: int | None = None) -> list[dict[str, Any]]:
        """The events from number ``index`` on, at most ``limit`` of them (a silent remote
        run is ended first)."""
        self.check_alive()
        with self._lock:
            return self._events[index:None if limit is None else index + limit]

    def finish(self, status: str, **details: Any) -> None:
        """End the run with ``status``; ``details`` go into a last ``end`` event."""
        if self.finished:
            return
        self.emit({"type": "end", "status": status, **details})
        self.status = status
        self.on_finish()

    def stop(self) -> None:
        """Ask the training to stop after its current batch."""
        self.stop_requested.set()

    def brief(self) -> dict[str, Any]:
        """What the dashboard's menu shows."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status,
                "created": self.created}

    def describe(self) -> dict[str, Any]:
        """What the runs list shows."""
        return {**self.brief(), "info": self.info}


class RunManager(Listened):
    """The runs of one server: the last ``keep`` of them, at most ``max_active`` processes.

    Args:
        keep: how many runs to remember (finished ones are forgotten oldest first).
        max_active: how many training processes may run at once.
        time_limit: seconds after which a training process is ended whatever it is doing.
    """

    def __init__(self, *, keep: int = 20, max_active: int = 4, time_limit: float = 600.0) -> None:
        if keep < 1 or max_active < 1:
            raise ValueError(f"RunManager: keep and max_active must be at least 1, got "
                             f"keep={keep}, max_active={max_active}")
        self.keep, self.max_active, self.time_limit = keep, max_active, time_limit
        self.token = new_token()
        self.version = 0
        """Counts the changes of the runs list (a run registered, ended or forgotten)."""
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._lock = threading.Lock()
        self._active: dict[str, tuple[Any, threading.Thread]] = {}
        self._listeners: list[Callable[[], None]] = []

    def register(self, kind: str, title: str, info: dict[str, Any] | None = None) -> Run:
        """A new run fed from this process (a Dashboard callback)."""
        run = Run(kind, title, info, token=self.token)
        self.register_run(run)
        return run

    def get(self, run_id: str) -> Run:
        """The run ``run_id``; a :class:`RequestError` (404) when it is not a run id, is a run
        of another server (one that ran here before a restart) or was forgotten.

        >>> RunManager().get("fit-0badc0de-1")
        Traceback (most recent call last):
        ...
        descend.serve.validation.RequestError: there is no run 'fit-0badc0de-1' here: it is a ...
        """
        run = self._runs.get(run_id)
        if run is None:
            err = RequestError(_unknown(run_id, self.token, self.keep))
            err.status = 404
            raise err
        return run

    def _changed(self) -> None:
        with self._lock:
            self.version += 1
            listeners = list(self._listeners)
        for wake in listeners:
            wake()

    def runs(self, kind: str | None = None) -> list[Run]:
        """The runs remembered, newest first (only those of ``kind`` when given)."""
        for run in list(self._runs.values()):
            run.check_alive()
        return [r for r in reversed(self._runs.values()) if kind in (None, r.kind)]

    @property
    def active(self) -> int:
        """How many training processes are running."""
        with self._lock:
            return len(self._active)

    def start(self, kind: str, title: str, settings: dict[str, Any],
              info: dict[str, Any] | None = None) -> Run:
        """Train with ``settings`` in a new ``train`` worker process; its events feed a new run.

        Raises:
            BusyError: when ``max_active`` trainings are already running.
        """
        with self._lock:
            if len(self._active) >= self.max_active:
                raise BusyError(f"busy: {self.max_active} trainings are already running; wait for "
                           f"one to finish, or stop one, and try again.")
            process = worker.spawn("train")
            run = Run(kind, title, info, token=self.token)
            pump = threading.Thread(target=self._pump, args=(run, process), daemon=True,
                                    name=f"descend-serve-{run.id}")
            self._active[run.id] = (process, pump)
        self.register_run(run)
        process.stdin.write(json.dumps(settings) + "\n")
        process.stdin.flush()
        pump.start()
        threading.Thread(target=self._watch, args=(run, process), daemon=True).start()
        return run

    def register_run(self, run: Run) -> None:
        """Remember ``run`` (and forget the oldest finished runs beyond ``keep``); the
        listeners hear of it, and of its end."""
        with self._lock:
            self._runs[run.id] = run
            finished = [r for r in self._runs.values() if r.finished]
            for old in finished[:max(0, len(self._runs) - self.keep)]:
                del self._runs[old.id]
        run.on_finish = self._changed
        self._changed()

    def _pump(self, run: Run, process: Any) -> None:
        """Move the worker's events into ``run`` until it ends (lines that are not events,
        such as something a library printed, are passed over)."""
        try:
            for line in process.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                if event.get("type") == "end":
                    run.finish(event.pop("status"), **{k: v for k, v in event.items()
                                                        if k != "type"})
                    break
                run.emit(event)
        finally:
            run.finish("error", message="the training process ended without finishing")
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with self._lock:
                self._active.pop(run.id, None)

    def _watch(self, run: Run, process: Any) -> None:
        """Pass a Stop to the worker; end it when it overstays ``time_limit`` or a stop."""
        deadline = time.monotonic() + self.time_limit
        while process.poll() is None and time.monotonic() < deadline:
            if run.stop_requested.wait(0.1):
                with contextlib.suppress(OSError, ValueError):
                    process.stdin.write("stop\n")
                    process.stdin.flush()
                deadline = min(deadline, time.monotonic() + 10)
                while process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                break
        if process.poll() is None:
            process.kill()

    def shutdown(self) -> None:
        """Stop every training process and wait for them (at most a few seconds each)."""
        with self._lock:
            active = list(self._active.items())
        for run_id, (_, pump) in active:
            self._runs[run_id].stop()
            pump.join(timeout=15)


def _unknown(run_id: str, token: str, keep: int) -> str:
    """Why there is no run ``run_id`` on the server whose token is ``token``."""
    match = RUN_ID.fullmatch(run_id)
    if match is None:
        return (f"there is no run {run_id!r}: run ids look like fit-3fa2c1d0-7 (the kind, the "
                f"server's token, a number).")
    if match.group(2) != token:
        return (f"there is no run {run_id!r} here: it is a run of another server (this one has "
                f"restarted since?); reload the page.")
    return (f"there is no run {run_id!r}; it may have finished long ago and been forgotten "
            f"(the server keeps the last {keep}).")
