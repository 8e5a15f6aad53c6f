"""Serve the app with `streamlit run` and read it in headless Chromium: the map must draw.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`); skipped without it.
The screenshot lands in tests/artifacts/app.png (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
STARTUP_SECONDS = 60
TILE_HOST = "tile.openstreetmap.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit was not healthy after {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def app_url(app_data: Path, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port, on the two-site test folder; stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the test extra (playwright) is missing")
    port = _free_port()
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_healthy(f"http://localhost:{port}/_stcore/health", proc, log)
        yield f"http://localhost:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _is_offline_tile_error(message: ConsoleMessage) -> bool:
    """An OpenStreetMap tile that cannot be fetched with no internet: expected, not an app error.

    Any other resource from outside the app (a CDN script, a font, an icon) is an error: the
    app must work offline.
    """
    host = urlparse((message.location or {}).get("url", "")).hostname or ""
    return "Failed to load resource" in message.text and host.endswith(TILE_HOST)


def _wait_for_script(page: Page) -> None:
    """Wait until the app is drawn: no skeleton, and the script has finished running."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000
    )


def test_app_draws_the_map_in_chromium(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    page_errors: list[str] = []
    console_errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Streamlit scrolls inside the page, so a tall viewport shows the table too.
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on(
                "console",
                lambda m: (
                    console_errors.append(f"{m.text} ({m.location})")
                    if m.type == "error" and not _is_offline_tile_error(m)
                    else None
                ),
            )
            page.goto(app_url, wait_until="domcontentloaded")
            _wait_for_script(page)
            assert page.get_by_text("Illustrative data: not field-verified").count() >= 1

            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator(".leaflet-container").wait_for(timeout=30_000)
            markers = frame.locator(".leaflet-interactive, .leaflet-marker-icon")
            markers.first.wait_for(timeout=30_000)
            assert markers.count() >= 5
            page.wait_for_timeout(500)  # let the tiles and the table settle for the screenshot
            page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
            assert page.get_by_text("Hospital care centre").count() >= 1  # the services table

            page.get_by_role("link", name="Gaps").click()
            page.get_by_role("heading", name="Referral gaps").wait_for(timeout=30_000)
            _wait_for_script(page)
            assert page.get_by_text("Legal clinic is not an entry point").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "gaps.png"), full_page=True)
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert not console_errors, console_errors
