"""Worker processes: ``python -m descend.serve.worker train|compute``, talking JSON lines.

The server runs every computation with descend in a worker of its own, because descend's
grad mode and random generator are process-wide (two fits in threads of one process would
disturb each other). Workers are plain subprocesses reading and writing one JSON object per
line, so nothing is pickled, nothing re-imports the caller's script, and a worker whose
server goes away sees its input close and ends.

* ``train``: reads one line of Boston settings, writes one event per line (the last of type
  ``end``); a line ``stop`` on its input stops the training after the current batch.
* ``compute``: answers ``{"call": NAME, "args": [...]}`` lines with ``{"result": ...}`` or
  ``{"error": ...}`` lines; ``NAME`` is looked up in :data:`CALLS` (nothing is evaluated).

>>> sorted(CALLS)
['boston_info', 'describe_all', 'race', 'surface']
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from descend.serve.jsonsafe import clean
from descend.serve.validation import RequestError


def _describe_all(names: list[str]) -> dict[str, Any]:
    from descend.serve import playground

    return {name: playground.describe(name) for name in names}


def _call(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(f"descend.serve.{module}"), name)(*args)

    return call


CALLS: dict[str, Callable[..., Any]] = {
    "boston_info": _call("boston", "page_info"),
    "describe_all": _describe_all,
    "surface": _call("playground", "surface"),
    "race": _call("playground", "race"),
}
"""The functions a ``compute`` worker runs, by name."""


def spawn(mode: str) -> subprocess.Popen:
    """Start a worker (``"train"`` or ``"compute"``) with pipes to its input and output."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-m", "descend.serve.worker", mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                            env=env)


class Workers:
    """Up to ``size`` ``compute`` workers, started when first needed and reused.

    >>> workers = Workers(size=1)
    >>> workers.call("describe_all", ["beale"])["beale"]["minimum"]
    [3.0, 0.5]
    >>> workers.close()
    """

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._idle: list[subprocess.Popen] = []
        self._count = 0
        self._ready = threading.Condition()

    def call(self, name: str, *args: Any) -> Any:
        """``CALLS[name](*args)`` in a worker; its error comes back as a RuntimeError."""
        with self._ready:
            while not self._idle and self._count >= self.size:
                self._ready.wait()
            if self._idle:
                process = self._idle.pop()
            else:
                process, self._count = spawn("compute"), self._count + 1
        answer = None
        try:
            _write(process.stdin, {"call": name, "args": list(args)})
            answer = json.loads(process.stdout.readline() or "null")
        finally:
            with self._ready:
                if answer is None:  # the worker died: forget it, a new one starts next time
                    self._count -= 1
                    process.kill()
                else:
                    self._idle.append(process)
                self._ready.notify()
        if answer is None:
            raise RuntimeError(f"the computation {name!r} ended its worker process")
        if "refused" in answer:
            raise RequestError(answer["refused"])
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def close(self) -> None:
        """End the idle workers (they exit when their input closes)."""
        with self._ready:
            for process in self._idle:
                process.stdin.close()
                process.wait(timeout=10)
            self._count -= len(self._idle)
            self._idle.clear()


def _write(stream: IO[str], value: Any) -> None:
    stream.write(json.dumps(clean(value), allow_nan=False) + "\n")
    stream.flush()


def train(stdin: IO[str], stdout: IO[str]) -> None:
    """The ``train`` worker's body."""
    from descend.serve import boston

    settings = json.loads(stdin.readline())
    stop = threading.Event()

    def listen() -> None:
        for line in stdin:
            if line.strip() == "stop":
                break
        stop.set()  # "stop", or the server closed our input: stop either way

    threading.Thread(target=listen, daemon=True).start()
    try:
        boston.train(settings, lambda event: _write(stdout, event), stop)
    except Exception as err:  # reported to the page rather than lost with the process
        _write(stdout, {"type": "end", "status": "error", "message": f"{type(err).__name__}: "
                                                                     f"{err}"})


def compute(stdin: IO[str], stdout: IO[str]) -> None:
    """The ``compute`` worker's body."""
    for line in stdin:
        request = json.loads(line)
        try:
            _write(stdout, {"result": CALLS[request["call"]](*request["args"])})
        except RequestError as err:
            _write(stdout, {"refused": str(err)})
        except Exception as err:
            _write(stdout, {"error": f"{type(err).__name__}: {err}"})


if __name__ == "__main__":
    {"train": train, "compute": compute}[sys.argv[1]](sys.stdin, sys.stdout)
