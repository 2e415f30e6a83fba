"""Every endpoint through the app's test client, and every validation error it can give."""

from __future__ import annotations

import json
import threading
import time

import pytest
from webtools import needs_web

from descend.demo import boston as demo
from descend.serve import app

pytestmark = needs_web


def messages_of(client, run_id: str, headers=None, **query) -> list[tuple[str, list[dict]]]:
    """Read a run's Server-Sent Events until its end event: each message's id and events."""
    messages, last_id = [], None
    params = "&".join(f"{k}={v}" for k, v in query.items())
    with client.stream("GET", f"/api/runs/{run_id}/events?{params}", headers=headers) as stream:
        assert stream.status_code == 200, stream.read()
        for line in stream.iter_lines():
            if line.startswith("id: "):
                last_id = line[4:]
            elif line.startswith("data: "):
                messages.append((last_id, json.loads(line[6:])))
    return messages


def events_of(client, run_id: str, **query) -> list[dict]:
    """Read a run's Server-Sent Events until its end event."""
    return [e for _, events in messages_of(client, run_id, **query) for e in events]


def long_run(client, batches: int):
    """A finished fit run of ``batches`` batch events, each with an epoch every 100."""
    run = client.app.app.state.server.manager.register("fit", "long", {"summary": "Dense"})
    for step in range(1, batches + 1):
        run.emit({"type": "batch", "step": step, "logs": {"loss": 1 / step},
                  "grad_norms": {"0": 0.5, "1": 0.25}})
        if step % 100 == 0:
            run.emit({"type": "epoch", "epoch": step // 100, "step": step,
                      "logs": {"loss": 1 / step}})
    run.finish("done")
    return run


def wait_idle(client) -> None:
    """Wait until the server's training processes have all ended and been collected."""
    manager = client.app.app.state.server.manager
    deadline = time.monotonic() + 20
    while manager.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert manager.active == 0


@pytest.mark.parametrize("path", ["/", "/boston", "/dashboard", "/playground",
                                  "/static/vendor/chart.umd.min.js",
                                  "/static/vendor/chart.js.LICENSE.md"])
def test_pages_and_static_files_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200 and len(response.content) > 200


def test_boston_info_has_the_baseline_rows_and_defaults(client):
    info = client.get("/api/boston").json()
    assert round(info["baseline"]["test"], 2) == 82.96
    assert info["rows"] == {"train": 266, "validation": 67, "test": 173}
    assert info["defaults"] == {"model": "linear", "optimizer": "sgd", "lr": 0.01, "epochs": 200,
                                "batch_size": 40, "l2": 0.0, "normalize": True, "seed": 0}


def test_boston_training_streams_epochs_and_equals_the_demo(client):
    started = client.post("/api/boston/train", json={"model": "linear", "epochs": 30}).json()
    events = events_of(client, started["run"])
    epochs = [e for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == list(range(1, 31))
    assert len(epochs[0]["weights"]["kernel"]) == 12
    end = events[-1]
    expected = demo.run("linear", epochs=30).models["linear"].scores
    assert end["status"] == "done"
    assert end["mse"]["test"] == pytest.approx(expected["test"].mse, rel=1e-12)
    assert len(end["scatter"]) == 173
    described = client.get(f"/api/runs/{started['run']}").json()
    assert described["status"] == "done" and described["event_count"] == len(events)
    listed = client.get("/api/runs?kind=boston").json()["runs"]
    assert any(r["id"] == started["run"] for r in listed)


def test_boston_without_normalisation_diverges(client):
    started = client.post("/api/boston/train", json={"normalize": False, "epochs": 5}).json()
    end = events_of(client, started["run"])[-1]
    assert end == {"type": "end", "status": "diverged", "epoch": 1, "seq": end["seq"]}


def test_stop_ends_a_training_early(client):
    started = client.post("/api/boston/train", json={"model": "mlp2", "epochs": 1000,
                                                     "batch_size": 1}).json()
    assert client.post(f"/api/runs/{started['run']}/stop").json()["run"] == started["run"]
    end = events_of(client, started["run"])[-1]
    assert end["status"] == "stopped" and end["epoch"] < 1000


def test_a_page_that_goes_away_stops_its_training_but_a_blip_does_not(client, monkeypatch):
    """A close_stops stream that drops and comes back within GRACE (as the browser's
    EventSource does after a blip, with Last-Event-ID) leaves the training running; one that
    does not come back stops it."""
    monkeypatch.setattr(app, "GRACE", 3.0)
    started = client.post("/api/boston/train", json={"model": "mlp2", "epochs": 1000,
                                                     "batch_size": 1}).json()
    run = client.app.app.state.server.manager.get(started["run"])
    url = f"/api/runs/{run.id}/events?close_stops=true"
    with client.stream("GET", url) as stream:
        last_id = next(line for line in stream.iter_lines() if line.startswith("id: "))[4:]
    with client.stream("GET", url, headers={"Last-Event-ID": last_id}) as stream:
        lines = stream.iter_lines()  # (kept: dropping it would close the stream)
        resumed = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert resumed[0]["seq"] == int(last_id) + 1
        time.sleep(app.GRACE + 1)
        assert not run.stop_requested.is_set() and run.status == "running"
    assert run.stop_requested.wait(app.GRACE + 20)  # gone for good
    wait_idle(client)
    assert run.status == "stopped"


def test_an_event_stream_sleeps_until_its_run_has_news(client, monkeypatch):
    from descend.serve import app

    monkeypatch.setattr(app, "WAKE_INTERVAL", 120.0)  # only the run's wake-up brings news soon
    run = client.app.app.state.server.manager.register("fit", "woken")

    def train() -> None:
        time.sleep(0.3)
        run.emit({"type": "epoch", "epoch": 1})
        time.sleep(0.3)
        run.finish("done")

    threading.Thread(target=train, daemon=True).start()
    start = time.monotonic()
    assert [e["type"] for e in events_of(client, run.id)] == ["epoch", "end"]
    assert time.monotonic() - start < 60
    assert not run._listeners  # the stream stopped listening when it ended


def test_more_trainings_than_slots_is_busy(client):
    wait_idle(client)  # the earlier tests' processes are collected
    slow = {"model": "mlp2", "epochs": 1000, "batch_size": 1}
    runs = [client.post("/api/boston/train", json=slow).json()["run"] for _ in range(2)]
    refused = client.post("/api/boston/train", json=slow)
    assert refused.status_code == 503 and refused.json()["error"].startswith("busy:")
    for run_id in runs:
        client.post(f"/api/runs/{run_id}/stop")
        assert events_of(client, run_id)[-1]["status"] == "stopped"
    wait_idle(client)


@pytest.mark.parametrize(("body", "sentence"), [
    ({"lr": -1}, "lr must be a number greater than 0 and at most 10, got '-1'."),
    ({"lr": "nan"}, "lr must be a number greater than 0 and at most 10, got 'nan'."),
    ({"lr": "1e400"}, "lr must be a number greater than 0"),
    ({"epochs": 0}, "epochs must be a whole number from 1 to 1000, got '0'."),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"epochs": "ten"}, "epochs must be a whole number"),
    ({"batch_size": 1000}, "batch_size must be a whole number from 1 to 333"),
    ({"l2": -0.1}, "l2 must be a number at least 0 and at most 10"),
    ({"seed": -1}, "seed must be a whole number from 0"),
    ({"model": "mlp9"}, "model must be one of linear, mlp1, mlp2"),
    ({"optimizer": "__import__('os')"}, "optimizer must be one of sgd"),
    ({"normalize": "maybe"}, "normalize must be true or false"),
    ({"units": 5}, "unknown parameter 'units'"),
])
def test_boston_settings_out_of_bounds_are_refused_with_a_sentence(client, body, sentence):
    response = client.post("/api/boston/train", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(sentence)


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post("/api/boston/train", content=b"epochs=5")
    assert response.status_code == 400 and "must be JSON" in response.json()["error"]
    response = client.post("/api/boston/train", json=[1, 2])
    assert response.status_code == 400 and "JSON object" in response.json()["error"]


def test_unknown_runs_and_bad_queries_are_refused(client):
    assert client.get("/api/runs/fit-999").status_code == 404
    assert client.post("/api/runs/fit-999/stop").status_code == 404
    assert client.get("/api/runs/fit-999/events").status_code == 404
    assert client.get("/api/runs?kind=nope").status_code == 400
    run = client.post("/api/boston/train", json={"epochs": 1}).json()["run"]
    response = client.get(f"/api/runs/{run}/events?since=-1")
    assert response.status_code == 400 and "since must be a whole number" in response.text


def test_a_reconnecting_stream_resumes_after_its_last_event_id(client):
    run = long_run(client, 1000)
    messages = messages_of(client, run.id)
    events = [e for _, batch in messages for e in batch]
    assert [e["seq"] for e in events] == list(range(run.count)) and run.count == 1011
    assert [int(i) for i, _ in messages] == [batch[-1]["seq"] for _, batch in messages]
    resumed = messages_of(client, run.id, headers={"Last-Event-ID": "41"})
    assert [e for _, batch in resumed for e in batch] == events[42:]  # exactly the missing ones
    since = events_of(client, run.id, since=5)
    assert since == events[5:]
    header_wins = messages_of(client, run.id, headers={"Last-Event-ID": "1009"}, since=3)
    assert header_wins == [("1010", [events[-1]])]


@pytest.mark.parametrize("last_event_id", ["abc", "-1", "1.5", "1011", "10" * 30, "\u0663"])
def test_a_bad_last_event_id_is_refused(client, last_event_id):
    run = long_run(client, 1000)
    response = client.get(f"/api/runs/{run.id}/events",
                          headers={"Last-Event-ID": last_event_id.encode()})
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        f"Last-Event-ID must be the number of an event of run {run.id}, from 0 to 1010, got ")


def test_opening_a_long_run_costs_a_small_answer_and_bounded_messages(client):
    """The page asks for a run's info, then streams its events once, in bounded messages."""
    run = long_run(client, 19_000)
    assert run.count == 19_191
    answer = client.get(f"/api/runs/{run.id}")
    assert len(answer.content) < 400, answer.text
    assert answer.json()["event_count"] == 19_191 and answer.json()["info"]["summary"] == "Dense"
    messages = messages_of(client, run.id)
    assert [len(batch) for _, batch in messages] == [app.MESSAGE_EVENTS] * 38 + [191]
    assert [e["seq"] for _, batch in messages for e in batch] == list(range(19_191))


@pytest.mark.parametrize(("headers", "refused"), [
    ({"host": "evil.example:8000"}, True),
    ({"host": "127.0.0.1:8000", "origin": "http://evil.example"}, True),
    ({"host": "localhost:8000", "origin": "http://localhost:8000"}, False),
    ({"host": "[::1]:8000"}, False),
])
def test_host_and_origin_are_checked_against_dns_rebinding(client, headers, refused):
    response = client.get("/api/runs", headers=headers)
    assert (response.status_code == 403) == refused
    if refused:
        assert "is not this server" in response.json()["error"]


def test_playground_problems_surface_and_race(client):
    problems = client.get("/api/playground/problems").json()
    assert set(problems["problems"]) == {"linear", "sigmoid", "quadratic", "rosenbrock", "beale",
                                         "double_well"}
    surface = client.get("/api/playground/surface?problem=quadratic&kappa=20").json()
    assert surface["bounds"] == [[-5.0, 5.0], [-2.5, 2.5]] and len(surface["contours"]) > 5
    race = client.post("/api/playground/race", json={
        "problem": "double_well", "start": [1.9, 1.2], "steps": 150,
        "racers": [{"optimizer": "sgd", "lr": 0.05},
                   {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
                   {"optimizer": "adam", "lr": 0.1, "schedule": "exponential", "gamma": 0.98}],
    }).json()
    gd, momentum, adam = race["racers"]
    assert gd["params"][-1][0] > 0 > momentum["params"][-1][0]  # stuck, and over the ridge
    assert len(gd["grads"]) == len(gd["params"]) == 151
    assert adam["lrs"][1] == pytest.approx(0.1 * 0.98)


@pytest.mark.parametrize(("path", "body", "sentence"), [
    ("/api/playground/race", {"problem": "everest"}, "problem must be one of linear"),
    ("/api/playground/race", {"kappa": 0.5, "problem": "quadratic"}, "kappa must be a number"),
    ("/api/playground/race", {"start": [0, 99]}, "start must be two numbers inside the window"),
    ("/api/playground/race", {"start": "1,2"}, "start must be two numbers inside the window"),
    ("/api/playground/race", {"steps": 5000}, "steps must be a whole number from 1 to 2000"),
    ("/api/playground/race", {"racers": []}, "racers must be a list of 1 to 6"),
    ("/api/playground/race", {"racers": [{"optimizer": "sgd", "lr": 0}]}, "lr must be a number"),
    ("/api/playground/race", {"racers": [{"optimizer": "sgd", "momentum": 1.5}]},
     "momentum must be a number"),
    ("/api/playground/race", {"racers": [{"optimizer": "adam", "beta2": 2}]},
     "beta2 must be a number"),
    ("/api/playground/race", {"racers": [{"optimizer": "sgd", "schedule": "cosine"}]},
     "schedule must be one of none"),
    ("/api/playground/race", {"racers": [{"optimizer": "sgd", "nesterov": True}]},
     "SGD lr=0.001: SGD: nesterov"),
    ("/api/playground/race", {"racers": ["sgd"]}, "the request body must be a JSON object"),
])
def test_playground_settings_out_of_bounds_are_refused(client, path, body, sentence):
    response = client.post(path, json={"problem": "rosenbrock", **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(sentence), response.json()["error"]


def test_surface_query_is_checked(client):
    response = client.get("/api/playground/surface?problem=quadratic&kappa=inf")
    assert response.status_code == 400 and "kappa must be a number" in response.json()["error"]
    response = client.get("/api/playground/surface?problem=quadratic&color=red")
    assert response.status_code == 400 and "unknown parameter 'color'" in response.json()["error"]


def test_run_ids_differ_between_servers_and_are_checked(client):
    """A page or bookmark of a server that has restarted since names no run of the new one."""
    from starlette.testclient import TestClient

    from descend.serve.runs import RUN_ID, RunManager

    old = client.app.app.state.server.manager.register("fit", "before the restart")
    with TestClient(app.create_app(RunManager()), base_url="http://127.0.0.1:8000") as restarted:
        new = restarted.app.app.state.server.manager.register("fit", "after the restart")
        assert RUN_ID.fullmatch(old.id) and RUN_ID.fullmatch(new.id) and old.id != new.id
        assert old.id.split("-")[1] != new.id.split("-")[1]  # each server its own token
        for path in (f"/api/runs/{old.id}", f"/api/runs/{old.id}/events"):
            answer = restarted.get(path)
            assert answer.status_code == 404 and "a run of another server" in answer.text
        assert restarted.get(f"/api/runs/{new.id}").json()["title"] == "after the restart"
    token = old.id.split("-")[1]
    for bad in (f"fit-{token}-0", f"fit-{token}-01", f"fit-{token.upper()}-1", f"x-{token}-1",
                f"fit-{token}-1-1", f"fit-{token}-99999999"):
        answer = client.get(f"/api/runs/{bad}")
        assert answer.status_code == 404, bad
    assert "run ids look like" in client.get(f"/api/runs/fit-{token}-01").text
    assert "forgotten" in client.get(f"/api/runs/fit-{token}-99999999").text


def test_the_runs_stream_tells_of_a_new_fit_and_its_end_at_once(client):
    manager = client.app.app.state.server.manager
    started = {}

    def fit() -> None:
        time.sleep(0.3)
        started["run"] = manager.register("fit", "pushed")
        started["at"] = time.monotonic()
        time.sleep(0.3)
        started["run"].finish("done")

    lists = []
    with client.stream("GET", "/api/runs/changes?kind=fit") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        threading.Thread(target=fit, daemon=True).start()
        for line in stream.iter_lines():
            if line.startswith("data: "):
                lists.append((time.monotonic(), json.loads(line[6:])["runs"]))
                newest = lists[-1][1][0] if lists[-1][1] else {}
                if "run" in started and newest.get("id") == started["run"].id and \
                        newest["status"] == "done":
                    break
    first_seen = next(at for at, runs in lists if runs and runs[0]["id"] == started["run"].id)
    assert first_seen - started["at"] < 5  # pushed (nothing polls)
    assert lists[-1][1][0]["id"] == started["run"].id
    assert all(r["kind"] == "fit" and "info" not in r for _, runs in lists for r in runs)
    assert client.get("/api/runs/changes?kind=nope").status_code == 400


def test_a_replayed_or_resumed_stream_sends_only_the_newest_histograms(client):
    run = client.app.app.state.server.manager.register("fit", "histograms")
    for epoch in range(1, 6):
        run.emit({"type": "batch", "step": epoch, "logs": {"loss": 1.0}})
        run.emit({"type": "epoch", "epoch": epoch, "step": epoch, "logs": {"loss": 1.0},
                  "histograms": {"0": {"edges": [0, epoch], "counts": [epoch]}}})
    run.finish("done")
    events = events_of(client, run.id)
    with_histograms = [e for e in events if "histograms" in e]
    assert [e["epoch"] for e in with_histograms] == [5] and len(events) == run.count == 11
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [1, 2, 3, 4, 5]
    resumed = [e for _, batch in messages_of(client, run.id, headers={"Last-Event-ID": "2"})
               for e in batch]
    assert resumed[0]["seq"] == 3 and [e["seq"] for e in resumed if "histograms" in e] == [9]
    assert run.since(0)[1]["histograms"]  # the run keeps them all; only the stream leaves out
