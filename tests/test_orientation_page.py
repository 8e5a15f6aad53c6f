"""The Orientation page (issue #20): a frontline worker's questions, then what to do now; on a
phone-sized screen too; nothing typed kept in the address or in a file, and "Clear" wipes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import ROOT, keys
from tests.test_app_browser import MAP_FRAME, app_server
from tests.test_orient import _WATCHING, _WRITES, _tree

BRUSSELS_ARRIVAL = "bxl-fedasil-arrival"


def _page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(ROOT / "data" / "sites"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["site"] = "brussels"
    at.run()
    at.switch_page("views/orientation.py").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [e.value for kind in (at.error, at.warning, at.info) for e in kind]
    return "\n".join(str(p) for p in parts)


def test_the_answer_follows_the_questions_and_clear_wipes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _page(monkeypatch)
    at.selectbox(key=keys.OR_FROM).set_value(BRUSSELS_ARRIVAL)
    at.radio(key=keys.OR_INCIDENT).set_value("sexual")
    at.number_input(key=keys.OR_HOURS).set_value(10)
    at.checkbox(key=f"{keys.OR_SIGN}_strangulation").check()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "IMMEDIATE" in text.upper()
    assert re.search(r"62\s*h", text) and re.search(r"110\s*h", text)  # PEP, EC windows left
    first_card = next(m.value for m in at.markdown if m.value.startswith("**1\\."))
    assert "Police" in first_card or "Shelter" in first_card  # a danger sign: safety first
    at.button(key=keys.OR_CLEAR).click().run()
    assert not at.exception, at.exception
    assert at.number_input(key=keys.OR_HOURS).value is None
    assert at.checkbox(key=f"{keys.OR_SIGN}_strangulation").value is False
    assert at.radio(key=keys.OR_INCIDENT).value == "sexual"  # back to the first choice
    assert not re.search(r"62\s*h", _texts(at))


def test_answering_writes_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch)  # every module imported before looking
    before = _tree(ROOT / "data")
    _WRITES.clear()
    _WATCHING.append(True)
    try:
        at.number_input(key=keys.OR_HOURS).set_value(30)
        at.checkbox(key=f"{keys.OR_SIGN}_weapon").check()
        at.number_input(key=keys.OR_AGE).set_value(15)
        at.run()
    finally:
        _WATCHING.clear()
    assert not at.exception, at.exception
    assert [w for w in _WRITES if "__pycache__" not in str(w[1])] == []
    assert _tree(ROOT / "data") == before


@pytest.mark.browser
def test_the_page_works_on_a_phone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A phone-sized screen: the questions, the answer's cards and the map; what was typed is
    in no query parameter."""
    from playwright.sync_api import sync_playwright

    with app_server(tmp_path_factory) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{url}orientation?site=brussels", timeout=120_000)
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
            hours = page.locator(f".st-key-{keys.OR_HOURS} input")
            hours.fill("10")
            hours.press("Enter")
            page.locator(f".st-key-{keys.OR_SIGN}_threat_to_kill label").click()
            page.wait_for_function(
                "document.body.innerText.toUpperCase().includes('IMMEDIATE')", timeout=120_000
            )
            page.wait_for_function("/62\\s*h/.test(document.body.innerText)", timeout=60_000)
            page.frame_locator(MAP_FRAME).locator(".leaflet-container").wait_for(timeout=120_000)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1  # nothing wider than the phone
            artifacts = Path(__file__).parent / "artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "orientation_phone.png"), full_page=True)
            query = page.url.split("?", 1)[1] if "?" in page.url else ""
            assert "10" not in query and "threat" not in query and "sexual" not in query
            assert errors == []
        finally:
            browser.close()
