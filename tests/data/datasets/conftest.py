"""Helpers for the IDX tests: write IDX files, and serve a folder over HTTP on 127.0.0.1."""

from __future__ import annotations

import functools
import gzip
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest


def _idx_bytes(values: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, values.ndim]) + b"".join(d.to_bytes(4, "big") for d in values.shape)
    return header + values.astype(np.uint8).tobytes()


@pytest.fixture(scope="session")
def idx_bytes():
    """The IDX encoding of a uint8 array: magic, big-endian dimensions, then the values."""
    return _idx_bytes


@pytest.fixture(scope="session")
def write_idx():
    """Write an array as a gzipped IDX file; returns the path."""

    def write(path: Path, values: np.ndarray, *, level: int = 1) -> Path:
        path.write_bytes(gzip.compress(_idx_bytes(values), compresslevel=level, mtime=0))
        return path

    return write


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def serve(monkeypatch):
    """Serve folders over HTTP on 127.0.0.1; returns a function folder -> base URL."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
