"""Browser test: the Compare page says how many people its coverage counted, and does not chart
Koro's town as if it were the cercle (issue #15, honest coverage)."""

from __future__ import annotations

import pytest

from pathways.i18n import t
from tests.test_app_browser import ARTIFACTS, Session, app_url, browser  # noqa: F401 (fixtures)
from views import keys

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "not_charted", "counted"),
    [
        ("en", r"Koro is not charted: only 24,694 of 361,944", "people counted"),
        ("fr", r"Koro n.est pas dans le graphique : seulement 24\u202f694", "personnes comptées"),
    ],
)
def test_compare_shows_people_counted_and_leaves_koro_uncharted(
    app_url: str,  # noqa: F811
    browser,  # noqa: F811
    lang: str,
    not_charted: str,
    counted: str,
) -> None:
    s = Session(browser)
    s.open(f"{app_url}?site=koro,brussels&lang={lang}")
    s.go(t("nav_compare", lang))
    label = "Clinical management of rape" if lang == "en" else "Prise en charge clinique du viol"
    s.choose(keys.COVERAGE_CATEGORY, label)
    warning = s.text(not_charted)
    assert "villages" in warning and "100" in warning  # the town's share, named as the town's
    table = s.page.locator('[data-testid="stTable"]').last.inner_text()
    assert counted in table and "1,218,255" in table.replace("\u202f", ",")
    s.shot(f"compare_coverage_{lang}.png")
    s.close()
    assert (ARTIFACTS / f"compare_coverage_{lang}.png").exists()
