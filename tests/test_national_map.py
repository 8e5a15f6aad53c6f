"""The national map (issue #19): counts by area at low zoom, each service only in view, the same
popups and tooltips as a site map, and never a confidential service's true place.

`NATIONAL_MAP` is lowered so that the small fixtures draw as national maps; the browser test
(`tests/test_map_modes_browser.py`'s neighbour, below) opens one in headless Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mapping import layers
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
    return json.loads(element.pieces), json.loads(element.data)


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


def test_a_site_below_the_threshold_keeps_its_site_map() -> None:
    m = build_map(load_site(BRUSSELS), tiles=None)
    assert not [e for e in walk(m) if isinstance(e, layers.NationalPoints)]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_national_map_counts_then_shows_services(national: None, tmp_path: Path) -> None:
    """In Chromium: numbered badges at the country's zoom; zoomed in on a town, each service
    a canvas marker whose popup is the service's."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    inv = load_site(BRUSSELS)
    page_file = save_map(build_map(inv, tiles=None), tmp_path / "national.html")
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 750})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_file.as_uri())
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
            page.screenshot(path=str(ARTIFACTS / "map_national_counts.png"))
            hospital = inv.by_id["bxl-cpvs-centre"].location
            page.evaluate(f"{leaflet}.setView([{hospital.lat}, {hospital.lon}], 16)")
            page.wait_for_function(f"Object.keys({leaflet}._layers).length > 20")
            assert page.locator(".ra-cluster").count() == 0
            page.mouse.click(550, 375)  # the map's centre: the hospital's marker
            page.wait_for_selector(".ra-popup")
            assert inv.by_id["bxl-cpvs-centre"].name in page.locator(".ra-popup").inner_text()
            page.wait_for_timeout(600)  # the popup's fade and the map's pan to show it
            assert page.locator(".ra-popup").count() == 1  # the pan's redraw kept it open
            page.screenshot(path=str(ARTIFACTS / "map_national_detail.png"))
        finally:
            browser.close()
    assert errors == []
