"""The server a :class:`~descend.serve.dashboard.Dashboard` starts inside the training
process: uvicorn in a background thread, started once and reused by every later fit.

>>> running() is None or running().url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

from descend.serve.runs import RunManager


@dataclass
class LocalServer:
    """A running in-process server: its address and the runs it shows."""

    url: str
    manager: RunManager
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.url.rstrip("/").rsplit(":", 1)[1])


_server: LocalServer | None = None
_lock = threading.Lock()


def web_stack() -> None:
    """Check that the ``web`` extra is installed; an ImportError says how to install it.

    >>> web_stack()  # Starlette and uvicorn are here
    """
    import importlib.util

    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"descend serve and dc.callbacks.Dashboard need the web extra "
                          f"({' and '.join(missing)} missing): pip install 'descend[web]'")


def running() -> LocalServer | None:
    """The server this process started, if any."""
    return _server


def _socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``port``, or on a free port when that one is taken."""
    for candidate in (port, 0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((host, candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock
    raise OSError(f"Dashboard: could not listen on {host}")


def ensure_server(*, port: int = 8000, keep: int = 20, host: str = "127.0.0.1") -> LocalServer:
    """The in-process server, started on first use (on ``port``, or a free port if taken).

    Args:
        port: the port to try first.
        keep: how many runs it remembers (the oldest finished ones are forgotten).
        host: the address to listen on (loopback by default).
    """
    global _server
    with _lock:
        if _server is not None and _server.thread.is_alive():
            _server.manager.keep = max(_server.manager.keep, keep)
            return _server
        web_stack()
        import uvicorn

        from descend.serve.app import create_app

        manager = RunManager(keep=keep)
        sock = _socket(host, port)
        config = uvicorn.Config(create_app(manager), log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                  name="descend-dashboard-server")
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.01)
        with contextlib.suppress(OSError):
            port = sock.getsockname()[1]
        _server = LocalServer(f"http://{host}:{port}/", manager, thread)
        return _server
