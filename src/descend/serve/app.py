"""The web application: pages, the JSON API, and live run events over Server-Sent Events.

Every computation with descend (Boston trainings, playground races and surfaces) runs in
a worker process (:mod:`descend.serve.worker`) — trainings one process each, at most
``max_active`` at once, the rest in two reused workers — so the event loop only moves JSON,
and a ``fit`` watched by a :class:`~descend.serve.dashboard.Dashboard` in this process is
never disturbed by descend's process-wide grad mode.

>>> from starlette.testclient import TestClient
>>> with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
...     client.get("/api/runs").json()
{'runs': []}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from descend.serve import boston, playground
from descend.serve.runs import Run, RunManager
from descend.serve.validation import BusyError, Form, RequestError, shown
from descend.serve.worker import Workers

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/boston": "boston.html", "/dashboard": "dashboard.html",
         "/playground": "playground.html"}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
EVENT_INTERVAL = 0.05
"""Seconds a page's event stream rests after each message: at most 20 messages a second per
page (what arrives meanwhile comes in the next message)."""
WAKE_INTERVAL = 1.0
"""Seconds an event stream of a run fed from another process waits for news before it looks
anyway (whether that process still lives); other streams sleep until there is news."""
MESSAGE_EVENTS = 500
"""Events one message carries at most: a page opening a long run gets it in bounded pieces
(one after another, without the rest of :data:`EVENT_INTERVAL`)."""
RETRY_MS = 1000
"""Milliseconds a page waits before it reconnects a dropped event stream (sent as ``retry:``)."""
SHUTDOWN = 2.0
"""Seconds Ctrl+C waits for the pages' open event streams (a dashboard's runs list never
ends by itself) before the server ends them."""
GRACE = 5.0
"""Seconds a page that stops its training when it goes (``close_stops``, the Boston page)
has to reconnect its dropped event stream before the training is stopped."""


def message(events: list[dict[str, Any]]) -> str:
    """One Server-Sent Events message: the ``seq`` of its last event as its ``id`` (what the
    browser sends back as ``Last-Event-ID`` when it reconnects), the events as its data.

    >>> message([{"type": "end", "status": "done", "seq": 7}])
    'id: 7\\ndata: [{"type": "end", "status": "done", "seq": 7}]\\n\\n'
    """
    return f"id: {events[-1]['seq']}\ndata: {json.dumps(events, allow_nan=False)}\n\n"


def latest_histograms(events: list[dict[str, Any]], newest: int) -> list[dict[str, Any]]:
    """``events`` without the weight histograms that the run's event number ``newest`` has
    replaced since (the page shows only the newest ones): a page opening or resuming a run
    gets one set of histograms, not one for every epoch it missed.

    >>> events = [{"seq": 0, "histograms": "old"}, {"seq": 1}, {"seq": 2, "histograms": "new"}]
    >>> latest_histograms(events, newest=2)
    [{'seq': 0}, {'seq': 1}, {'seq': 2, 'histograms': 'new'}]
    """
    return [{k: v for k, v in e.items() if k != "histograms"}
            if "histograms" in e and e["seq"] < newest else e for e in events]


def resume_point(run: Run, last_event_id: str) -> int:
    """Where a reconnecting page's stream resumes: just after the event numbered
    ``last_event_id`` (its ``Last-Event-ID`` header), so no event comes twice or goes missing.

    Only the number of an event this run has sent is accepted; anything else (not a whole
    number, or past the run's events) is a :class:`RequestError`, a 400 that ends the page's
    stream instead of resuming somewhere wrong (a run of a server that has restarted since is
    not found at all: run ids differ between servers).

    >>> run = RunManager().register("fit", "resumed"); run.emit_many([{"type": "batch"}] * 3)
    >>> resume_point(run, "1")
    2
    >>> resume_point(run, "3")
    Traceback (most recent call last):
    ...
    descend.serve.validation.RequestError: Last-Event-ID must be ... from 0 to 2, got '3'; ...
    """
    count = run.count
    if last_event_id.isascii() and last_event_id.isdigit() and int(last_event_id) < count:
        return int(last_event_id) + 1
    raise RequestError(f"Last-Event-ID must be the number of an event of run {run.id}, from 0 "
                       f"to {count - 1}, got {shown(last_event_id)}; reload the page.")


class EventStream(StreamingResponse):
    """A Server-Sent Events response that ends its messages' generator as soon as it ends
    (the page has gone, or the run has ended): the generator's ``finally`` (a page no longer
    listening, a Boston page gone) runs then, not whenever the generator is collected, as it
    would when the stream is cancelled while a message is being sent."""

    def __init__(self, messages: AsyncIterator[str]) -> None:
        super().__init__(messages, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache"})
        self.messages = messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.messages.aclose()  # type: ignore[attr-defined]


class News:
    """What an event stream sleeps on: set when its source (a :class:`Run` or the
    :class:`RunManager`, whatever has ``listen``/``unlisten``) has news. Nothing wakes the
    stream otherwise: when the page goes, the server cancels the stream (Starlette listens
    for the disconnect beside it)."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def _wake(self) -> None:  # called by the thread that emitted
        if not self._event.is_set():
            with contextlib.suppress(RuntimeError):  # the server has stopped meanwhile
                self._loop.call_soon_threadsafe(self._event.set)

    async def __aenter__(self) -> News:
        self.source.listen(self._wake)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.source.unlisten(self._wake)

    async def wait(self, timeout: float | None, sent: float) -> None:
        """Wait for news (at most ``timeout`` seconds), then until :data:`EVENT_INTERVAL`
        seconds have passed since the last message was ``sent`` (``loop.time()``): what comes
        meanwhile goes into the same next message (a source that sends less often, as a
        throttled Dashboard does, is not held up at all)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        rest = sent + EVENT_INTERVAL - self._loop.time()
        if rest > 0:
            await asyncio.sleep(rest)
        self._event.clear()


async def run_messages(run: Run, since: int) -> AsyncIterator[str]:
    """``run``'s events from number ``since`` on, as Server-Sent Events messages, each with
    everything new (at most :data:`MESSAGE_EVENTS` events, histograms only when no later
    event replaces them) and its last event's number as its ``id``, after a ``retry:``
    telling the browser how soon to reconnect; it sleeps until the run says it has news (no
    polling; a run fed from another process is looked at every :data:`WAKE_INTERVAL`
    seconds too), and ends after the run's ``end`` event or when the server cancels it (the
    page has gone)."""
    async with News(run) as news:
        yield f"retry: {RETRY_MS}\n\n"
        index, sent = since, -math.inf
        while True:
            finished = run.finished
            events = run.since(index, limit=MESSAGE_EVENTS)
            if events:
                index += len(events)
                yield message(latest_histograms(events, run.histograms_at))
                sent = asyncio.get_running_loop().time()
            if (events and events[-1]["type"] == "end") or (finished and run.count <= index):
                return
            if len(events) < MESSAGE_EVENTS:  # else more are waiting
                await news.wait(WAKE_INTERVAL if run.remote else None, sent)


async def runs_messages(manager: RunManager, kind: str | None) -> AsyncIterator[str]:
    """The list of runs (of ``kind``: id, kind, title, status, created), as a Server-Sent
    Events message now and after each change (a run started, ended or forgotten), at most
    one every :data:`EVENT_INTERVAL` seconds, each with the list's version as its ``id``."""
    async with News(manager) as news:
        yield f"retry: {RETRY_MS}\n\n"
        shown, sent = None, -math.inf
        while True:
            version = manager.version
            runs = manager.runs(kind)  # (a remote run fallen silent ends here: a change)
            if version != shown:
                shown, sent = version, asyncio.get_running_loop().time()
                yield f"id: {version}\ndata: {json.dumps({'runs': [r.brief() for r in runs]})}\n\n"
            remote = any(r.remote and not r.finished for r in runs)
            await news.wait(WAKE_INTERVAL if remote else None, sent)


def hostname(value: str) -> str:
    """The host part of a ``Host`` header or an origin URL, lowercase, without the port.

    >>> hostname("127.0.0.1:8000"), hostname("http://LOCALHOST:8000"), hostname("[::1]:80")
    ('127.0.0.1', 'localhost', '[::1]')
    """
    value = value.strip().lower().split("://", 1)[-1].split("/", 1)[0]
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheck:
    """Refuse requests whose ``Host`` or ``Origin`` names another host (DNS rebinding): a page
    from elsewhere cannot drive trainings on this machine through a name that resolves here."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app, self.allowed = app, {hostname(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            bad = [f"{k} {v!r}" for k in ("host", "origin") if (v := headers.get(k)) is not None
                   and hostname(v) not in self.allowed]
            if bad or "host" not in headers:
                response = JSONResponse(
                    {"error": f"refused: the {' and '.join(bad) or 'missing host'} is not this "
                              f"server ({', '.join(sorted(self.allowed))})."}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Server:
    """The state behind one app: its runs and its compute workers; the endpoints."""

    def __init__(self, manager: RunManager) -> None:
        self.manager = manager
        self.workers = Workers()
        self._boston_info: dict[str, Any] | None = None
        self._watchers: dict[str, int] = {}
        self._leaving: dict[str, asyncio.TimerHandle] = {}

    async def compute(self, name: str, *args: Any) -> Any:
        """``worker.CALLS[name](*args)`` in a compute worker, awaited."""
        return await asyncio.to_thread(self.workers.call, name, *args)

    def close(self) -> None:
        """Stop the trainings and the workers."""
        self.manager.shutdown()
        self.workers.close()

    async def boston_info(self, request: Request) -> Response:
        if self._boston_info is None:
            self._boston_info = await self.compute("boston_info")
        return JSONResponse(self._boston_info)

    async def boston_train(self, request: Request) -> Response:
        settings = boston.parse_settings(await _json(request))
        title = boston.demo.MODELS[settings["model"]][0]
        run = self.manager.start("boston", title, settings, info=settings)
        return JSONResponse({"run": run.id, "settings": settings})

    async def fit_open(self, request: Request) -> Response:
        """A Dashboard in another process opens a run: ``{"title": ..., "info": {...}}``."""
        form = Form(await _json(request, limit=1_000_000), known=("title", "info"))
        title, info = form.values.get("title"), form.values.get("info", {})
        if not isinstance(title, str) or not 0 < len(title) <= 200:
            raise RequestError("title must be a name of 1 to 200 characters.")
        if not isinstance(info, dict):
            raise RequestError("info must be a JSON object.")
        run = self.manager.register("fit", title, info)
        run.remote = True
        return JSONResponse({"run": run.id})

    async def fit_events(self, request: Request) -> Response:
        """Events from a Dashboard in another process: ``{"events": [...], "end": status}``;
        the answer says whether the page asked it to stop."""
        run = self.manager.get(request.path_params["run_id"])
        form = Form(await _json(request, limit=5_000_000), known=("events", "end"))
        events = form.values.get("events", [])
        if not getattr(run, "remote", False) or run.finished:
            raise RequestError(f"run {run.id} does not take events from outside.")
        if not isinstance(events, list) or not all(
                isinstance(e, dict) and e.get("type") in ("batch", "epoch", "weights")
                for e in events):
            raise RequestError("events must be a list of batch, epoch or weights events.")
        run.last_seen = time.monotonic()
        run.emit_many(events)
        if "end" in form.values:
            run.finish(form.choice("end", "done", ("done", "stopped")))
        return JSONResponse({"stop": run.stop_requested.is_set()})

    async def runs(self, request: Request) -> Response:
        return JSONResponse({"runs": [r.describe() for r in self.manager.runs(_kind(request))]})

    async def runs_stream(self, request: Request) -> Response:
        """The list of runs (``?kind=fit``: only the fits) as Server-Sent Events: now and after
        each change, so the dashboard's menu shows a new fit at once, without polling."""
        return EventStream(runs_messages(self.manager, _kind(request)))

    async def run(self, request: Request) -> Response:
        """One run as the runs list shows it, with how many events it has (its events come
        through :meth:`events`, so opening a long run costs a small answer)."""
        run = self.manager.get(request.path_params["run_id"])
        return JSONResponse({**run.describe(), "event_count": run.count})

    async def stop(self, request: Request) -> Response:
        run = self.manager.get(request.path_params["run_id"])
        run.stop()
        return JSONResponse({"run": run.id, "stopping": not run.finished})

    async def events(self, request: Request) -> Response:
        """The run's events from ``since`` on as Server-Sent Events, then an ``end``.

        A browser reconnecting after a dropped stream sends ``Last-Event-ID``: the stream then
        resumes just after that event (see :func:`resume_point`), whatever ``since`` says.
        With ``close_stops=true`` (the Boston page) a page that goes away stops the training.
        """
        run = self.manager.get(request.path_params["run_id"])
        form = Form(dict(request.query_params), known=("since", "close_stops"))
        since = form.integer("since", 0, low=0, high=10**9)
        close_stops = form.flag("close_stops", False)
        last_event_id = request.headers.get("last-event-id", "")
        if last_event_id:
            since = resume_point(run, last_event_id)

        async def stream() -> AsyncIterator[str]:
            if close_stops:
                self._watched(run, +1)
            try:
                async with contextlib.aclosing(run_messages(run, since)) as messages:
                    async for message in messages:
                        yield message
            finally:
                if close_stops:
                    self._watched(run, -1)

        return EventStream(stream())

    def _watched(self, run: Run, change: int) -> None:
        """Count the ``close_stops`` pages following ``run``; when the last one has gone, stop
        the run unless one comes back within :data:`GRACE` seconds (a reconnect after a blip
        of the stream is no reason to stop a training)."""
        count = self._watchers.pop(run.id, 0) + change
        if count:
            self._watchers[run.id] = count
        leaving = self._leaving.pop(run.id, None)
        if leaving is not None:  # it came back in time
            leaving.cancel()
        if not count and not run.finished:
            self._leaving[run.id] = asyncio.get_running_loop().call_later(GRACE, self._left, run)

    def _left(self, run: Run) -> None:
        del self._leaving[run.id]
        run.stop()

    async def problems(self, request: Request) -> Response:
        names = list(playground.PROBLEMS)
        described = await self.compute("describe_all", names)
        return JSONResponse({"problems": described, "optimizers": list(boston.optim.OPTIMIZERS),
                             "schedules": list(playground.SCHEDULES),
                             "limits": {"racers": playground.MAX_RACERS,
                                        "steps": playground.MAX_STEPS}})

    async def surface(self, request: Request) -> Response:
        spec = playground.parse_surface(dict(request.query_params))
        return JSONResponse(await self.compute("surface", spec))

    async def race(self, request: Request) -> Response:
        spec = playground.parse_race(await _json(request))
        return JSONResponse(await self.compute("race", spec))


def _kind(request: Request) -> str | None:
    """The ``kind`` asked for (``fit`` or ``boston``), or None for every run."""
    form = Form(dict(request.query_params), known=("kind",))
    return form.choice("kind", "fit", ("fit", "boston")) if "kind" in form.values else None


async def _json(request: Request, limit: int = 100_000) -> Any:
    body = await request.body()
    if len(body) > limit:
        raise RequestError(f"the request is too large (at most {limit // 1000:,} kB).")
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise RequestError("the request body must be JSON, such as {\"epochs\": 200}.") from None


async def _refused(request: Request, err: Exception) -> Response:
    return JSONResponse({"error": str(err)}, status_code=getattr(err, "status", 400))


async def _failed(request: Request, err: Exception) -> Response:
    return JSONResponse({"error": f"the server could not do that: {err}"}, status_code=500)


async def _no_icon(request: Request) -> Response:
    return Response(status_code=204)


def _page(name: str) -> Callable[[Request], Any]:
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / name)

    return page


def create_app(manager: RunManager | None = None, *, allowed_hosts: Iterable[str] = ()
               ) -> ASGIApp:
    """The ASGI app: the pages, ``/api/...`` and ``/static/...``.

    Args:
        manager: the runs it serves (a new :class:`RunManager` by default).
        allowed_hosts: host names accepted besides the loopback ones (the ``--host`` given).
    """
    server = Server(manager or RunManager())
    routes = [Route(path, _page(name)) for path, name in PAGES.items()]
    routes += [
        Route("/favicon.ico", _no_icon),
        Route("/api/boston", server.boston_info),
        Route("/api/boston/train", server.boston_train, methods=["POST"]),
        Route("/api/fits", server.fit_open, methods=["POST"]),
        Route("/api/fits/{run_id}/events", server.fit_events, methods=["POST"]),
        Route("/api/runs", server.runs),
        Route("/api/runs/changes", server.runs_stream),  # (before {run_id}: not a run id)
        Route("/api/runs/{run_id}", server.run),
        Route("/api/runs/{run_id}/events", server.events),
        Route("/api/runs/{run_id}/stop", server.stop, methods=["POST"]),
        Route("/api/playground/problems", server.problems),
        Route("/api/playground/surface", server.surface),
        Route("/api/playground/race", server.race, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await asyncio.get_running_loop().run_in_executor(None, server.close)

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={RequestError: _refused, BusyError: _refused,
                                        RuntimeError: _failed})
    app.state.server = server
    return HostCheck(app, [*LOOPBACK, *allowed_hosts])


def serve(host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = False) -> None:
    """Run the server until Ctrl+C (what ``descend serve`` does).

    A host other than the loopback ones makes the pages reachable from other machines:
    a warning says so.
    """
    import uvicorn

    if hostname(host) not in LOOPBACK:
        print(f"descend serve: warning: listening on {host}, so other machines can reach "
              f"these pages and start trainings here; use --host 127.0.0.1 to keep it local.",
              file=sys.stderr)
    wildcard = host in ("0.0.0.0", "::")
    url = f"http://{'127.0.0.1' if wildcard else host}:{port}/"
    print(f"descend serve: {url} (Boston Housing {url}boston, dashboard {url}dashboard, "
          f"playground {url}playground); Ctrl+C stops")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    allowed = [host, *(machine_names() if wildcard else [])]
    uvicorn.run(create_app(allowed_hosts=allowed), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=SHUTDOWN)


def machine_names() -> list[str]:
    """This machine's host name and addresses: what other machines call it when the server
    listens on every interface (``--host 0.0.0.0``).

    >>> "127.0.0.1" in machine_names() or len(machine_names()) >= 1
    True
    """
    name = socket.gethostname()
    names = {name, socket.getfqdn()}
    with contextlib.suppress(OSError):
        names.update(info[4][0] for info in socket.getaddrinfo(name, None))
    return sorted(names)
