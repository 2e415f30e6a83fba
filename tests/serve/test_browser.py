"""The three pages in headless Chromium, as a person would use them.

Screenshots go to the test's tmp dir (and to ``$DESCEND_SCREENSHOTS`` when set, which is how
``docs/images/serve_*.png`` were made).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from webtools import check_screenshot, needs_web

import descend as dc
from descend.demo import boston as demo

pytestmark = needs_web


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    check_screenshot(page, path)
    if os.environ.get("DESCEND_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["DESCEND_SCREENSHOTS"]) / f"{name}.png")


def test_boston_trains_live_and_ends_with_the_demos_numbers(page, server, tmp_path):
    page.goto(f"{server.url}boston")
    page.wait_for_selector("text=Data loaded")
    assert page.inner_text("#baseline") == "Baseline loss (MSE) is 82.96"
    page.click("text=Train linear regression")
    assert page.is_disabled("#train-linear")
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and 200 not in seen:
        seen.add(page.evaluate("columns.linear.chart.data.datasets[0].data.length"))
        time.sleep(0.01)
    assert any(0 < n < 200 for n in seen), f"the chart never grew epoch by epoch: {sorted(seen)}"
    page.wait_for_selector("#linear-test")
    expected = demo.run("linear").models["linear"].scores
    assert page.inner_text("#linear-test") == f"{expected['test'].mse:.2f}" == "28.59"
    assert page.inner_text("#linear-train") == f"{expected['train'].mse:.2f}"
    assert page.inner_text("#linear-epoch") == "Epoch 200 of 200 completed."
    assert page.locator("#weights tbody tr").count() == 5
    page.click("#weights-toggle")
    assert page.locator("#weights tbody tr").count() == 13
    assert "neg" in page.get_attribute("#weights tbody tr:first-child td.num", "class")
    page.click("#train-mlp1")
    page.click("#train-mlp2")
    page.wait_for_selector("#mlp1-test", timeout=30_000)
    page.wait_for_selector("#mlp2-test", timeout=30_000)
    assert page.inner_text("#mlp2-test") == "17.26"  # descend demo boston's MLP 50-50 row
    shoot(page, tmp_path, "serve_boston")


def test_boston_stop_diverged_and_bad_learning_rate(page, server):
    page.goto(f"{server.url}boston")
    page.wait_for_selector("text=Data loaded")
    page.fill("#epochs", "1000")
    page.fill("#batch_size", "1")
    page.click("#train-mlp2")
    page.wait_for_function("columns.mlp2.chart.data.datasets[0].data.length >= 2")
    page.click("#stop-mlp2")
    page.wait_for_selector("text=/Stopped after epoch \\d+ of 1000/", timeout=20_000)
    assert not page.is_disabled("#train-mlp2")

    page.fill("#epochs", "20")
    page.fill("#batch_size", "40")
    page.uncheck("#normalize")
    page.click("#train-linear")
    page.wait_for_selector("#linear-diverged")
    assert page.inner_text("#linear-epoch") == "diverged (NaN) at epoch 1"

    page.check("#normalize")
    page.fill("#lr", "-1")
    page.click("#train-linear")
    page.wait_for_selector("#linear-error:has-text('lr must be')")
    assert page.inner_text("#linear-error") == ("lr must be a number greater than 0 and at most "
                                                "10, got '-1'.")


def answer_after_the_end(run):
    """A route handler passing the Stop request on but giving the page its answer only once
    the run has ended, as a loaded server may: the page must not then overwrite its end."""

    def handle(route) -> None:
        response = route.fetch()
        deadline = time.monotonic() + 60
        while not run.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the end event reaches the page first
        route.fulfill(response=response)

    return handle


def test_dashboard_shows_a_fit_live_and_stop_ends_it(page, server, tmp_path):
    """Every wait is for something the page shows, with room for a loaded machine; the fit
    goes on until the Stop button ends it, however long the page takes to get there."""
    page.set_default_timeout(60_000)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 8)).astype(np.float32)
    y = (x @ rng.normal(size=(8, 1)) + 0.1 * rng.normal(size=(2000, 1))).astype(np.float32)
    model = dc.Sequential([dc.nn.Dense(32, activation="relu", input_dim=8), dc.nn.Dense(1)])
    model.compile(optimizer=dc.optim.Adam(lr=1e-3), loss="mse", metrics=["mae"])
    earlier = dc.callbacks.Dashboard("an earlier fit", port=0, quiet=True)
    model.fit(x[:64], y[:64], epochs=1, verbose=0, callbacks=[earlier])  # shown first
    board = dc.callbacks.Dashboard("test fit", port=0, quiet=True)
    result = {}
    fit = threading.Thread(target=lambda: result.update(history=model.fit(
        x, y, epochs=100_000, batch_size=32, validation_split=0.2, verbose=0,
        callbacks=[board])))
    page.goto(f"{server.url}dashboard")
    page.wait_for_function(f"current && current.id === '{earlier.run.id}'")
    fit.start()
    try:
        page.wait_for_function(f"current && current.id !== '{earlier.run.id}' && "
                               "document.getElementById('run-status').dataset.epochs >= 2")
        assert page.evaluate("current.id") == board.run.id  # the page followed the new fit
        grow = ("current.charts['metric-loss'].data.datasets[0].data.length + "
                "current.charts['metric-loss'].data.datasets[1].data.length")
        before = page.evaluate(grow)
        page.wait_for_function(f"{grow} > {before}")
        assert page.evaluate("current.charts['metric-mae'].data.datasets[2].data.length") >= 2
        assert "Dense" in page.inner_text("#summary")
        page.wait_for_function("document.querySelectorAll('#histograms canvas').length === 2")
        shoot(page, tmp_path, "serve_dashboard")
        page.route("**/stop", answer_after_the_end(board.run))
        with page.expect_response("**/stop"):
            page.click("#stop")
        page.wait_for_selector("text=Stopped (model.stop_training)")
        page.evaluate("new Promise((done) => setTimeout(done, 200))")  # the Stop handler ends
        assert page.inner_text("#run-status") == "Stopped (model.stop_training)"
        fit.join(timeout=60)
        assert not fit.is_alive()
    finally:
        board.run.stop()
        fit.join(timeout=60)
    epochs = len(result["history"].history["loss"])
    shown = page.evaluate("current.charts['metric-loss'].data.datasets[1].data.length")
    assert 2 <= epochs < 100_000 and shown == epochs  # every epoch's point, none twice


def test_playground_race_from_a_clicked_start_and_the_url_reproduces_it(page, server, tmp_path):
    page.goto(f"{server.url}playground")
    page.wait_for_function("typeof race === 'object' && race !== null")
    page.select_option("#problem", "double_well")
    page.wait_for_function("race && race.problem === 'double_well'")
    box = page.locator("#surface").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.88, box["y"] + box["height"] * 0.2)
    page.wait_for_function("start[0] > 1")
    page.wait_for_function("race.start[0] === start[0] && race.start[1] === start[1]")
    first = page.evaluate("[...document.querySelectorAll('#table td[data-loss]')]"
                          ".map(td => Number(td.dataset.loss))")
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('clock').dataset.step) > 5")
    page.wait_for_function("Number(document.getElementById('clock').dataset.step) === race.steps",
                           timeout=20_000)
    last = page.evaluate("[...document.querySelectorAll('#table td[data-loss]')]"
                         ".map(td => Number(td.dataset.loss))")
    assert len(last) == 3 and all(b < a for a, b in zip(first, last)), (first, last)
    moved = page.evaluate("race.racers.map(r => r.params[r.params.length - 1][0] - start[0])")
    assert all(abs(m) > 0.1 for m in moved)
    assert page.evaluate("charts.surface.data.datasets.filter(d => d.label === '').length") > 10
    shoot(page, tmp_path, "serve_playground")
    url, paths = page.url, page.evaluate("JSON.stringify(race.racers.map(r => r.params))")
    assert "problem=double_well" in url and "start=" in url
    page.goto(url)
    page.wait_for_function("race && race.problem === 'double_well'")
    assert page.evaluate("JSON.stringify(race.racers.map(r => r.params))") == paths


def dropping_streams(monkeypatch, drops: int):
    """Make the server end each of the first ``drops`` event streams after two messages, as a
    proxy timeout or a network blip would, and resume the second one three events too early,
    as a server that ignored ``Last-Event-ID`` would; returns where each stream began."""
    from descend.serve import app

    real, seen = app.run_messages, []

    async def run_messages(run, since):
        seen.append(since)
        number, sent = len(seen), 0
        async for message in real(run, max(0, since - 3) if number == 2 else since):
            yield message
            sent += message.startswith("id: ")
            if number <= drops and sent == 2:
                return

    monkeypatch.setattr(app, "run_messages", run_messages)
    return seen


def test_dashboard_draws_each_point_once_across_reconnects(page, server, tmp_path, monkeypatch):
    page.set_default_timeout(60_000)
    seen = dropping_streams(monkeypatch, drops=2)
    x, y = np.ones((64, 2), np.float32), np.ones((64, 1), np.float32)
    model = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=2), dc.nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    board = dc.callbacks.Dashboard("reconnected", port=0, quiet=True)
    slow = dc.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: time.sleep(0.05))
    fit = threading.Thread(target=model.fit, args=(x, y), kwargs={
        "epochs": 60, "batch_size": 16, "verbose": 0, "callbacks": [board, slow]})
    fit.start()
    try:
        while board.run is None:
            time.sleep(0.01)
        page.goto(f"{server.url}dashboard?run={board.run.id}")
        page.wait_for_selector("text=Finished (done)")
    finally:
        board.run.stop()
        fit.join(timeout=60)
    assert len(seen) == 3 and seen[0] == 0, seen  # then two resumed by their Last-Event-ID
    assert 0 < seen[1] < seen[2] < board.run.count  # dropped mid-run, twice
    steps = [e["step"] for e in board.run.since(0) if e["type"] == "epoch"]
    drawn = "current.charts['metric-loss'].data.datasets[{}].data.map((p) => p.x)"
    assert page.evaluate(drawn.format(1)) == steps and len(steps) == 60  # each epoch once
    batches = [e["step"] for e in board.run.since(0) if e["type"] == "batch"]
    assert page.evaluate(drawn.format(0)) == batches
    shoot(page, tmp_path, "serve_dashboard_reconnected")


def test_dashboard_says_a_bookmarked_run_is_gone_and_lists_a_new_fit_at_once(page, server):
    """A bookmark of a server that has restarted since names no run here: the page says so
    instead of showing another run; the menu gets a new fit from the server's push."""
    page.set_default_timeout(60_000)
    gone = "fit-0badc0de-1"  # another server's token
    page.goto(f"{server.url}dashboard?run={gone}")
    page.wait_for_function("document.getElementById('run-status').dataset.status === 'missing'")
    assert gone in page.inner_text("#run-status") and page.evaluate("current") is None
    run = server.manager.register("fit", "pushed to the menu")
    try:
        page.wait_for_function(f"[...document.querySelectorAll('#run-select option')]"
                               f".some((o) => o.value === '{run.id}')")
        assert page.evaluate("current") is None  # the bookmarked run stays asked for
        page.select_option("#run-select", run.id)
        page.wait_for_function(f"current && current.id === '{run.id}'")
    finally:
        run.finish("done")
    page.wait_for_selector("text=Finished (done)")
