"""The app on the shared database in headless Chromium: an editor saves, a viewer only proposes.

`streamlit run app.py` with `REFERRAL_ATLAS_DB` pointing at a throwaway PostgreSQL + PostGIS
database (`tests/pg_cluster.py`) where tests/data/tiny.yaml was imported and roles granted:
`atlas_public` (the viewer role of readers who are not signed in), `hosp.ed` (editor of the
"Public hospital" organisation) and `field1` (viewer). The reverse proxy's header names the user;
as in tests/test_edit_browser.py, Chromium adds no header to the WebSocket handshake Streamlit
reads, so the server takes the user from `User-Agent` (`ATLAS_USER_HEADER=User-Agent`) and each
browser says its user there.

- the editor opens the hospital's card, saves a new phone number, and the change lands in
  `atlas.history` under their database role's name;
- the viewer's Edit mode only proposes (no "verified today", no suspend; what they send lands
  in `atlas.proposals` under their role), and no exact coordinate of the confidential shelter
  is anywhere in the page or the map's frame.

Screenshots land in tests/artifacts/ (db_editor.png, db_viewer.png, db_viewer_edit.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pathways.io.store.db import admin, schema
from tests.leaks import Secrets, text_leaks
from tests.pg_cluster import PgServer, pg_server  # noqa: F401
from tests.test_app_browser import (  # noqa: F401  (browser: a fixture)
    ARTIFACTS,
    MAP_FRAME,
    Session,
    app_server,
    browser,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SHELTER = Secrets(points=[(50.82, 4.37)])
"""tiny.yaml's confidential shelter, where it truly is."""


@pytest.fixture(scope="module")
def database(pg_server: PgServer) -> Iterator[str]:  # noqa: F811
    """A database with tiny.yaml and its roles, for the module; dropped afterwards."""
    with pg_server.fresh_database() as url:
        schema.upgrade(url)
        admin.import_inventories(url, [TINY])
        admin.grant(url, "atlas_public", "viewer", site="tiny")
        admin.grant(url, "hosp.ed", "editor", site="tiny", organisation="Public hospital")
        admin.grant(url, "field1", "viewer", site="tiny")
        yield url


@pytest.fixture(scope="module")
def app_url(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on the database; one server for the module."""
    with app_server(
        tmp_path_factory,
        REFERRAL_ATLAS_DB=database,
        REFERRAL_ATLAS_DB_VIEWER="atlas_public",
        ATLAS_USER_HEADER="User-Agent",
    ) as url:
        yield url


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def _open_card(s: Session, search: str, name: str) -> None:
    page = s.page
    s.rerun(lambda: page.locator(".st-key-explore_query input").fill(search))
    s.rerun(lambda: page.locator(".st-key-explore_query input").press("Enter"))
    s.open_row(0)  # the one row
    assert page.locator(".st-key-service_card h3").inner_text() == name


def _edit_mode(s: Session) -> None:
    s.flip("edit_mode")
    s.page.locator(".st-key-edit_panel .st-key-edit_save").wait_for(timeout=30_000)


def test_an_editor_saves_and_the_database_names_their_role(
    app_url: str,
    browser: Browser,  # noqa: F811  (the imported fixture)
    database: str,
) -> None:
    s = Session(browser, user_agent="hosp.ed")
    s.open(app_url + "?site=tiny&lang=en")
    assert "Signed in as hosp.ed" in s.page.locator('[data-testid="stSidebar"]').inner_text()
    assert s.page.locator(".st-key-sign_in_name").count() == 0  # no free-text box
    _open_card(s, "Hospital", "Hospital care centre")
    _edit_mode(s)
    panel = s.page.locator(".st-key-edit_panel")
    assert panel.locator(".st-key-edit_save button").inner_text() == "Save"
    s.page.locator(".st-key-edit_field_contact_phone input").fill("+32 2 000 00 31")
    s.rerun(lambda: panel.locator(".st-key-edit_save button").click())
    assert s.text("Saved:").startswith("Saved: Phone")
    s.shot("db_editor.png")
    rows = _rows(database, "SELECT username, action, service, fields FROM atlas.history")
    assert [(user, action, service) for user, action, service, _ in rows] == [
        ("hosp.ed", "edit", "hospital")
    ]
    assert rows[0][3][0]["after"] == "+32 2 000 00 31"
    s.close()


def test_a_viewer_only_proposes_and_never_sees_the_shelter(
    app_url: str,
    browser: Browser,  # noqa: F811  (the imported fixture)
    database: str,
) -> None:
    s = Session(browser, user_agent="field1")
    s.open(app_url + "?site=tiny&lang=en")
    _open_card(s, "Safe house", "Safe house")
    _edit_mode(s)
    panel = s.page.locator(".st-key-edit_panel")
    assert panel.locator(".st-key-edit_save button").inner_text() == "Propose"
    assert s.page.locator(".st-key-edit_verify").count() == 0
    assert s.page.locator(".st-key-edit_suspend_form, .st-key-edit_resume").count() == 0
    assert s.page.locator(".st-key-edit_field_location_lat").count() == 0
    panel.screenshot(path=str(ARTIFACTS / "db_viewer_edit.png"))
    frame = s.page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    map_html = frame.locator(":root").evaluate("e => e.outerHTML")
    assert "Safe house" in map_html  # the map's own script, with every marker
    assert text_leaks(s.page.content() + map_html, SHELTER) == []
    s.shot("db_viewer.png")

    # what the viewer sends is a proposal under their role, not a change
    s.page.locator(".st-key-edit_field_contact_phone input").fill("+32 2 000 00 32")
    s.rerun(lambda: panel.locator(".st-key-edit_save button").click())
    assert s.text("Proposed for review").startswith("Proposed for review: Phone")
    assert _rows(database, "SELECT username, service FROM atlas.proposals") == [
        ("field1", "shelter")
    ]
    assert _rows(database, "SELECT count(*) FROM atlas.history WHERE service = 'shelter'") == [(0,)]
    s.close()
