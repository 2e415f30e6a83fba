"""dc.callbacks.Dashboard: what it records, how often, and that Stop stops the fit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from webtools import needs_web

import descend as dc
from descend.serve import dashboard, runs
from descend.serve.local import ensure_server

pytestmark = needs_web


def data(rows: int = 64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32))


def model():
    dc.seed(0)
    net = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=3), dc.nn.Dense(1)])
    net.compile(optimizer=dc.optim.SGD(lr=0.01), loss="mse", metrics=["mae"])
    return net


def test_import_descend_does_not_import_the_web_stack():
    code = ("import sys, descend; descend.callbacks.EarlyStopping; "
            "print(any(m.split('.')[0] in ('starlette', 'uvicorn') or m.startswith("
            "'descend.serve') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert dc.callbacks.Dashboard is dashboard.Dashboard


def test_dashboard_records_epochs_with_val_metrics_and_ends_the_run(capsys):
    board = dc.callbacks.Dashboard("small", port=0)
    history = model().fit(*data(), epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                          callbacks=[board])
    assert board.url == f"{ensure_server().url}dashboard?run={board.run.id}"
    assert capsys.readouterr().out == f"Dashboard: {board.url}\n"
    events = board.run.since(0)
    epochs = [e for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert epochs[-1]["logs"]["val_mae"] == history.history["val_mae"][-1]
    assert epochs[0]["lr"] == 0.01 and epochs[0]["step"] == 3
    drawn = next(e for e in epochs if "grad_norms" in e)  # the newest epoch of a message
    assert set(drawn["grad_norms"]) == {"0", "1"}
    assert sum(events[-2]["histograms"]["0"]["counts"]) == 3 * 4 + 4
    assert events[-2]["type"] == "weights" and events[-1] == {
        "type": "end", "status": "done", "seq": len(events) - 1}
    assert "Dense" in board.run.info["summary"] and board.run.title == "small"


def test_updates_are_throttled_into_few_messages_that_keep_every_epoch():
    board = dc.callbacks.Dashboard(port=0, quiet=True, rate=1e-3)  # one message in 1000 s
    messages = []

    class Listen(dc.callbacks.Callback):
        def on_train_begin(self, logs=None):
            board.run.listen(lambda: messages.append(len(board.run.since(0))))

    history = model().fit(*data(256), epochs=5, batch_size=8, verbose=0,
                          callbacks=[board, Listen()])
    events = board.run.since(0)
    assert [e["type"] for e in events] == ["batch"] + ["epoch"] * 5 + ["weights", "end"]
    assert events[0]["step"] == 1 and [e["step"] for e in events[1:6]] == [32, 64, 96, 128, 160]
    assert [e["logs"]["loss"] for e in events[1:6]] == history.history["loss"]
    assert messages == [1, 7, 8]  # the first batch; every epoch with the weights; the end


def test_the_end_of_a_fit_computes_the_weight_histograms_once(monkeypatch):
    """The last epochs, flushed at the end with the ``weights`` event, do not bring a second
    histogram of the same weights."""
    calls = []
    monkeypatch.setattr(dashboard, "histograms",
                        lambda *args: calls.append(1) or {"0": {"edges": [], "counts": []}})
    board = dc.callbacks.Dashboard(port=0, quiet=True, rate=1e-3)  # everything at the end
    model().fit(*data(), epochs=3, batch_size=16, verbose=0, callbacks=[board])
    events = board.run.since(0)
    assert len(calls) == 1 and events[-2]["type"] == "weights"
    assert not any("histograms" in e for e in events[:-2]) and "grad_norms" in events[-3]


def test_stop_from_the_page_sets_stop_training():
    class PressStop(dc.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                board.run.stop()

    board = dc.callbacks.Dashboard(port=0, quiet=True)
    history = model().fit(*data(), epochs=50, batch_size=16, verbose=0,
                          callbacks=[board, PressStop()])
    assert len(history.history["loss"]) == 3  # stopped after the first batch of epoch 3
    assert board.run.status == "stopped"


def test_several_fits_get_their_own_runs_and_only_the_last_n_are_kept():
    boards = [dc.callbacks.Dashboard(f"fit {i}", port=0, quiet=True, keep=3) for i in range(5)]
    for board in boards:
        model().fit(*data(), epochs=1, batch_size=32, verbose=0, callbacks=[board])
    kept = [r.title for r in ensure_server().manager.runs("fit")][:3]
    assert kept == ["fit 4", "fit 3", "fit 2"]
    assert len({b.run.id for b in boards}) == 5


def test_a_run_keeps_a_bounded_number_of_events(monkeypatch):
    monkeypatch.setattr(runs, "MAX_EVENTS", 5)
    run = runs.Run("fit", "bounded")
    for step in range(20):
        run.emit({"type": "batch", "step": step})
    for epoch in range(20):
        run.emit({"type": "epoch", "epoch": epoch})
    run.finish("done")
    kinds = [e["type"] for e in run.since(0)]
    assert kinds == ["batch"] * 5 + ["epoch"] * 5 + ["end"]


def test_histograms_and_gradient_norms_skip_what_is_not_there():
    net = model()
    assert dashboard.grad_norms(net) == {}
    net.fit(*data(), epochs=1, batch_size=64, verbose=0)
    norms = dashboard.grad_norms(net)
    assert set(norms) == {"0", "1"} and all(v > 0 for v in norms.values())


@pytest.fixture
def other_server():
    """A second server on a free port, as a `descend serve` in another process would be."""
    import uvicorn

    from descend.serve.app import create_app
    from descend.serve.local import _socket

    manager = runs.RunManager()
    sock = _socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(manager), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[1], manager
    server.should_exit = True
    thread.join(timeout=10)


def test_a_running_descend_serve_is_used_and_its_stop_comes_back(other_server):
    port, manager = other_server
    ensure_server(port=0)  # this process's own server exists too, on another port

    class PressStop(dc.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                manager.runs("fit")[0].stop()  # what the page's Stop button does
            time.sleep(0.15)  # let the next post bring the stop back

    board = dc.callbacks.Dashboard("elsewhere", port=port, quiet=True)
    history = model().fit(*data(), epochs=50, batch_size=16, verbose=0,
                          callbacks=[board, PressStop()])
    assert board.url == f"http://127.0.0.1:{port}/dashboard?run={board.run.id}"
    assert len(history.history["loss"]) < 50
    run = manager.get(board.run.id)
    assert run.status == "stopped" and run.title == "elsewhere"
    kinds = [e["type"] for e in run.since(0)]
    assert kinds[0] in ("batch", "epoch") and kinds[-2:] == ["weights", "end"]


def test_the_fits_endpoints_refuse_what_is_not_a_remote_fit(client):
    opened = client.post("/api/fits", json={"title": "x", "info": {}}).json()["run"]
    bad = client.post(f"/api/fits/{opened}/events", json={"events": [{"type": "end"}]})
    assert bad.status_code == 400 and "events must be a list" in bad.json()["error"]
    assert client.post("/api/fits", json={"title": ""}).status_code == 400
    assert client.post("/api/fits", json={"title": "x", "info": [1]}).status_code == 400
    ended = client.post(f"/api/fits/{opened}/events", json={"events": [], "end": "done"})
    assert ended.json() == {"stop": False}
    again = client.post(f"/api/fits/{opened}/events", json={"events": []})
    assert again.status_code == 400 and "does not take events" in again.json()["error"]
    boston = client.post("/api/boston/train", json={"epochs": 1}).json()["run"]
    refused = client.post(f"/api/fits/{boston}/events", json={"events": []})
    assert refused.status_code == 400


def test_a_remote_run_that_falls_silent_is_given_up(monkeypatch):
    manager = runs.RunManager()
    run = manager.register("fit", "from elsewhere")
    run.remote = True
    assert manager.runs()[0].status == "running"
    monkeypatch.setattr(runs, "SILENCE", 0.0)
    assert manager.runs()[0].status == "error"
    assert "sent nothing for 0 s" in run.since(0)[-1]["message"]
