"""Fixtures for the web tests: the app's test client, and a real server with headless Chromium.

Browser tests need Playwright for Python and Debian's ``chromium`` (``.ci/run`` installs it);
where either is missing they skip and say which.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install descend[web]")

from starlette.testclient import TestClient

from descend.serve.app import create_app
from descend.serve.runs import RunManager

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def client():
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


def check_screenshot(page, path: Path, width: int = 1400) -> None:
    """Save a full-page screenshot and check it is a real picture of the page, not blank."""
    from PIL import Image

    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as image:
        assert image.size[0] == width and image.size[1] >= 700, image.size
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.std() > 10, "the screenshot is blank"
    assert (pixels < 128).mean() > 0.005, "the screenshot has almost no dark (text) pixels"
