"""The Gaps page in headless Chromium: in French with no English piece, every gap with what to
do and who, and one click from a gap to the Workshop showing it on the map.

One server for the module, on the shipped inventories; screenshots land in tests/artifacts/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pathways.analysis.gaps import find_gaps
from pathways.io.load import load_site
from tests import test_app_browser
from tests.french import english_pieces, untranslated_texts
from tests.test_app_browser import MAP_FRAME, Session
from tests.test_app_defects_browser import BASE_PATH_PROBE

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

# the app server and browser of tests/test_app_browser.py (module-scoped: one per module)
app_url = test_app_browser.app_url
browser = test_app_browser.browser


def _close(s: Session) -> None:
    """Close, checking for errors other than Streamlit's start-up probe on a deep link."""
    s.errors[:] = [e for e in s.errors if not BASE_PATH_PROBE.search(e)]
    s.close()


def _page_text(s: Session) -> str:
    return s.page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def test_french_gaps_page_has_no_english_piece(app_url: str, browser: Browser) -> None:
    inv = load_site("data/sites/koro.yaml")
    s = Session(browser)
    s.open(app_url + "referral-gaps?site=koro&lang=fr")
    s.text("Lacunes du référencement")
    s.text("Que faire")
    text = _page_text(s)
    allowed = [*untranslated_texts(inv), inv.site.coordination or ""]
    allowed += [r.reason for r in inv.site.policy]
    assert english_pieces(text, allowed) == []
    n = len(find_gaps(inv))
    assert text.count("Que faire") == n and text.count("Qui :") == n
    assert "0.0 h" not in text
    s.shot("gaps_fr.png")
    _close(s)


def test_a_gap_opens_in_the_workshop_on_its_map(app_url: str, browser: Browser) -> None:
    inv = load_site("data/sites/koro.yaml")
    gaps = find_gaps(inv)
    i = next(k for k, g in enumerate(gaps) if g.services == ("koro-csref",))
    s = Session(browser)
    s.open(app_url + "referral-gaps?site=koro")
    s.shot("gaps.png")
    s.rerun(lambda: s.page.locator(f".st-key-gap_open_koro_{i} button").click())
    s.text("Workshop: a survivor")  # the Workshop, with the CSRef closed
    closed = s.page.locator(".st-key-ws_closed [data-tag]")
    assert closed.count() == 1 and "CSRef de Koro" in closed.first.inner_text()
    s.text(r"Worse \(\d+\)")
    s.page.frame_locator(MAP_FRAME).locator(".leaflet-container").wait_for(timeout=30_000)
    s.shot("gap_in_workshop.png")
    _close(s)
