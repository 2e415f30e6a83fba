"""A run fed to a ``descend serve`` in another process: a Dashboard's events go there by HTTP.

When ``descend serve`` already listens on the Dashboard's port, the fit's events are posted to
it (batched, from a background thread, so ``fit`` never waits for the network) and the page's
Stop comes back in the answers. The server accepts these posts only from this machine's own
host names, like every other request.

>>> probe(1) is None   # nothing listens on port 1
True
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from typing import Any

from descend.serve.jsonsafe import clean

POST_INTERVAL = 0.1
"""Seconds between two posts of buffered events."""

HEARTBEAT = 2.0
"""Seconds after which a post is sent even without events, so the server knows the fit lives
(it gives a run up after :data:`descend.serve.runs.SILENCE` seconds without one)."""


def _request(port: int, method: str, path: str, body: Any = None,
             timeout: float = 5.0) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(clean(body), allow_nan=False)
        connection.request(method, path, body=payload,
                           headers={"Host": f"127.0.0.1:{port}",
                                    "Content-Type": "application/json"})
        response = connection.getresponse()
        data = json.loads(response.read() or b"null")
        if response.status != 200:
            raise RuntimeError(f"descend serve at port {port} refused {path}: "
                               f"{(data or {}).get('error', response.status)}")
        return data
    finally:
        connection.close()


def probe(port: int) -> str | None:
    """The URL of a ``descend serve`` answering on 127.0.0.1:``port``, or None."""
    try:
        answer = _request(port, "GET", "/api/runs?kind=fit", timeout=0.5)
    except (OSError, ValueError, RuntimeError):
        return None
    return f"http://127.0.0.1:{port}/" if isinstance(answer, dict) and "runs" in answer else None


class RemoteRun:
    """The Dashboard's view of a run kept by another process's server (see :class:`Run`)."""

    def __init__(self, port: int, title: str, info: dict[str, Any]) -> None:
        self.port = port
        self.id = _request(port, "POST", "/api/fits", {"title": title, "info": info})["run"]
        self.stop_requested = threading.Event()
        self.status = "running"
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._posted = time.monotonic()
        self._thread = threading.Thread(target=self._post_loop, daemon=True,
                                        name=f"descend-dashboard-{self.id}")
        self._thread.start()

    def emit_many(self, events: list[dict[str, Any]]) -> None:
        """Queue events for the next post."""
        with self._lock:
            self._buffer.extend(events)

    def stop(self) -> None:
        """Ask the training to stop after its current batch."""
        self.stop_requested.set()

    def finish(self, status: str) -> None:
        """Post what is left with the end of the run, and stop posting."""
        self.status = status
        self._done.set()
        self._thread.join(timeout=10)

    def _post(self, end: str | None = None) -> None:
        with self._lock:
            events, self._buffer = self._buffer, []
        if not events and end is None and time.monotonic() - self._posted < HEARTBEAT:
            return
        self._posted = time.monotonic()
        answer = _request(self.port, "POST", f"/api/fits/{self.id}/events",
                          {"events": events, **({"end": end} if end else {})})
        if answer.get("stop"):
            self.stop_requested.set()

    def _post_loop(self) -> None:
        while not self._done.wait(POST_INTERVAL):
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self._post()
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            self._post(end=self.status)
