"""Every map mode draws in headless Chromium: online tiles, offline, a route, a coverage
choropleth. Each page must draw (not blank, markers present) with no console error and no
request beyond the page itself (and, online, the tile server, answered here by a stub)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread, imsave

from mapping.build import build_map, save_map
from pathways.analysis.coverage import site_coverage
from pathways.analysis.gaps import find_gaps
from pathways.io.load import load_site
from tests.test_build import tiny_route
from tests.test_map_browser import ARGS, ARTIFACTS, CHROMIUM, TINY

SITES = Path(__file__).parent.parent / "data" / "sites"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def tile_png() -> bytes:
    """A 256 px tile: pale green with a grid, so a screenshot shows that tiles were drawn."""
    tile = np.full((256, 256, 3), (0.86, 0.92, 0.84))
    tile[::32, :] = tile[:, ::32] = (0.7, 0.75, 0.7)
    out = io.BytesIO()
    imsave(out, tile, format="png")
    return out.getvalue()


def open_map(browser, page_file: Path, *, online: bool = False):
    page = browser.new_page(viewport={"width": 1100, "height": 750})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    png = tile_png()

    def handle(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        elif online and "tile.openstreetmap.org" in url:
            route.fulfill(status=200, content_type="image/png", body=png)
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", handle)
    page.goto(page_file.as_uri())
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector(".ra-legend")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")
    return page, errors, outside


def drawn(png_path: Path) -> np.ndarray:
    pixels = imread(png_path)[..., :3]
    assert len(np.unique(pixels.reshape(-1, 3)[::5], axis=0)) > 100, "the map looks blank"
    return pixels


def shoot(page, name: str) -> np.ndarray:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"map_mode_{name}.png"
    page.screenshot(path=str(path))
    return drawn(path)


def test_online_tiles_mode(browser, tmp_path):
    inv = load_site(TINY)
    page_file = save_map(build_map(inv, gaps=find_gaps(inv)), tmp_path / "online.html")
    page, errors, outside = open_map(browser, page_file, online=True)
    page.wait_for_selector(".leaflet-tile-loaded")
    assert page.locator(".leaflet-tile-loaded").count() >= 4
    assert page.locator(".ra-icon").count() == 5
    shoot(page, "online")
    page.close()
    assert errors == [] and outside == []


def test_offline_mode(browser, tmp_path):
    inv = load_site(SITES / "koro.yaml")
    page_file = save_map(build_map(inv, gaps=find_gaps(inv), tiles=None), tmp_path / "koro.html")
    page, errors, outside = open_map(browser, page_file)
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".ra-icon").count() + page.locator(".ra-cluster").count() >= 5
    pixels = shoot(page, "offline")
    page.close()
    assert errors == [] and outside == []
    land = np.all(
        np.abs(
            pixels
            - np.array([0xFB, 0xFA, 0xF6]) / 255 * 0.85
            - 0.15 * np.array([0xDC, 0xE4, 0xEA]) / 255
        )
        < 0.03,
        axis=-1,
    )
    assert land.mean() > 0.01, "the boundary basemap is not drawn"


def test_route_mode(browser, tmp_path):
    inv = load_site(TINY)
    m = build_map(inv, route=tiny_route(inv), tiles=None)
    page, errors, outside = open_map(browser, save_map(m, tmp_path / "route.html"))
    assert page.locator(".ra-step").count() == 2
    assert page.locator(".ra-route").count() == 1
    assert "Police station" in page.locator(".ra-route").inner_text()
    page.locator(".ra-step").first.hover()
    page.wait_for_selector(".leaflet-tooltip")
    assert "1." in page.locator(".leaflet-tooltip").first.inner_text()
    shoot(page, "route")
    page.close()
    assert errors == [] and outside == []


def test_coverage_choropleth_mode(browser, tmp_path):
    inv = load_site(SITES / "brussels.yaml")
    cov = site_coverage(inv, categories=["health.cmr", "legal"])
    m = build_map(inv, coverage=cov, coverage_category="legal", tiles=None, lang="fr")
    page, errors, outside = open_map(browser, save_map(m, tmp_path / "coverage.html"))
    box = page.locator(".ra-coverage").inner_text()
    assert "Aide juridique" in box and "Statbel" in box
    assert page.locator(".ra-icon").count() + page.locator(".ra-cluster").count() > 5
    pixels = shoot(page, "coverage")
    page.close()
    assert errors == [] and outside == []
    bluish = (pixels[..., 2] - pixels[..., 0]) > 35 / 255  # the ≤ 30 min class over land
    assert bluish.mean() > 0.04
