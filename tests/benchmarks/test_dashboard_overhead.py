"""The Dashboard-overhead benchmark's watcher behaves as an open page (checked, never timed)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from bench_support import load

import descend as dc

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")


def test_the_watcher_follows_each_dashboards_run_to_its_end():
    """The page, played by another process, hears of each new fit from the pushed list of
    runs and follows its events until its end."""
    from descend.serve.local import ensure_server

    bench = load("dashboard_overhead")
    page = bench.open_page(ensure_server(port=0).url)
    try:
        board = dc.callbacks.Dashboard(port=0, quiet=True)
        followed = []

        class WaitForThePage(dc.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                deadline = time.monotonic() + 30
                while not board.run._listeners and time.monotonic() < deadline:
                    time.sleep(0.01)
                followed.append(bool(board.run._listeners))

        model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0,
                  callbacks=[board, WaitForThePage()])
        deadline = time.monotonic() + 30
        while board.run._listeners and time.monotonic() < deadline:
            time.sleep(0.01)
        assert followed == [True, True] and not board.run._listeners  # it ended with the run
        assert page.poll() is None  # still watching for the next fit
    finally:
        page.kill()
        page.wait()
