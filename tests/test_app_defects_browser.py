"""The smaller defects of issue #15 (item 8), checked in headless Chromium against the served app:

- every page's own address opens that page directly, with no "Page not found" on the way
  (Explore's `/services` included; `/` opens Explore there);
- toggle and checkbox labels are whole, at desktop width and on a 390 px phone;
- the Workshop's presentation view hides the sidebar and reads the gravest gap first;
- the Export page puts the printable referral pathway first and groups the rest.

One server for the module, on the shipped inventories (data/sites); screenshots land in
tests/artifacts/ for a person to look at. Needs Debian's chromium (skipped without it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from pathways.i18n import t
from tests import test_app_browser
from tests.test_app_browser import ARTIFACTS, Session
from views.viewmodels.downloads import GROUPS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

# the app server and browser of tests/test_app_browser.py (module-scoped: one per module)
app_url = test_app_browser.app_url
browser = test_app_browser.browser

PAGES = {
    "services": "explore_title",
    "what-if": "workshop_title",
    "referral-gaps": "gaps_title",
    "site-comparison": "compare_title",
    "downloads": "export_title",
    "site-overview": "sites_title",
}
"""Each page's url path and the `pathways.i18n` key of its title."""

WATCH_NOT_FOUND = """
window.__notFound = [];
new MutationObserver(() => {
  const text = document.body ? document.body.innerText : "";
  if (/page not found/i.test(text)) window.__notFound.push(location.href);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
"""Record every moment the page says "Page not found", however briefly (a flash counts)."""

BASE_PATH_PROBE = re.compile(r"404 .*/(?:[\w-]+)/_stcore/(?:health|host-config)")
"""On a deep link, Streamlit's front end first looks for the server under the page's own path
(`/what-if/_stcore/health`, a 404) before the root: its probe, not an app error."""


def _close(s: Session) -> None:
    s.errors[:] = [e for e in s.errors if not BASE_PATH_PROBE.search(e)]
    s.close()


def _title(s: Session) -> str:
    return s.page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()


@pytest.mark.parametrize("path", ["", *PAGES])
def test_each_page_opens_at_its_own_address_without_page_not_found(
    app_url: str, browser: Browser, path: str
) -> None:
    s = Session(browser)
    s.context.add_init_script(WATCH_NOT_FOUND)
    s.open(app_url + path + "?site=koro")
    s.page.wait_for_url(re.compile(rf"/{path or 'services'}\?"))  # `/` opens Explore there
    assert _title(s) == t(PAGES[path or "services"], "en")
    assert s.page.evaluate("window.__notFound") == []
    assert "site=koro" in s.page.url  # the query is kept
    assert s.page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]').count() == 1
    _close(s)


@pytest.mark.parametrize("width", [1400, 390])
def test_toggle_and_checkbox_labels_are_whole(app_url: str, browser: Browser, width: int) -> None:
    s = Session(browser, viewport={"width": width, "height": 1000})
    for path in ("what-if", "services"):
        s.open(f"{app_url}{path}?site=koro")
        labels = s.page.locator('[data-testid="stCheckbox"] [data-testid="stWidgetLabel"]')
        assert labels.count() >= 2
        cut = s.page.evaluate(
            """() => [...document.querySelectorAll(
                '[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] *')]
              .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
              .map(e => e.innerText)"""
        )
        assert cut == [], cut
        s.page.screenshot(path=str(ARTIFACTS / f"labels_{path}_{width}.png"))
    _close(s)


def test_presentation_view_hides_the_sidebar_and_reads_the_gravest_gap_first(
    app_url: str, browser: Browser
) -> None:
    s = Session(browser)
    s.open(app_url + "what-if?site=koro")
    sidebar = s.page.locator('[data-testid="stSidebar"]')
    assert sidebar.is_visible()
    s.choose("ws_closed", "CSRef de Koro (Centre")
    s.flip("ws_presentation")
    assert not sidebar.is_visible()
    assert s.page.locator('[data-testid="stExpandSidebarButton"]').is_hidden()
    first = s.text(r"Gap 1 of \d+")
    assert "· critical ·" in first  # the gravest first
    s.shot("workshop_presentation_no_sidebar.png")
    s.flip("ws_presentation")
    assert sidebar.is_visible()
    _close(s)


def test_export_puts_the_printable_pathway_first(app_url: str, browser: Browser) -> None:
    s = Session(browser)
    s.open(app_url + "downloads?site=koro")
    buttons = s.page.locator('[data-testid="stDownloadButton"] button')
    first = s.page.locator(".st-key-download_protocol button")
    assert buttons.first.inner_text() == first.inner_text()
    assert "Referral protocol" in first.inner_text()
    tops = []
    for group in GROUPS:
        box = s.page.locator(f".st-key-export_group_{group.name}")
        assert t(f"dl_{group.name}_about", "en") in box.inner_text()
        bounds = box.bounding_box()
        assert bounds is not None
        tops.append(bounds["y"])
    assert tops == sorted(tops)  # the pathway on top, then the groups in order
    # the pathway's buttons stand out: not the colour of the others
    colour = "el => getComputedStyle(el).backgroundColor"
    other = s.page.locator(".st-key-download_gaps_csv button")
    assert first.evaluate(colour) != other.evaluate(colour)
    s.shot("export_grouped.png")
    _close(s)
