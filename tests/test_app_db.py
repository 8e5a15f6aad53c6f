"""The app on the shared database (`REFERRAL_ATLAS_DB`), run headless with AppTest, and the
view-models it uses (`views.viewmodels.db`, the identity and powers of `views.viewmodels.edit`).

The database is a throwaway PostgreSQL + PostGIS one (`tests/pg_cluster.py`) with
tests/data/tiny.yaml imported and roles granted: `atlas_public` (the viewer role readers who are
not signed in read as), `coord` (coordinator), `hosp.ed` (editor of "Public hospital") and
`field1` (viewer). People sign in through OpenID Connect: AppTest's `user` is what `st.user`
reads, `{"is_logged_in": True, "email": "coord@ngo.org"}`, and `ATLAS_OIDC_DOMAIN=ngo.org`
makes that address the staff identifier `coord`, which is the database role the app acts as.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from pathways.i18n import t
from pathways.io.store.db import admin, schema
from pathways.model.errors import InventoryError
from pathways.model.inventory import Service
from tests.leaks import Secrets, text_leaks
from tests.pg_cluster import pg_url  # noqa: F401
from tests.test_app import (  # _folium_as_shipped: autouse, undoes the app's faster rendering
    ROOT,
    _folium_as_shipped,  # noqa: F401
    keys,
    map_script,
    plain,
)
from tests.test_app_edit import _edit
from views import _common
from views.viewmodels import edit
from views.viewmodels.db import Member, StorePool, public_views, site_access
from views.viewmodels.explore import Selection

TINY = Path(__file__).parent / "data" / "tiny.yaml"
REVIEW = "views/review.py"
SHELTER = Secrets(points=[(50.82, 4.37)])
"""tiny.yaml's confidential shelter, where it truly is."""

# --- identity: OpenID Connect claims, providers ---------------------------------------------------


def test_an_oidc_user_is_named_by_preferred_username_then_email() -> None:
    signed = {"is_logged_in": True, "preferred_username": "amina.k", "email": "a@ngo.org"}
    assert edit.user_from_claims(signed) == "amina.k"
    assert edit.user_from_claims({**signed, "preferred_username": ""}) == "a@ngo.org"
    assert edit.user_from_claims(signed, claim="email") == "a@ngo.org"
    assert edit.user_from_claims(signed, claim="sub") is None  # the claim is not there


def test_only_a_signed_in_user_with_a_verified_address_is_taken() -> None:
    assert edit.user_from_claims({"email": "a@ngo.org"}) is None  # AppTest's default: no login
    assert edit.user_from_claims({"is_logged_in": False, "email": "a@ngo.org"}) is None
    unverified = {"is_logged_in": True, "email": "a@ngo.org", "email_verified": False}
    assert edit.user_from_claims(unverified) is None
    assert edit.user_from_claims({"is_logged_in": True, "email": "two words@ngo.org"}) is None


def test_a_domain_keeps_the_part_before_the_at_and_refuses_other_domains() -> None:
    signed = {"is_logged_in": True, "email": "Amina@NGO.org"}
    assert edit.user_from_claims(signed, domain="ngo.org") == "Amina"
    assert edit.user_from_claims(signed, domain="@ngo.org") == "Amina"
    assert edit.user_from_claims(signed, domain="other.org") is None
    assert edit.user_from_claims({"is_logged_in": True, "email": "amina"}, domain="ngo.org") is None


def test_with_the_database_only_a_header_the_deployment_names_is_trusted() -> None:
    assert edit.user_header(None, shared=False) == "X-Forwarded-User"
    assert edit.user_header(None, shared=True) is None  # a client could send X-Forwarded-User
    assert edit.user_header(" ", shared=True) is None
    assert edit.user_header("X-Remote-User", shared=True) == "X-Remote-User"


def test_the_login_providers_are_those_with_a_client() -> None:
    assert edit.login_providers({}) == []
    assert edit.login_providers({"redirect_uri": "x", "client_id": "c"}) == [None]
    named = {"cookie_secret": "s", "microsoft": {"client_id": "m"}, "google": {"client_id": "g"}}
    assert edit.login_providers(named) == ["google", "microsoft"]
    assert edit.login_providers({"client_kwargs": {"prompt": "login"}}) == []


# --- powers: the file's coordinators, the database's roles ---------------------------------------


def _service(**fields: Any) -> Service:
    base = {"id": "s", "name": "S", "categories": ["legal"], "location": {"lat": 0, "lon": 0}}
    return Service.model_validate(base | fields)


def test_a_viewer_only_proposes() -> None:
    powers = edit.role_powers("viewer", None, _service())
    assert powers.member and not (powers.save or powers.verify or powers.suspend or powers.review)


def test_an_editor_saves_the_services_of_their_organisation_only() -> None:
    ours, theirs = _service(organisation="Public hospital"), _service(organisation="NGO")
    assert edit.role_powers("editor", "Public hospital", ours).save
    assert edit.role_powers("editor", "Public hospital", ours).suspend
    assert not edit.role_powers("editor", "Public hospital", theirs).save
    assert not edit.role_powers("editor", "Public hospital", _service()).save  # no organisation
    assert not edit.role_powers("editor", "Public hospital", None).review


def test_coordinators_and_admins_do_everything_and_no_role_reads_only() -> None:
    shelter = _service(confidential=True)
    for role in ("coordinator", "admin"):
        powers = edit.role_powers(role, None, shelter)
        assert powers.save and powers.review and powers.location(shelter)
    assert not edit.role_powers("editor", "x", shelter).location(shelter)
    assert edit.role_powers(None) == edit.READ_ONLY
    assert not edit.READ_ONLY.member


# --- the pool of stores --------------------------------------------------------------------------


class FakeStore:
    """Stands for a PgStore: counts its closing."""

    def __init__(self, source: str, user: str) -> None:
        self.source, self.user, self.closed = source, user, 0

    def close(self) -> None:
        self.closed += 1


def _pool(**options: Any) -> tuple[StorePool, list[FakeStore]]:
    opened: list[FakeStore] = []

    def opener(source: str, user: str) -> Any:
        opened.append(FakeStore(source, user))
        return opened[-1]

    roles = {"amina": {"tiny": Member("tiny", "coordinator")}}
    pool = StorePool(
        "postgresql://atlas@db/atlas", opener=opener, lookup=lambda u: roles.get(u, {}), **options
    )
    return pool, opened


def test_the_pool_lends_one_store_per_site_and_user_and_keeps_it() -> None:
    pool, opened = _pool()
    with pool.store("tiny", "amina") as first:
        assert first.source == "postgresql://atlas@db/atlas#tiny"
    with pool.store("tiny", "amina") as again:
        assert again is first
    with pool.store("tiny", "jo") as other:
        assert other is not first
    assert len(opened) == len(pool) == 2
    pool.close()
    assert [s.closed for s in opened] == [1, 1] and len(pool) == 0


def test_the_least_recently_used_store_closes_beyond_the_limit() -> None:
    pool, opened = _pool(limit=2)
    for site in ("a", "b", "a", "c"):
        with pool.store(site, "amina"):
            pass
    assert [(s.source[-1], s.closed) for s in opened] == [("a", 0), ("b", 1), ("c", 0)]


def test_a_store_in_use_closes_only_when_given_back() -> None:
    pool, opened = _pool(limit=1)
    with pool.store("a", "amina") as busy:
        with pool.store("b", "amina"):
            pass
        assert busy.closed == 0  # still lent: it closes when the block ends
    assert busy.closed == 1
    with pool.store("a", "amina") as fresh:
        assert fresh is not busy
    assert len(opened) == 3


def test_roles_are_kept_for_a_while_then_looked_up_again() -> None:
    now = [0.0]
    asked: list[str] = []

    def lookup(user: str) -> dict[str, Member]:
        asked.append(user)
        return {"tiny": Member("tiny", "viewer")}

    pool = StorePool("postgresql://db/atlas", lookup=lookup, ttl=30, clock=lambda: now[0])
    assert pool.roles(None) == {}
    pool.roles("jo")
    now[0] = 29.0
    pool.roles("jo")
    now[0] = 31.0
    pool.roles("jo")
    assert asked == ["jo", "jo"]


def test_the_sites_shown_are_read_through_the_viewer_role_where_it_has_one() -> None:
    viewer = {"tiny": Member("tiny", "viewer"), "koro": Member("koro", "viewer")}
    mine = {"tiny": Member("tiny", "editor", "NGO"), "rome": Member("rome", "coordinator")}
    shown = site_access(mine, viewer, user="jo", viewer="public")
    assert [(a.site, a.reader, a.member) for a in shown] == [
        ("koro", "public", None),
        ("rome", "jo", mine["rome"]),
        ("tiny", "public", mine["tiny"]),
    ]
    assert [a.site for a in site_access({}, viewer, user=None, viewer="public")] == ["koro", "tiny"]
    assert site_access({}, {}, user=None, viewer=None) == []


def test_a_database_that_refuses_is_one_problem_not_a_crash() -> None:
    def refuse(user: str) -> dict[str, Member]:
        raise InventoryError("postgresql://db/atlas: connection refused")

    pool = StorePool("postgresql://db/atlas", lookup=refuse)
    read = public_views(pool, user="jo", viewer=None)
    assert read.inventories == []
    assert read.problems == [("postgresql://db/atlas", "postgresql://db/atlas: connection refused")]


# --- the app on a real database ------------------------------------------------------------------


@pytest.fixture
def shared_db(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """tiny.yaml in a fresh database, roles granted, and the app pointed at it."""
    schema.upgrade(pg_url)
    admin.import_inventories(pg_url, [TINY])
    admin.grant(pg_url, "atlas_public", "viewer", site="tiny")
    admin.grant(pg_url, "coord", "coordinator", site="tiny")
    admin.grant(pg_url, "hosp.ed", "editor", site="tiny", organisation="Public hospital")
    admin.grant(pg_url, "field1", "viewer", site="tiny")
    monkeypatch.setenv("REFERRAL_ATLAS_DB", pg_url)
    monkeypatch.setenv("REFERRAL_ATLAS_DB_VIEWER", "atlas_public")
    monkeypatch.setenv("ATLAS_OIDC_DOMAIN", "ngo.org")
    monkeypatch.delenv("ATLAS_OIDC_CLAIM", raising=False)
    yield pg_url
    _common.close_stores()  # before the database is dropped


def _app(user: str | None = None, *, page: str | None = None, **options: Any) -> AppTest:
    """The app, with `user` signed in through OpenID Connect (as `user@ngo.org`)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user is not None:
        at.user = {"is_logged_in": True, "email": f"{user}@ngo.org", "email_verified": True}
    for name, value in options.items():
        setattr(at, name, value)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _card(at: AppTest, service: str) -> AppTest:
    at.session_state[keys.PICKED] = Selection(f"tiny/{service}")
    at.run()
    assert not at.exception, at.exception
    return at


def _said(elements: Any) -> str:
    return plain(" ".join(str(e.value) for e in elements))


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def _save_phone(at: AppTest, phone: str) -> AppTest:
    at.text_input(key=keys.edit_field("contact.phone")).set_value(phone)
    at.button(key=keys.EDIT_SAVE).click().run()
    assert not at.exception, at.exception
    return at


def test_a_reader_not_signed_in_reads_the_public_view_as_the_viewer_role(shared_db: str) -> None:
    at = _card(_app(), "shelter")
    assert at.sidebar.multiselect(key=keys.SITES).value == ["tiny"]
    assert "Safe house" in [s.value for s in at.subheader]
    assert t("edit_sign_in_first", "en") in _said(at.caption)
    assert t("db_sign_in_note", "en") in _said(at.sidebar.caption)
    assert not [w for w in at.sidebar.text_input if w.key == keys.SIGN_IN_NAME]  # no box
    assert text_leaks(map_script(at) + " ".join(m.value for m in at.markdown), SHELTER) == []
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    assert t("db_sign_in_note", "fr") in _said(at.sidebar.caption)


def test_the_free_text_box_s_name_is_not_taken_with_the_database(shared_db: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[keys.USER] = "coord"  # as if typed in the box: no role is taken from it
    at.run()
    at = _card(at, "ngo")
    assert not [w for w in at.toggle if w.key == keys.EDIT]
    assert t("edit_sign_in_first", "en") in _said(at.caption)


def test_without_a_viewer_role_only_signed_in_users_read(
    shared_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFERRAL_ATLAS_DB_VIEWER")
    at = _app()
    assert t("db_sign_in_to_read", "en") in _said(at.info)
    assert _app("field1").sidebar.multiselect(key=keys.SITES).value == ["tiny"]
    assert t("db_no_site", "en", user="nobody") in _said(_app("nobody").info)


def test_a_coordinator_saves_and_the_history_names_their_database_role(shared_db: str) -> None:
    at = _edit(_card(_app("coord"), "ngo"))
    assert "Signed in as **coord**" in _said(at.sidebar.caption).replace("\\", "")
    assert at.button(key=keys.EDIT_SAVE).label == t("edit_save", "en")
    at = _save_phone(at, "+32 2 000 00 42")
    assert _said(at.success).startswith("Saved: Phone")
    rows = _rows(shared_db, "SELECT username, action, service FROM atlas.history")
    assert rows == [("coord", "edit", "ngo")]
    phone = "SELECT record->'contact'->>'phone' FROM atlas.services WHERE id = 'ngo'"
    assert _rows(shared_db, phone) == [("+32 2 000 00 42",)]


def test_a_viewer_s_edit_mode_only_proposes(shared_db: str) -> None:
    at = _edit(_card(_app("field1"), "hospital"))
    assert at.button(key=keys.EDIT_SAVE).label == t("edit_propose", "en")
    assert not [b for b in at.button if b.key in (keys.EDIT_VERIFY, keys.EDIT_SUSPEND)]
    assert t("edit_you_propose", "en") in _said(at.caption)
    at = _save_phone(at, "+32 2 000 00 77")
    assert _said(at.success).startswith("Proposed for review"), _said(at.error)
    assert _rows(shared_db, "SELECT username, service FROM atlas.proposals") == [
        ("field1", "hospital")
    ]
    assert _rows(shared_db, "SELECT count(*) FROM atlas.history") == [(0,)]


def test_a_coordinator_accepts_an_editor_s_proposal_for_another_organisation(
    shared_db: str,
) -> None:
    at = _save_phone(_edit(_card(_app("hosp.ed"), "ngo")), "+32 2 000 00 66")
    assert _said(at.success).startswith("Proposed for review"), _said(at.error)
    assert t("review_not_coordinator", "en") in _said(_app("hosp.ed", page=REVIEW).caption)
    review = _app("coord", page=REVIEW)
    assert "hosp.ed" in _said(review.markdown) and "+32 2 000 00 66" in _said(review.table)
    review.button(key=keys.REVIEW_ACCEPT + "p1").click().run()
    assert not review.exception, review.exception
    assert _said(review.success).startswith("Saved: Phone"), _said(review.error)
    rows = _rows(shared_db, "SELECT username, service, reason FROM atlas.history")
    assert rows == [("coord", "ngo", "proposal p1 by hosp.ed")]
    assert _rows(shared_db, "SELECT status, decided_by FROM atlas.proposals") == [
        ("accepted", "coord")
    ]


def test_an_editor_saves_their_organisation_s_services_and_proposes_for_others(
    shared_db: str,
) -> None:
    at = _edit(_card(_app("hosp.ed"), "hospital"))
    assert at.button(key=keys.EDIT_SAVE).label == t("edit_save", "en")
    assert [b for b in at.button if b.key == keys.EDIT_VERIFY]
    at = _save_phone(at, "+32 2 000 00 55")
    assert _said(at.success).startswith("Saved: Phone"), _said(at.error)
    assert _rows(shared_db, "SELECT username, service FROM atlas.history") == [
        ("hosp.ed", "hospital")
    ]
    other = _edit(_card(_app("hosp.ed"), "ngo"))
    assert other.button(key=keys.EDIT_SAVE).label == t("edit_propose", "en")
    assert not [b for b in other.button if b.key == keys.EDIT_VERIFY]


def test_a_user_with_no_role_at_the_site_reads_it_with_a_note(shared_db: str) -> None:
    at = _card(_app("nobody"), "ngo")
    note = t("db_read_only", "en", site="Tiny Town")
    assert note in _said(at.caption)
    assert not [w for w in at.toggle if w.key == keys.EDIT]
    review = _app("nobody", page=REVIEW)
    assert note in _said(review.caption)
    assert t("db_read_only_sites", "en", sites="Tiny Town") in _said(review.sidebar.caption)
    assert "Tiny Town" not in _said(_app("field1").sidebar.caption)  # a viewer has a role


def test_a_confidential_place_is_in_the_form_of_coordinators_only(shared_db: str) -> None:
    coordinator = _edit(_card(_app("coord"), "shelter"))
    lat = coordinator.text_input(key=keys.edit_field("location.lat")).value
    assert float(lat) == pytest.approx(50.82)
    viewer = _edit(_card(_app("field1"), "shelter"))
    assert not [w for w in viewer.text_input if w.key == keys.edit_field("location.lat")]
    assert t("edit_place_withheld", "en") in _said(viewer.caption)
    shown = map_script(viewer) + _said(viewer.markdown) + _said(viewer.text_input)
    assert text_leaks(shown, SHELTER) == []


def test_an_auth_section_offers_the_sign_in_button_and_no_box(shared_db: str) -> None:
    auth = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "client_id": "c"}}
    at = _app(secrets=auth)
    assert at.sidebar.button(key=keys.LOG_IN).label == t("log_in", "en")
    assert t("log_in_note", "en") in _said(at.sidebar.caption)
    assert not [w for w in at.sidebar.text_input if w.key == keys.SIGN_IN_NAME]


def test_signing_out_of_the_identity_provider(shared_db: str) -> None:
    at = _app("coord")
    assert "coord" in _said(at.sidebar.caption)
    at.sidebar.button(key=keys.SIGN_OUT).click().run()
    assert not at.exception, at.exception
    assert "coord" not in _said(at.sidebar.caption)
    assert t("db_sign_in_note", "en") in _said(at.sidebar.caption)


def test_an_address_of_another_domain_signs_no_one_in(shared_db: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "coord@elsewhere.org"}
    at.run()
    assert not at.exception, at.exception
    assert t("oidc_no_staff_id", "en") in _said(at.sidebar.warning)
    assert at.sidebar.button(key=keys.SIGN_OUT)


def test_reruns_reuse_the_pooled_connections(shared_db: str) -> None:
    at = _app("coord")
    for _ in range(3):
        at.run()
    at = _edit(_card(at, "ngo"))
    pool = _common.store_pool(shared_db)
    assert len(pool) == 2  # the viewer role's store of tiny, and coord's for editing
    connections = _rows(
        shared_db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()",
    )
    assert connections == [(3,)]  # and the one that looks up roles


def test_the_yaml_store_keeps_its_sign_in_box(
    app_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFERRAL_ATLAS_DB", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert [w for w in at.sidebar.text_input if w.key == keys.SIGN_IN_NAME]
    assert not [b for b in at.sidebar.button if b.key == keys.LOG_IN]
    # an [auth] section replaces the box with the identity provider's sign-in
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = {"auth": {"client_id": "c"}}
    at.run()
    assert not [w for w in at.sidebar.text_input if w.key == keys.SIGN_IN_NAME]
    assert at.sidebar.button(key=keys.LOG_IN)
