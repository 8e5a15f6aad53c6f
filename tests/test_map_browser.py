"""The standalone offline map draws in headless Chromium: markers, routes, no errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.build import build_map, save_map
from pathways.analysis.gaps import find_gaps
from pathways.io.load import load_site

CHROMIUM = Path("/usr/bin/chromium")
TINY = Path(__file__).parent / "data" / "tiny.yaml"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def test_offline_map_draws(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    inv = load_site(TINY)
    page_file = save_map(build_map(inv, gaps=find_gaps(inv), tiles=None), tmp_path / "tiny.html")
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    failed: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 750})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: failed.append(req.url))
            page.on("request", lambda req: requests.append(req.url))
            page.goto(page_file.as_uri())
            page.wait_for_selector(".leaflet-container")
            page.wait_for_selector(".ra-icon")
            assert page.locator(".leaflet-interactive").count() > 0
            assert page.locator(".ra-icon").count() == 5  # every service, shelter at area level
            assert page.locator(".ra-arrow").count() == 3  # one arrowhead per referral
            assert page.locator(".ra-legend").count() == 1
            assert "Legend" in page.locator(".ra-legend").inner_text()
            assert page.locator(".leaflet-tile").count() == 0  # offline: no tiles
            page.locator(".ra-icon").first.hover()
            page.wait_for_selector(".leaflet-tooltip")
            page.screenshot(path=str(ARTIFACTS / "map_tiny_offline.png"))
        finally:
            browser.close()
    assert errors == []
    assert failed == []
    assert [r for r in requests if not r.startswith("file:")] == []
