"""A map one can read offline, in headless Chromium: towns and credits, clusters that open at
the town level, the gap panel's count and place, a table row found on the map, and the map on
a phone's first screen.

The app tests share one `streamlit run` server (the fixtures of tests/test_app_browser.py);
the standalone-map tests open saved HTML files. Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mapping.build import build_map, save_map
from mapping.layers import OPEN_ZOOM
from pathways.analysis.gaps import find_gaps
from pathways.io.load import load_site
from pathways.public.privacy import public_places
from tests.test_app_browser import ARTIFACTS, MAP_FRAME, Session, app_url, browser
from tests.test_map_modes_browser import open_map
from views import keys
from views.explore import FILTERS_OPEN
from views.viewmodels.explore import filter_services
from views.viewmodels.table import found_table

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

pytestmark = pytest.mark.browser
__all__ = ["app_url", "browser"]  # fixtures, shared with the app's browser tests

SITES = Path(__file__).parent.parent / "data" / "sites"
PHONE = {"width": 390, "height": 844}
MAP_VAR = "window[Object.keys(window).find(k => k.startsWith('map_'))]"


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _map_frame(page: Page) -> Frame:
    handle = page.locator(MAP_FRAME).first.element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector(".leaflet-container", timeout=30_000)
    return frame


# --- standalone maps ---------------------------------------------------------------------------


def _standalone(browser: Browser, tmp_path: Path, site: str, **options: Any) -> tuple[Page, list]:
    inv = load_site(SITES / f"{site}.yaml")
    page_file = save_map(build_map(inv, **options), tmp_path / f"{site}.html")
    page, errors, _outside = open_map(browser, page_file, online=options.get("tiles") is not None)
    return page, errors


def test_offline_koro_has_towns_and_credits_what_it_draws(browser: Browser, tmp_path: Path) -> None:
    page, errors = _standalone(browser, tmp_path, "koro", tiles=None)
    labels = page.locator(".ra-place span").all_inner_texts()
    assert "Koro" in labels and "Bankass" in labels
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "Natural Earth" in credit and "GeoNames" in credit
    # the village names come from OpenStreetMap health facilities: credited as such
    assert "OpenStreetMap" in credit
    page.screenshot(path=str(ARTIFACTS / "map_readable_koro_desktop.png"))
    page.set_viewport_size(PHONE)
    page.reload()  # fitted again at the phone's size
    page.wait_for_selector(".ra-legend")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "map_readable_koro_phone.png"))
    assert errors == []
    page.close()


def test_brussels_offline_credits_no_openstreetmap(browser: Browser, tmp_path: Path) -> None:
    page, errors = _standalone(browser, tmp_path, "brussels", tiles=None)
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "GeoNames" in credit and "OpenStreetMap" not in credit
    assert "Schaerbeek" in page.locator(".ra-place span").all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / "map_readable_brussels_desktop.png"))
    page.set_viewport_size(PHONE)
    page.reload()  # fitted again at the phone's size
    page.wait_for_selector(".ra-legend")
    page.wait_for_timeout(300)
    assert page.locator(".ra-legend details").get_attribute("open") is None  # folded on a phone
    page.screenshot(path=str(ARTIFACTS / "map_readable_brussels_phone.png"))
    assert errors == []
    page.close()


def test_tiles_that_cannot_load_give_way_to_the_base_map(browser: Browser, tmp_path: Path) -> None:
    inv = load_site(SITES / "brussels.yaml")
    page_file = save_map(build_map(inv, tiles="OpenStreetMap"), tmp_path / "b.html")
    page, errors, _ = open_map(browser, page_file, online=False)  # every tile request fails
    page.wait_for_function("!document.querySelector('.leaflet-tile-pane img')")
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" not in credit and "GeoNames" in credit
    assert page.locator(".ra-place").count() > 0
    page.close()

    page, errors, _ = open_map(browser, page_file, online=True)  # a stub serves the tiles
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    page.wait_for_function("document.querySelectorAll('.ra-place').length === 0")
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" in credit and "GeoNames" not in credit
    assert errors == []
    page.close()


def test_koro_town_services_are_separate_markers_at_town_zoom(
    browser: Browser, tmp_path: Path
) -> None:
    inv = load_site(SITES / "koro.yaml")
    places = [p for p in public_places(inv).values() if p is not None]
    town = (14.064, -3.07539)  # GeoNames: Koro

    def km(p: Any) -> float:
        dy = (p.lat - town[0]) * 111.2
        dx = (p.lon - town[1]) * 111.2 * math.cos(math.radians(town[0]))
        return math.hypot(dx, dy)

    in_town = [p for p in places if km(p) < 2]
    assert len(in_town) >= 10
    page, errors = _standalone(browser, tmp_path, "koro", tiles=None)
    assert page.locator(".ra-cluster").count() > 0  # at the site's zoom the town is one badge
    page.evaluate(
        f"{MAP_VAR}.setView([{town[0]}, {town[1]}], {OPEN_ZOOM}, {{animate: false}}) && 0"
    )
    page.wait_for_timeout(300)
    assert page.locator(".ra-cluster").count() == 0
    icons = page.locator(".ra-icon")
    boxes = [icons.nth(i).bounding_box() for i in range(icons.count())]
    visible = [b for b in boxes if b and 0 <= b["x"] <= 1100 and 0 <= b["y"] <= 750]
    assert len(visible) == len(in_town)
    centres = {(round(b["x"]), round(b["y"])) for b in visible}
    assert len(centres) == len(visible)  # services sharing a place are fanned out
    page.screenshot(path=str(ARTIFACTS / "map_readable_koro_town.png"))
    assert errors == []
    page.close()


# --- the app -----------------------------------------------------------------------------------


def _gap_counts(text: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) (?:critical|major|minor)", text))


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 1000}, PHONE])
def test_gap_panel_counts_as_the_gaps_page_and_clears_the_legend(
    app_url: str, browser: Browser, viewport: dict[str, int]
) -> None:
    expected = len(find_gaps(load_site(SITES / "koro.yaml")))
    s = Session(browser, viewport=viewport)
    s.open(app_url + "?site=koro")
    if viewport is PHONE:
        s.flip(FILTERS_OPEN)
    s.flip(keys.MAP_GAPS)
    frame = _map_frame(s.page)
    frame.wait_for_selector(".ra-gaps", timeout=30_000)
    panel = frame.locator(".ra-gaps")
    assert f"Koro ({expected})" in panel.locator("summary").inner_text()
    count = frame.locator(".ra-gap-count").get_attribute("data-count")
    assert count is not None and int(count) == expected
    for box in (panel, frame.locator(".ra-legend")):  # both open: they still must not overlap
        if box.locator("details").get_attribute("open") is None:
            box.locator("summary").click()
    a, b = panel.bounding_box(), frame.locator(".ra-legend").bounding_box()
    assert a is not None and b is not None and not _overlap(a, b)
    name = "phone" if viewport is PHONE else "desktop"
    s.shot(f"explore_gap_panel_{name}.png")

    s.open(app_url + "referral-gaps?site=koro")  # the page's own link (a phone hides the sidebar)
    # on a deep link Streamlit's front end first probes the server under the page's path (a 404)
    s.errors = [e for e in s.errors if "/referral-gaps/_stcore/" not in e]
    page_counts = s.text(r"Koro\W+\d+ critical")
    assert _gap_counts(page_counts) == expected
    s.close()


def test_a_table_row_is_found_on_the_map(app_url: str, browser: Browser) -> None:
    inv = load_site(SITES / "koro.yaml")
    places = public_places(inv)
    s = Session(browser)
    s.open(app_url + "?site=koro")
    grid = s.page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()

    def pick_row(row: int) -> None:
        box = grid.bounding_box()
        assert box is not None
        s.rerun(lambda: s.page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * row + 17))

    def shows(lat: float, lon: float) -> bool:
        """The map is at the town zoom, with the focus ring drawn at (lat, lon) in view."""
        frame = _map_frame(s.page)
        frame.wait_for_selector(".ra-focus", timeout=30_000)
        at = frame.evaluate(
            f"(() => {{ const m = {MAP_VAR}; const p = m.latLngToContainerPoint([{lat}, {lon}]);"
            " const r = document.querySelector('.ra-focus').getBoundingClientRect();"
            " const c = m.getContainer().getBoundingClientRect();"
            f" return [m.getZoom(), m.getBounds().contains([{lat}, {lon}]), p.x, p.y,"
            " r.left + r.width / 2 - c.left, r.top + r.height / 2 - c.top]; })()"
        )
        return bool(
            at[0] == OPEN_ZOOM and at[1] and abs(at[4] - at[2]) < 2 and abs(at[5] - at[3]) < 2
        )

    table = found_table(filter_services([inv]), lang="en")
    service = inv.by_id[table.index[4].split("/", 1)[1]]  # a CSCOM in a village
    pick_row(4)
    place = places[service.id]
    assert place is not None and shows(place.lat, place.lon)
    popup = _map_frame(s.page).locator(".leaflet-popup-content")
    assert service.name in popup.inner_text()
    s.shot("explore_table_to_map.png")

    # a confidential service: its public place only, said so in the popup
    shelter = next(x for x in inv.services if x.confidential)
    s.rerun(lambda: s.page.locator(f".st-key-{keys.QUERY} input").fill("host-family"))
    s.rerun(lambda: s.page.keyboard.press("Enter"))
    pick_row(0)
    public = places[shelter.id]
    assert public is not None and shows(public.lat, public.lon)
    text = _map_frame(s.page).locator(".leaflet-popup-content").inner_text()
    assert shelter.name in text and public.describe("en") in text
    s.close()


def test_phone_shows_the_map_on_the_first_screen(app_url: str, browser: Browser) -> None:
    s = Session(browser, viewport=PHONE)
    s.open(app_url + "?site=koro")
    frame = s.page.locator(MAP_FRAME).first
    frame.wait_for(timeout=30_000)
    box = frame.bounding_box()
    assert box is not None and box["y"] < PHONE["height"] - 200  # most of the map is in view
    assert not s.page.locator(f".st-key-{keys.CATEGORIES}").is_visible()
    s.page.screenshot(path=str(ARTIFACTS / "explore_phone.png"))
    s.flip(FILTERS_OPEN)
    assert s.page.locator(f".st-key-{keys.CATEGORIES}").is_visible()
    s.close()

    s = Session(browser)  # a desktop shows the filters, without the phone's toggle
    s.open(app_url + "?site=koro")
    assert s.page.locator(f".st-key-{keys.CATEGORIES}").is_visible()
    assert not s.page.locator(f".st-key-{FILTERS_OPEN}").is_visible()
    s.close()
