"""Editing in the app, run headless with AppTest on a copy of tests/data/tiny.yaml (the
`app_data` fixture): sign in, open a card, edit, see it saved; an invalid value's message; a
conflict and reapplying on top; French labels; a field worker's proposal accepted on the Review
page; a confidential place kept from a field worker. The real YAML store writes the copy.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pathways.i18n import t
from pathways.io.store import open_store
from tests.test_app import keys, plain, run_app
from views.viewmodels.explore import Selection

REVIEW = "views/review.py"


def _card(at: AppTest, service: str, *, user: str | None = "amina", lang: str = "en") -> AppTest:
    """Explore with the card of `tiny/<service>` open (and `user` signed in)."""
    if user:
        at.session_state[keys.USER] = user
    at.session_state[keys.PICKED] = Selection(f"tiny/{service}")
    if lang != "en":
        at.sidebar.radio(key=keys.LANG).set_value(lang)
    at.run()
    assert not at.exception, at.exception
    return at


def _edit(at: AppTest) -> AppTest:
    at.toggle(key=keys.EDIT).set_value(True).run()
    assert not at.exception, at.exception
    return at


def _field(at: AppTest, field: str):
    return at.text_input(key=keys.edit_field(field))


def _save(at: AppTest) -> AppTest:
    at.button(key=keys.EDIT_SAVE).click().run()
    assert not at.exception, at.exception
    return at


def _said(elements) -> str:
    """The text of these elements (success, error, warning...), Markdown escapes removed."""
    return plain(" ".join(str(e.value) for e in elements))


def _card_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _coordinated(app_data: Path, *names: str) -> None:
    """Name coordinators in tiny.yaml's site."""
    path = app_data / "tiny.yaml"
    text = path.read_text(encoding="utf-8")
    listed = f"  coordinators: [{', '.join(names)}]\n  data_status: illustrative"
    path.write_text(text.replace("  data_status: illustrative", listed, 1), encoding="utf-8")


# --- identity ------------------------------------------------------------------------------------


def test_signed_out_a_card_is_read_only(app_data: Path) -> None:
    at = _card(run_app(), "ngo", user=None)
    assert not [w for w in at.toggle if w.key == keys.EDIT]
    assert t("edit_sign_in_first", "en") in " ".join(c.value for c in at.caption)


def test_the_sidebar_box_signs_in_a_staff_identifier_and_out(app_data: Path) -> None:
    at = run_app()
    at.sidebar.text_input(key=keys.SIGN_IN_NAME).input("two words")
    at.sidebar.button(key=keys.SIGN_IN_BUTTON).click().run()
    assert keys.USER not in at.session_state
    assert at.error and t("sign_in_invalid", "en") in at.error[0].value
    at.sidebar.text_input(key=keys.SIGN_IN_NAME).input(" amina.k ")
    at.sidebar.button(key=keys.SIGN_IN_BUTTON).click().run()
    assert at.session_state[keys.USER] == "amina.k"
    assert "amina.k" in plain(" ".join(c.value for c in at.sidebar.caption))
    at.sidebar.button(key=keys.SIGN_OUT).click().run()
    assert keys.USER not in at.session_state


# --- edit, see saved -----------------------------------------------------------------------------


def test_an_edit_is_saved_and_the_card_shows_it(app_data: Path) -> None:
    at = _edit(_card(run_app(), "ngo"))
    assert _field(at, "name").value == "Women's NGO"
    assert _field(at, "hours.mon").value == "09:00-17:00"
    _field(at, "contact.phone").input("+32 2 000 00 09")
    _field(at, "hours.sat").input("10:00-12:00")
    at = _save(at)
    assert t("edit_saved", "en", fields="Hours (Saturday), Phone") in _said(at.success)
    assert "\\+32 2 000 00 09" in _card_text(at)  # the card, read again from the file
    ngo = open_store(str(app_data / "tiny.yaml")).inventory().service("ngo")
    assert ngo.contact is not None and ngo.contact.phone == "+32 2 000 00 09"
    assert ngo.hours.week[5] == ((600, 720),)
    history = next(d.value for d in at.dataframe if "who" in d.value.columns)
    assert set(history["who"]) == {"amina"}
    assert set(history["field"]) == {"Hours (Saturday)", "Phone"}
    text = (app_data / "tiny.yaml").read_text(encoding="utf-8")
    assert "id: hospital" in text and "    name: Hospital care centre" in text


def test_an_invalid_value_shows_the_message_and_writes_nothing(app_data: Path) -> None:
    before = (app_data / "tiny.yaml").read_bytes()
    at = _edit(_card(run_app(), "ngo"))
    _field(at, "languages").input("fr, xx")
    at = _save(at)
    shown = _said(at.error)
    assert t("edit_invalid", "en") in shown
    assert "Languages: 'xx' is not a language code (ISO 639-1 or 639-3, e.g. fr, ar)" in shown
    assert (app_data / "tiny.yaml").read_bytes() == before
    assert _field(at, "languages").value == "fr, xx"  # the form keeps what was typed


def test_the_form_speaks_french(app_data: Path) -> None:
    at = _card(run_app(), "ngo", lang="fr")
    assert at.toggle(key=keys.EDIT).label == "Modifier"
    at = _edit(at)
    assert _field(at, "contact.phone").label == "Téléphone"
    assert _field(at, "hours.mon").label == "Horaires (lundi)"
    assert at.button(key=keys.EDIT_SAVE).label == "Enregistrer"
    _field(at, "languages").input("fr,xx")
    at = _save(at)
    assert "Langues : « xx » n'est pas un code de langue" in _said(at.error)


def test_verified_today(app_data: Path) -> None:
    at = _edit(_card(run_app(), "ngo"))
    at.button(key=keys.EDIT_VERIFY).click().run()
    assert not at.exception
    assert _said(at.success) == t("edit_verified", "en")
    ngo = open_store(str(app_data / "tiny.yaml")).inventory().service("ngo")
    assert ngo.last_verified is not None


# --- conflicts -----------------------------------------------------------------------------------


def test_a_conflict_shows_the_other_change_and_reapplies_mine_on_top(app_data: Path) -> None:
    at = _edit(_card(run_app(), "ngo"))
    store = open_store(str(app_data / "tiny.yaml"))
    store.edit("ngo", {"hours.sat": "10:00-12:00"}, user="jo", base=store.version("ngo"))
    _field(at, "contact.phone").input("+32 2 000 00 09")
    at = _save(at)
    assert "Not saved: jo changed this service at " in _said(at.warning)
    (other,) = [d.value for d in at.table]  # what jo changed
    assert [plain(f) for f in other.index] == ["Hours (Saturday)"]
    assert list(other["who"]) == ["jo"] and [plain(v) for v in other["after"]] == ["10:00-12:00"]
    assert open_store(str(app_data / "tiny.yaml")).inventory().service("ngo").contact is None
    at.button(key=keys.EDIT_REAPPLY).click().run()
    assert not at.exception
    ngo = open_store(str(app_data / "tiny.yaml")).inventory().service("ngo")
    assert ngo.contact is not None and ngo.contact.phone == "+32 2 000 00 09"
    assert ngo.hours.week[5] == ((600, 720),)  # theirs kept
    assert at.success


# --- the review queue ----------------------------------------------------------------------------


def test_a_field_worker_proposes_and_a_coordinator_accepts(app_data: Path) -> None:
    _coordinated(app_data, "amina")
    at = _edit(_card(run_app(), "ngo", user="field.worker"))
    assert at.button(key=keys.EDIT_SAVE).label == "Propose"
    at.text_area(key=keys.edit_field("notes")).input("Walk-ins on Friday")
    at = _save(at)
    assert t("edit_proposed", "en", fields="Notes") in _said(at.success)
    store = open_store(str(app_data / "tiny.yaml"))
    assert store.inventory().service("ngo").notes is None
    (proposal,) = store.proposals()

    review = run_app(REVIEW)
    review.session_state[keys.USER] = "amina"
    review.run()
    assert not review.exception
    (table,) = [d.value for d in review.table]
    assert [plain(f) for f in table.index] == ["Notes"]
    assert [plain(v) for v in table["proposed"]] == ["Walk-ins on Friday"]
    key = re.sub(r"\W", "_", proposal.id)
    review.button(key=keys.REVIEW_ACCEPT + key).click().run()
    assert not review.exception
    assert open_store(str(app_data / "tiny.yaml")).inventory().service("ngo").notes == (
        "Walk-ins on Friday"
    )
    assert t("review_empty", "en") in " ".join(c.value for c in review.caption)


def test_only_a_coordinator_reviews(app_data: Path) -> None:
    _coordinated(app_data, "amina")
    review = run_app(REVIEW)
    assert review.info[0].value == t("review_sign_in", "en")
    review.session_state[keys.USER] = "field.worker"
    review.run()
    assert t("review_not_coordinator", "en") in " ".join(c.value for c in review.caption)
    assert review.title[0].value == t("review_title", "en")


def test_a_confidential_place_is_kept_from_a_field_worker(app_data: Path) -> None:
    _coordinated(app_data, "amina")
    at = _edit(_card(run_app(), "shelter", user="field.worker"))
    assert not [w for w in at.text_input if w.key and "location" in w.key]
    assert t("edit_place_withheld", "en") in " ".join(c.value for c in at.caption)
    everything = " ".join(str(e.value) for e in at.text_input) + _card_text(at)
    assert not re.search(r"50\.82\b", everything)
    coordinator = _edit(_card(run_app(), "shelter", user="amina"))
    assert _field(coordinator, "location.lat").value == "50.82"


def test_hours_written_as_one_text_stay_one_text(app_data: Path) -> None:
    at = _edit(_card(run_app(), "police"))
    assert at.radio(key=keys.EDIT_HOURS_MODE).value == "text"
    assert _field(at, "hours").value == "24/7"
    at.toggle(key=keys.EDIT).set_value(False).run()
    at = _edit(at)
    assert at.radio(key=keys.EDIT_HOURS_MODE).value == "text"


def test_suspend_needs_a_reason_then_suspends_and_resumes(app_data: Path) -> None:
    at = _edit(_card(run_app(), "ngo"))
    until = dt.date.today() + dt.timedelta(days=30)
    at.date_input(key=keys.EDIT_UNTIL).set_value(until)
    at.button(key=keys.EDIT_SUSPEND).click().run()
    assert t("edit_missing", "en", fields=t("edit_reason", "en")) in _said(at.error)
    at.date_input(key=keys.EDIT_UNTIL).set_value(until)
    at.text_input(key=keys.EDIT_REASON).input("staff on leave")
    at.button(key=keys.EDIT_SUSPEND).click().run()
    assert not at.exception
    assert f"Suspended until {until.isoformat()}: staff on leave" in _said(at.warning)
    ngo = open_store(str(app_data / "tiny.yaml")).inventory().service("ngo")
    assert ngo.suspended is not None and ngo.suspended.until == until
    at.button(key=keys.EDIT_RESUME).click().run()
    assert not at.exception
    assert open_store(str(app_data / "tiny.yaml")).inventory().service("ngo").suspended is None
