"""``descend serve``: its options, the warning for a non-local host, and the app it runs."""

from __future__ import annotations

import pytest
from webtools import needs_web

from descend import cli

pytestmark = needs_web


@pytest.fixture
def started(monkeypatch):
    calls = {}
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.update(app=app, **options))
    monkeypatch.setattr("webbrowser.open", lambda url: calls.update(opened=url))
    return calls


def test_serve_binds_loopback_by_default(started, capsys):
    assert cli.main(["serve", "--port", "8123"]) == 0
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    out, err = capsys.readouterr()
    assert "http://127.0.0.1:8123/" in out and err == ""


def test_another_host_prints_a_warning(started, capsys):
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 0
    assert started["host"] == "0.0.0.0"
    assert "warning: listening on 0.0.0.0, so other machines can reach" in capsys.readouterr().err
    import socket

    from starlette.testclient import TestClient

    name = socket.gethostname()
    with TestClient(started["app"], base_url=f"http://{name}:8000") as client:
        assert client.get("/api/runs").status_code == 200  # the machine's own name is accepted
    with TestClient(started["app"], base_url="http://elsewhere.example:8000") as client:
        assert client.get("/api/runs").status_code == 403


def test_open_opens_the_browser(started):
    import time

    cli.main(["serve", "--open", "--port", "8124"])
    deadline = time.monotonic() + 5
    while "opened" not in started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started["opened"] == "http://127.0.0.1:8124/"


def test_bad_port_is_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "zero"])
    assert "expected a positive whole number" in capsys.readouterr().err


def test_without_the_web_extra_the_error_says_how_to_install_it():
    import subprocess
    import sys

    code = ("import sys, importlib.util; real = importlib.util.find_spec; "
            "importlib.util.find_spec = lambda n, *a: None if n == 'uvicorn' else real(n, *a); "
            "from descend import cli; sys.exit(cli.main(['serve']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == ("descend: error: descend serve and dc.callbacks.Dashboard need "
                                   "the web extra (uvicorn missing): pip install 'descend[web]'")


def test_ctrl_c_ends_the_server_while_a_dashboard_page_is_open():
    """The dashboard's runs list is a stream that never ends by itself: Ctrl+C ends it after
    a short wait instead of waiting for the page to close."""
    import http.client
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "from descend.cli import main; "
                               f"main(['serve', '--port', '{port}'])"],
                              stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                page.request("GET", "/api/runs/changes?kind=fit")
                break
            except OSError:
                assert time.monotonic() < deadline, "descend serve did not start"
                time.sleep(0.2)
        stream = page.getresponse()
        assert next(line for line in stream if line.startswith(b"data: "))  # the page is open
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
        server.wait()
