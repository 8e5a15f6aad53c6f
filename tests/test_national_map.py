"""The national map (issue #19): counts by area at low zoom, each service only in view, the same
popups and tooltips as a site map, and never a confidential service's true place.

`NATIONAL_MAP` is lowered so that the small fixtures draw as national maps; the browser test
(`tests/test_map_modes_browser.py`'s neighbour, below) opens one in headless Chromium.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapping import layers
from mapping.assets import leaflet_dir, serve_data, standalone_html, strip_cdn_assets
from mapping.build import build_map, save_map
from mapping.layers import _elements
from mapping.layers.services import service_popup, service_tooltip
from mapping.tree import walk
from pathways.io.load import load_site, read_site
from pathways.public.privacy import public_places
from tests.leaks import text_leaks
from tests.test_confidentiality_sweep import FIXTURE, secrets_of

BRUSSELS = Path(__file__).parents[1] / "data" / "sites" / "brussels.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def national(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every inventory of a test is drawn as a national map."""
    monkeypatch.setattr(_elements, "NATIONAL_MAP", 1)


def _element(m: Any, kind: type) -> Any:
    (found,) = [e for e in walk(m) if isinstance(e, kind)]
    return found


def _decoded(element: Any) -> tuple[list[str], list[dict[str, Any]]]:
    return json.loads(element.points.pieces), json.loads(element.points.data)


def test_a_national_map_shows_the_same_popups_and_tooltips(national: None) -> None:
    inv = load_site(BRUSSELS)
    m = build_map(inv, tiles=None)
    points = _element(m, layers.NationalPoints)
    pieces, data = _decoded(points)
    popups = sorted("".join(pieces[k] for k in seq) for d in data for seq in d["p"])
    tips = sorted("".join(pieces[k] for k in seq) for d in data for seq in d["t"])
    places = public_places(inv)
    drawn = [s for s in inv.services if places[s.id] is not None]
    assert popups == sorted(service_popup(s, places[s.id]) for s in drawn)
    assert tips == sorted(service_tooltip(s, places[s.id]) for s in drawn)
    assert sum(len(d["y"]) for d in data) == len(drawn)  # each service once, hidden ones not
    assert not [e for e in walk(m) if isinstance(e, layers.Clusterer)]  # counts by area instead
    routes = json.loads(_element(m, layers.NationalRoutes).data)
    assert 0 < len(routes["a"]) <= len(inv.referrals)


def test_a_national_map_never_holds_a_true_place(national: None, tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    site = tmp_path / "sites" / "secret.yaml"
    secrets = secrets_of(read_site(site))
    m = build_map(load_site(site), tiles=None)
    assert _element(m, layers.NationalPoints)
    html = save_map(m, tmp_path / "map.html").read_text(encoding="utf-8")
    assert text_leaks(html, secrets) == []
    serve_data(m, tmp_path / "static")  # as the app serves it: the files hold the same
    files = sorted((tmp_path / "static" / "data").glob("*.json"))
    assert len(files) == 2  # the services and the routes
    for f in files:
        assert text_leaks(f.read_text(encoding="utf-8"), secrets) == []


def test_served_data_is_fetched_and_a_saved_map_still_carries_it(
    national: None, tmp_path: Path
) -> None:
    """The app serves a national map's data as files (`serve_data`); the page fetches them. A
    map saved for offline use (`standalone_html`) still carries its data in the page."""
    m = build_map(load_site(BRUSSELS), tiles=None)
    points, routes = _element(m, layers.NationalPoints), _element(m, layers.NationalRoutes)
    inline = standalone_html(m)
    assert points.points.pieces in inline and "fetch(" not in inline
    serve_data(m, tmp_path)
    served = m.get_root().render()
    for element in (points, routes):
        assert element.source is not None and element.source.startswith("/app/static/data/")
        file = tmp_path / "data" / element.source.rsplit("/", 1)[1]
        assert file.read_text(encoding="utf-8") == element.payload()
        assert f"fetch({json.dumps(element.source)})" in served
        json.loads(element.payload())  # what the page parses
    assert points.points.pieces not in served
    again = standalone_html(m)  # saved after being served: the data is in the page again
    assert points.points.pieces in again and "fetch(" not in again
    assert points.source is not None  # and the served map still fetches
    first = {f.name: f.stat().st_mtime_ns for f in (tmp_path / "data").iterdir()}
    serve_data(build_map(load_site(BRUSSELS), tiles=None), tmp_path)  # another session's map
    assert {f.name for f in (tmp_path / "data").iterdir()} == set(first)  # the same files


def test_a_site_below_the_threshold_keeps_its_site_map() -> None:
    m = build_map(load_site(BRUSSELS), tiles=None)
    assert not [e for e in walk(m) if isinstance(e, layers.NationalPoints)]


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on a free local port (the page fetches its data as in the app)."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base's name
        """No line per request."""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.parametrize("served", [False, True], ids=["saved", "served"])
def test_a_national_map_counts_then_shows_services(
    national: None, tmp_path: Path, served: bool
) -> None:
    """In Chromium: numbered badges at the country's zoom; zoomed in on a town, each service
    a canvas marker whose popup is the service's. Saved for offline use (the data in the
    page), and served as the app serves it (the data fetched from files)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    inv = load_site(BRUSSELS)
    m = build_map(inv, tiles=None)
    if served:
        serve_data(m, tmp_path, base_url="/data")
        strip_cdn_assets(m, base_url="/leaflet")
        shutil.copytree(leaflet_dir(), tmp_path / "leaflet")
        (tmp_path / "national.html").write_text(m.get_root().render(), encoding="utf-8")
    else:
        save_map(m, tmp_path / "national.html")
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with _served(tmp_path) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 750})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{url}/national.html")
            page.wait_for_selector(".leaflet-container")
            map_name = re.search(r"var (map_[0-9a-f]+) = L\.map", page.content())
            assert map_name is not None
            leaflet = map_name.group(1)
            page.evaluate(f"{leaflet}.setZoom(9)")
            page.wait_for_selector(".ra-cluster")
            counts = [int(t) for t in page.locator(".ra-cluster").all_inner_texts()]
            alone = page.evaluate(
                f"Object.values({leaflet}._layers).filter(l => l instanceof L.CircleMarker).length"
            )
            drawn = [s for s, pl in public_places(inv).items() if pl is not None]
            assert sum(counts) + alone == len(drawn)  # every drawn service counted once
            page.screenshot(path=str(ARTIFACTS / f"map_national_counts_{served}.png"))
            hospital = inv.by_id["bxl-cpvs-centre"].location
            page.evaluate(f"{leaflet}.setView([{hospital.lat}, {hospital.lon}], 16)")
            page.wait_for_function(f"Object.keys({leaflet}._layers).length > 20")
            assert page.locator(".ra-cluster").count() == 0
            page.mouse.click(550, 375)  # the map's centre: the hospital's marker
            page.wait_for_selector(".ra-popup")
            assert inv.by_id["bxl-cpvs-centre"].name in page.locator(".ra-popup").inner_text()
            page.wait_for_timeout(600)  # the popup's fade and the map's pan to show it
            assert page.locator(".ra-popup").count() == 1  # the pan's redraw kept it open
            page.screenshot(path=str(ARTIFACTS / f"map_national_detail_{served}.png"))
        finally:
            browser.close()
    assert errors == []
