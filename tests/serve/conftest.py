"""Fixtures for the web tests: the app's test client, and a real server with headless Chromium.

Every module skips, saying why, without the web extra (Starlette, uvicorn); browser tests also
need Playwright for Python and Debian's ``chromium`` (``.ci/run`` installs it) and skip,
saying which, where either is missing.
"""

from __future__ import annotations

import shutil

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def client():
    from starlette.testclient import TestClient

    from descend.serve.app import create_app
    from descend.serve.runs import RunManager

    with TestClient(create_app(RunManager(keep=5, max_active=2)),
                    base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server():
    """The in-process server a Dashboard uses, on a free loopback port."""
    from descend.serve.local import ensure_server

    return ensure_server(port=0)


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed (test extra)")
    executable = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if executable is None:
        pytest.skip("no Chromium on this machine: apt-get install chromium (CI installs it)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda err: errors.append(str(err)))
    opened.errors = errors
    yield opened
    context.close()
    assert not errors, f"the page raised JavaScript errors: {errors}"
