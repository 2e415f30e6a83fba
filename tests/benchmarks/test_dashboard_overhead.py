"""The Dashboard-overhead benchmark's watcher behaves as an open page (checked, never timed)."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import pytest
from bench_support import load

import descend as dc

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")


def test_the_watcher_follows_each_dashboards_run_to_its_end():
    from descend.serve.local import ensure_server

    bench = load("dashboard_overhead")
    stop, boards = threading.Event(), queue.Queue()
    watcher = threading.Thread(target=bench.watch, args=(ensure_server(port=0).url, stop, boards),
                               daemon=True)
    watcher.start()
    board = dc.callbacks.Dashboard(port=0, quiet=True)
    followed = []

    class WaitForThePage(dc.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            deadline = time.monotonic() + 30
            while not board.run._listeners and time.monotonic() < deadline:
                time.sleep(0.01)
            followed.append(bool(board.run._listeners))

    boards.put(board)
    model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0,
              callbacks=[board, WaitForThePage()])
    deadline = time.monotonic() + 30
    while board.run._listeners and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    assert followed == [True, True] and not board.run._listeners  # the stream ended with it
