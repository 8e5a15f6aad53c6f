"""Two people edit the same service in headless Chromium: one wins, the other sees the conflict.

The app serves a copy of tests/data/tiny.yaml in a temporary folder (the shipped inventories are
never written). Amina signs in with the sidebar's box; Jo is named by a request header, as a
reverse proxy would name him. Chromium does not add extra headers to the WebSocket handshake
that Streamlit reads them from, so the server takes the user from `User-Agent`
(`ATLAS_USER_HEADER=User-Agent`) and Jo's browser says `jo` there; Amina's says a browser's
name, which is no staff identifier, so she is not signed in until she types one. Both open
the NGO's card in Edit mode on the same version; Amina saves
first; Jo's save is refused with what Amina changed, and "Reapply my change on top" lands Jo's
change on Amina's. Screenshots of the form and the conflict land in tests/artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pathways.io.store import open_store
from tests.test_app_browser import (  # noqa: F401  (browser: a fixture)
    ARTIFACTS,
    Session,
    app_server,
    browser,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

TINY = Path(__file__).parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a copy of tiny.yaml: what the app serves and edits."""
    folder = tmp_path_factory.mktemp("sites")
    shutil.copy(TINY, folder / "tiny.yaml")
    return folder


@pytest.fixture(scope="module")
def app_url(sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on the copy; one server for the module."""
    with app_server(
        tmp_path_factory, REFERRAL_ATLAS_DATA=str(sites), ATLAS_USER_HEADER="User-Agent"
    ) as url:
        yield url


def _open_ngo_card_in_edit_mode(s: Session) -> None:
    page = s.page
    s.rerun(lambda: page.locator(".st-key-explore_query input").fill("Women"))
    s.rerun(lambda: page.locator(".st-key-explore_query input").press("Enter"))
    s.open_row(0)  # the one row
    assert page.locator(".st-key-service_card h3").inner_text() == "Women's NGO"
    s.flip("edit_mode")
    page.locator(".st-key-edit_panel .st-key-edit_save").wait_for(timeout=30_000)


def _type(s: Session, field: str, text: str) -> None:
    s.page.locator(f".st-key-edit_field_{field} input").fill(text)


def _save(s: Session) -> None:
    s.rerun(lambda: s.page.locator(".st-key-edit_save button").click())


def test_two_people_edit_one_service_one_wins_the_other_sees_the_conflict(
    app_url: str,
    browser: Browser,  # noqa: F811  (the imported fixture)
    sites: Path,
) -> None:
    amina = Session(browser)
    jo = Session(browser, user_agent="jo")  # the "proxy" header names him (see above)

    amina.open(app_url + "?site=tiny&lang=en")
    assert amina.page.locator(".st-key-sign_in_name").count() == 1  # not signed in
    amina.page.locator(".st-key-sign_in_name input").fill("amina")
    amina.rerun(lambda: amina.page.locator(".st-key-sign_in_button button").click())
    assert "amina" in amina.text("Signed in as")
    _open_ngo_card_in_edit_mode(amina)
    jo.open(app_url + "?site=tiny&lang=en")
    _open_ngo_card_in_edit_mode(jo)
    assert "Signed in as jo" in jo.page.locator('[data-testid="stSidebar"]').inner_text()
    assert jo.page.locator(".st-key-sign_out").count() == 0  # the proxy's user stays

    # both forms opened on the same version; Amina saves first
    _type(amina, "contact_phone", "+32 2 000 00 09")
    amina.page.locator(".st-key-edit_panel").screenshot(path=str(ARTIFACTS / "edit_form.png"))
    _save(amina)
    assert amina.text("Saved:").startswith("Saved: Phone")

    # Jo's change, from the version both read, is refused with what Amina changed
    _type(jo, "hours_sat", "10:00-12:00")
    _save(jo)
    conflict = jo.page.locator(".st-key-edit_conflict")
    conflict.wait_for(timeout=30_000)
    text = conflict.inner_text()
    assert "amina changed this service at" in text
    assert "Phone" in text and "+32 2 000 00 09" in text
    conflict.screenshot(path=str(ARTIFACTS / "edit_conflict.png"))
    service = open_store(str(sites / "tiny.yaml")).inventory().service("ngo")
    assert service.hours.week[5] == ()  # Jo's change did not land

    # Jo reapplies on top of Amina's
    jo.rerun(lambda: jo.page.locator(".st-key-edit_reapply button").click())
    assert jo.text("Saved:").startswith("Saved: Hours (Saturday)")
    service = open_store(str(sites / "tiny.yaml")).inventory().service("ngo")
    assert service.hours.week[5] == ((600, 720),)
    assert service.contact is not None and service.contact.phone == "+32 2 000 00 09"
    users = [c.user for c in open_store(str(sites / "tiny.yaml")).history("ngo")]
    assert users == ["amina", "jo"]
    amina.close()
    jo.close()
