"""The database enforces the roles (issue #18): each user logs in as their own PostgreSQL role
and tries raw SQL, not the Python store, so nothing but row-level security and privileges
stands in the way (`pathways/io/store/db/migrations/versions/0001_shared_store.py`).

The site is tiny with owners: the hospital is run by `Public hospital`, the NGO by `Women NGO`,
and the confidential shelter, at a place with six decimals (so that a leak of it is found in any
text), by `Shelter NGO`. A second site, `other`, is the same with the shelter elsewhere.

- `vera`: viewer; `eddie`: editor of Public hospital; `sheila`: editor of Shelter NGO;
  `cora`: coordinator; `olga`: coordinator of `other` only; `nobody`: a member of
  `atlas_member` with no site; `stranger`: a login with no membership at all.

Skipped where PostgreSQL or PostGIS is not installed (`tests/pg_cluster.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from pathways.io.store import open_store
from pathways.io.store.db.pg_store import PgStore
from pathways.model.errors import InventoryError
from pathways.public.privacy import MIN_DISTANCE_M
from tests.pg_cluster import pg_url  # noqa: F401  (each test's own database)
from tests.store_setup import TINY, as_login, make_database

if TYPE_CHECKING:
    import psycopg

LAT, LON = 50.823417, 4.371893  # the shelter's true place at tiny
OTHER_LAT, OTHER_LON = 50.818765, 4.366321  # at the other site
ORGANISATIONS = {
    "hospital": "Public hospital",
    "ngo": "Women NGO",
    "shelter": "Shelter NGO",
}
GRANTS = [
    ("vera", "viewer", "tiny", None),
    ("eddie", "editor", "tiny", "Public hospital"),
    ("sheila", "editor", "tiny", "Shelter NGO"),
    ("cora", "coordinator", "tiny", None),
    ("olga", "coordinator", "other", None),
]
# What a leak would print: the true place's coordinates, cut (not rounded) to 4 decimals.
SECRETS = (f"{LAT:.6f}"[:7], f"{LON:.6f}"[:6])


def _inventory(folder: Path) -> tuple[Path, Path]:
    """tiny with organisations and a precise shelter, and the `other` site."""
    text = TINY.read_text(encoding="utf-8")
    text = text.replace(
        "location: {lat: 50.8200, lon: 4.3700}", f"location: {{lat: {LAT}, lon: {LON}}}"
    )
    for sid, organisation in ORGANISATIONS.items():
        if sid != "hospital":
            text = text.replace(
                f"  - id: {sid}\n", f"  - id: {sid}\n    organisation: {organisation}\n"
            )
    tiny = folder / "tiny.yaml"
    tiny.write_text(text, encoding="utf-8")
    other = folder / "other.yaml"
    other.write_text(
        text.replace("  id: tiny\n", "  id: other\n")
        .replace(f"lat: {LAT}", f"lat: {OTHER_LAT}")
        .replace(f"lon: {LON}", f"lon: {OTHER_LON}"),
        encoding="utf-8",
    )
    data = yaml.safe_load(text)
    shelter = next(s for s in data["services"] if s["id"] == "shelter")
    assert shelter["organisation"] == "Shelter NGO" and shelter["location"]["lat"] == LAT
    return tiny, other


@pytest.fixture
def url(pg_url: str, tmp_path: Path) -> str:  # noqa: F811
    """The database: tiny and other imported, the roles granted, `nobody` and `stranger`."""
    import psycopg

    make_database(pg_url, _inventory(tmp_path), GRANTS)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name, member in (("nobody", True), ("stranger", False)):
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                conn.execute(f"CREATE ROLE {name} LOGIN")
            if member:
                conn.execute(f"GRANT atlas_member TO {name}")
        conn.execute(  # a pending proposal (by vera) to decide
            "INSERT INTO atlas.proposals (site, id, username, service, changes, base) "
            "VALUES ('tiny', 'p1', 'vera', 'ngo', '{\"notes\": \"x\"}', 'x')"
        )
        conn.execute("ANALYZE")  # the planner's statistics too must not tell the place
    return pg_url


@contextlib.contextmanager
def _login(url: str, user: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection logged in as `user` (autocommit: each statement stands alone)."""
    import psycopg

    with psycopg.connect(as_login(url, user), autocommit=True) as conn:
        yield conn


def _refused_or_none(conn: psycopg.Connection[Any], statement: str, *params: Any) -> int:
    """How many rows the statement changed: 0 when the database refused it."""
    import psycopg

    try:
        return conn.execute(statement, params or None).rowcount
    except psycopg.errors.InsufficientPrivilege:
        return 0


def _refused(conn: psycopg.Connection[Any], statement: str, *params: Any) -> str:
    """The database's refusal of a statement (the test fails if it is not refused)."""
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as e:
        conn.execute(statement, params or None)
    return str(e.value)


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'atlas' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _readable(conn: psycopg.Connection[Any]) -> list[str]:
    """The tables of `atlas` the user may select from (all but Alembic's)."""
    return [
        t
        for t in _tables(conn)
        if conn.execute("SELECT has_table_privilege(%s, 'SELECT')", (f"atlas.{t}",)).fetchone()[0]
    ]


def _everything(conn: psycopg.Connection[Any]) -> dict[str, list[str]]:
    """The text of every row the user reads in `atlas`, of its geometries (as WKT), of
    PostGIS's views and of the planner's statistics on `atlas`, by where it was read."""
    texts: dict[str, list[str]] = {}
    for t in _readable(conn):
        texts[t] = [r[0] for r in conn.execute(f"SELECT x::text FROM atlas.{t} x")]
    spatial = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'atlas' AND udt_name IN ('geometry', 'geography')"
    ).fetchall()
    for t, column in spatial:
        rows = conn.execute(f"SELECT ST_AsText({column}::geometry, 15) FROM atlas.{t}")
        texts[f"{t}.{column}"] = [r[0] for r in rows if r[0] is not None]
    for view in ("public.geometry_columns", "public.geography_columns"):
        texts[view] = [r[0] for r in conn.execute(f"SELECT x::text FROM {view} x")]
    texts["pg_stats"] = [
        r[0] for r in conn.execute("SELECT x::text FROM pg_stats x WHERE schemaname = 'atlas'")
    ]
    return texts


def _leaks(texts: dict[str, list[str]], secrets: tuple[str, ...] = SECRETS) -> list[str]:
    return [
        f"{where}: {text[:200]}"
        for where, rows in texts.items()
        for text in rows
        if any(s in text for s in secrets)
    ]


def _near(conn: psycopg.Connection[Any], metres: float) -> list[str]:
    """Rows of tiny whose geography lies within `metres` of the shelter's true place."""
    found = []
    for t in ("services", "exact_places"):
        rows = conn.execute(
            f"SELECT x::text FROM atlas.{t} x WHERE site = 'tiny' AND ST_DWithin(place, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)",
            (LON, LAT, metres),
        )
        found += [f"{t}: {r[0][:120]}" for r in rows]
    return found


def _counts(url: str) -> dict[str, int]:
    """Rows per table of `atlas`, as the owner sees them."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM atlas.{t}").fetchone()[0] for t in _tables(conn)
        }


def _record(url: str, sid: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT record FROM atlas.services WHERE site = 'tiny' AND id = %s", (sid,)
        ).fetchone()
    return dict(row[0])


# --- nobody but those who run the shelter reads its place ------------------------------------


def test_the_search_finds_the_place_where_it_is(url: str) -> None:
    """The owner's login, bound by no policy, finds it: the searches below are not blind."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        texts = _everything(conn)
        assert _leaks({"exact_places": texts["exact_places"]})
        assert _leaks({"exact_places.place": texts["exact_places.place"]})
        near = _near(conn, 1)
        assert len(near) == 1 and near[0].startswith("exact_places: (tiny,shelter,")


@pytest.mark.parametrize("user", ["vera", "eddie", "olga", "nobody"])
def test_no_exact_shelter_coordinate_anywhere_a_user_reads(url: str, user: str) -> None:
    with _login(url, user) as conn:
        texts = _everything(conn)
        assert "services" in texts and "exact_places" in texts
        assert _leaks(texts) == []
        exact = "SELECT count(*) FROM atlas.exact_places WHERE site = 'tiny'"
        assert conn.execute(exact).fetchone()[0] == 0
        assert _near(conn, MIN_DISTANCE_M - 1) == []


def test_a_function_in_the_query_sees_no_hidden_row(url: str) -> None:
    """Row-level security filters before a user's own (leaky) function sees a row."""
    notices: list[str] = []
    with _login(url, "vera") as conn:
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        conn.execute(
            "CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.000001 "
            "AS $$ BEGIN RAISE NOTICE 'peek %', $1; RETURN true; END $$"
        )
        found = conn.execute(
            "SELECT count(*) FROM atlas.exact_places WHERE pg_temp.peek(location::text) "
            "OR pg_temp.peek(place::text)"
        ).fetchone()[0]
        conn.execute("SELECT count(*) FROM atlas.services WHERE pg_temp.peek(record::text)")
    assert found == 0
    assert notices and not [n for n in notices if any(s in n for s in SECRETS)]


@pytest.mark.parametrize(
    ("user", "reads"),
    [
        ("sheila", True),
        ("cora", True),
        ("vera", False),
        ("eddie", False),
        ("olga", False),
        ("nobody", False),
    ],
)
def test_who_reads_the_shelters_exact_place(url: str, user: str, reads: bool) -> None:
    with _login(url, user) as conn:
        rows = conn.execute(
            "SELECT site, service, location, ST_Y(place::geometry), ST_X(place::geometry) "
            "FROM atlas.exact_places WHERE site = 'tiny'"
        ).fetchall()
    if not reads:
        assert rows == []
        return
    ((site, service, location, lat, lon),) = rows
    assert (site, service, location["lat"], location["lon"]) == ("tiny", "shelter", LAT, LON)
    assert (lat, lon) == pytest.approx((LAT, LON), abs=1e-9)


def test_the_shelters_editor_cannot_hand_its_place_to_another_organisation(url: str) -> None:
    with _login(url, "sheila") as conn:
        message = _refused(
            conn,
            "UPDATE atlas.exact_places SET organisation = 'Public hospital' WHERE site = 'tiny'",
        )
        assert "row-level security" in message
        _refused(
            conn,
            "UPDATE atlas.services SET organisation = 'Public hospital' "
            "WHERE site = 'tiny' AND id = 'shelter'",
        )
    with _login(url, "eddie") as conn:
        assert conn.execute("SELECT count(*) FROM atlas.exact_places").fetchone()[0] == 0


# --- a viewer changes nothing ----------------------------------------------------------------


def test_a_viewer_changes_nothing(url: str) -> None:
    before = _counts(url)
    ngo = _record(url, "ngo")
    with _login(url, "vera") as conn:
        changed = [
            _refused_or_none(
                conn,
                "UPDATE atlas.services SET record = jsonb_set(record::jsonb, '{name}', '\"X\"') "
                "WHERE site = 'tiny'",
            ),
            _refused_or_none(conn, "UPDATE atlas.referrals SET position = 0"),
            _refused_or_none(conn, "UPDATE atlas.exact_places SET intake = NULL"),
            _refused_or_none(conn, "UPDATE atlas.proposals SET status = 'accepted'"),
        ]
        assert changed == [0, 0, 0, 0]
        for t in _tables(conn):
            assert _refused_or_none(conn, f"DELETE FROM atlas.{t}") == 0, t
        refusal = _refused(  # a viewer holds no write privilege at all (atlas_writer)
            conn,
            "INSERT INTO atlas.history (site, username, action, service) "
            "VALUES ('tiny', 'cora', 'edit', 'ngo')",
        )
        assert "permission denied" in refusal or "row-level security" in refusal
        _refused(
            conn,
            "INSERT INTO atlas.history (site, action, service) VALUES ('tiny', 'edit', 'ngo')",
        )
        _refused(
            conn,
            "INSERT INTO atlas.services (site, id, position, record, version, place) "
            "VALUES ('tiny', 'fake', 99, '{}', 'x', 'SRID=4326;POINT(4.35 50.84)')",
        )
        _refused(conn, "INSERT INTO atlas.members VALUES ('tiny', 'vera', 'admin', NULL)")
        _refused(conn, "UPDATE atlas.members SET role = 'admin' WHERE username = 'vera'")
        _refused(conn, "UPDATE atlas.sites SET record = '{}'")
        _refused(
            conn,
            "INSERT INTO atlas.proposals (site, id, service, changes, base, status) "
            "VALUES ('tiny', 'p9', 'ngo', '{}', 'x', 'accepted')",
        )
    assert _counts(url) == before and _record(url, "ngo") == ngo


def test_a_user_reads_only_their_own_memberships_and_cannot_act_as_the_group(url: str) -> None:
    with _login(url, "vera") as conn:
        assert conn.execute("SELECT site, username, role FROM atlas.members").fetchall() == [
            ("tiny", "vera", "viewer")
        ]
        conn.execute("SET ROLE atlas_member")  # the group every user is in: it has no site
        for t in _readable(conn):
            assert conn.execute(f"SELECT count(*) FROM atlas.{t}").fetchone()[0] == 0, t
        conn.execute("RESET ROLE")
        _refused(conn, "SET ROLE cora")


def test_the_history_cannot_be_rewritten(url: str) -> None:
    with _login(url, "cora") as conn:
        conn.execute(
            "INSERT INTO atlas.history (site, action, service) VALUES ('tiny', 'edit', 'ngo')"
        )
        _refused(conn, "UPDATE atlas.history SET username = 'vera'")
        _refused(conn, "DELETE FROM atlas.history")
        _refused(conn, "TRUNCATE atlas.history")
    assert _counts(url)["history"] == 1


def test_a_viewer_cannot_lock_the_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(as_login(url, "vera")) as conn:  # in a transaction
        for t in ("services", "exact_places", "referrals", "history", "proposals"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"LOCK TABLE atlas.{t} IN ACCESS EXCLUSIVE MODE")
            conn.rollback()


# --- an editor changes only their organisation's services -------------------------------------


def test_an_editor_changes_only_their_organisations_services(url: str) -> None:
    rename = (
        "UPDATE atlas.services SET record = jsonb_set(record::jsonb, '{name}', '\"X\"') "
        "WHERE site = 'tiny' AND id = %s"
    )
    with _login(url, "eddie") as conn:

        def changed(statement: str, *params: Any) -> int:
            return conn.execute(statement, params or None).rowcount

        assert changed(rename, "ngo") == 0
        assert changed(rename, "shelter") == 0
        assert changed(rename, "police") == 0  # run by no organisation named
        assert changed(rename, "hospital") == 1
        move = "UPDATE atlas.services SET {} WHERE site = 'tiny' AND id = 'hospital'"
        assert "row-level security" in _refused(conn, move.format("organisation = 'Other'"))
        _refused(conn, move.format("site = 'other'"))  # to a site where eddie is nobody
        assert changed("DELETE FROM atlas.services WHERE id = 'ngo'") == 0
        assert changed("DELETE FROM atlas.referrals WHERE source = 'ngo'") == 0
        assert changed("UPDATE atlas.referrals SET position = 9 WHERE source = 'police'") == 0
        assert changed("UPDATE atlas.referrals SET position = 9 WHERE source = 'hospital'") == 1
        _refused(
            conn,
            "INSERT INTO atlas.referrals (site, source, target, position, record) "
            "VALUES ('tiny', 'ngo', 'lawyer', 9, '{}')",
        )
        _refused(
            conn,
            "INSERT INTO atlas.services (site, id, position, organisation, record, version, place) "
            "VALUES ('tiny', 'fake', 99, 'Women NGO', '{}', 'x', 'SRID=4326;POINT(4.35 50.84)')",
        )
        decide = "UPDATE atlas.proposals SET status = 'accepted', decided_by = current_user"
        assert changed(decide) == 0  # only a coordinator decides
    assert _record(url, "ngo")["name"] == "Women's NGO"
    assert _record(url, "hospital")["name"] == "X"


def test_history_is_written_under_the_writers_own_name_only(url: str) -> None:
    with _login(url, "eddie") as conn:
        for name in ("cora", "EDDIE", "postgres"):
            _refused(
                conn,
                "INSERT INTO atlas.history (site, username, action, service) "
                "VALUES ('tiny', %s, 'edit', 'hospital')",
                name,
            )
        written = conn.execute(
            "INSERT INTO atlas.history (site, action, service) "
            "VALUES ('tiny', 'edit', 'hospital') RETURNING username"
        ).fetchone()
        assert written == ("eddie",)
        _refused(
            conn,
            "INSERT INTO atlas.history (site, action, service) VALUES ('other', 'edit', 'ngo')",
        )


def test_proposals_are_made_under_ones_own_name_and_decided_by_a_coordinator(url: str) -> None:
    propose = (
        "INSERT INTO atlas.proposals (site, id, username, service, changes, base, status) "
        "VALUES ('tiny', %s, %s, 'ngo', '{}', 'x', %s)"
    )
    with _login(url, "vera") as conn:
        conn.execute(propose, ("p2", "vera", "pending"))  # anyone granted at the site
        _refused(conn, propose, "p3", "cora", "pending")
        _refused(conn, propose, "p3", "vera", "accepted")
        _refused(
            conn,
            "INSERT INTO atlas.proposals (site, id, service, changes, base) "
            "VALUES ('other', 'p1', 'ngo', '{}', 'x')",
        )
    decide = "UPDATE atlas.proposals SET status = 'accepted', decided_by = %s WHERE id = 'p1'"
    with _login(url, "sheila") as conn:
        assert conn.execute(decide, ("sheila",)).rowcount == 0  # an editor does not decide
    with _login(url, "cora") as conn:
        _refused(conn, decide, "vera")  # a decision under someone else's name
        assert conn.execute(decide, ("cora",)).rowcount == 1
        _refused(conn, "UPDATE atlas.proposals SET username = 'cora'")  # not a column to change
        _refused(conn, "UPDATE atlas.proposals SET changes = '{}'")


# --- no membership, or another site's ----------------------------------------------------------


def test_a_role_with_no_membership_reads_nothing(url: str) -> None:
    with _login(url, "nobody") as conn:
        tables = _readable(conn)
        assert "services" in tables and "exact_places" in tables
        for t in tables:
            assert conn.execute(f"SELECT count(*) FROM atlas.{t}").fetchone()[0] == 0, t
    with _login(url, "stranger") as conn:
        assert "permission denied for schema atlas" in _refused(
            conn, "SELECT count(*) FROM atlas.services"
        )


def test_a_user_of_another_site_does_not_see_this_one(url: str) -> None:
    with _login(url, "olga") as conn:
        for t in _readable(conn):
            column = "id" if t == "sites" else "site"
            sites = {r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM atlas.{t}")}
            assert "tiny" not in sites, t
        assert conn.execute("SELECT count(*) FROM atlas.services").fetchone()[0] == 5
        (other,) = conn.execute("SELECT location->>'lat' FROM atlas.exact_places").fetchone()
        assert float(other) == OTHER_LAT  # her own site's shelter, as its coordinator
        assert (
            conn.execute("UPDATE atlas.services SET record = record WHERE site = 'tiny'").rowcount
            == 0
        )


# --- through the store ---------------------------------------------------------------------------


def test_the_store_refuses_a_viewers_change_clearly(url: str) -> None:
    before = _counts(url)
    store = open_store(f"{url}#tiny", user="vera")
    try:
        base = store.version("ngo")
        with pytest.raises(
            InventoryError, match="vera is a viewer at tiny: a viewer changes nothing"
        ):
            store.edit("ngo", {"notes": "x"}, user="vera", base=base)
        with pytest.raises(InventoryError, match="vera is a viewer at tiny"):
            store.verify("ngo", user="vera")
        with pytest.raises(InventoryError, match="vera is a viewer at tiny"):
            store.remove_referral("ngo", "shelter", user="vera")
        with pytest.raises(InventoryError, match="vera is a viewer"):
            store.accept("p1", user="vera")
        store.public()  # still reads
    finally:
        store.close()
    assert _counts(url) == before


def test_the_store_refuses_a_user_without_a_role_clearly(url: str) -> None:
    with pytest.raises(InventoryError, match=r"ghost is not a user of postgresql://.*db grant"):
        open_store(f"{url}#tiny", user="ghost")
    with pytest.raises(InventoryError, match="nobody has no role at site tiny"):
        open_store(f"{url}#tiny", user="nobody")
    with pytest.raises(InventoryError, match="olga has no role at site tiny"):
        open_store(f"{url}#tiny", user="olga")


def test_the_store_lets_an_editor_change_only_their_services(url: str) -> None:
    store = open_store(f"{url}#tiny", user="eddie")
    try:
        store.edit("hospital", {"notes": "mine"}, user="eddie", base=store.version("hospital"))
        with pytest.raises(InventoryError, match="ngo is run by Women NGO"):
            store.edit("ngo", {"notes": "not mine"}, user="eddie", base=store.version("ngo"))
        with pytest.raises(InventoryError, match="shelter is run by Shelter NGO"):
            store.verify("shelter", user="eddie")
        shelter = store.inventory().by_id["shelter"]
        assert (shelter.location.lat, shelter.location.lon) != (LAT, LON)
        assert isinstance(store, PgStore)
        with pytest.raises(InventoryError, match="only its coordinators and admins"):
            store.exact_inventory("exporting")
    finally:
        store.close()
    assert _record(url, "ngo").get("notes") is None


def test_the_shelters_editor_reads_and_moves_it_through_the_store(url: str) -> None:
    store = open_store(f"{url}#tiny", user="sheila")
    try:
        assert store.inventory().by_id["shelter"].location.lat == LAT
        change = store.edit(
            "shelter", {"location.lat": "50.8237"}, user="sheila", base=store.version("shelter")
        )
        assert [(f.before, f.after) for f in change.fields] == [("(withheld)", "(withheld)")]
    finally:
        store.close()
    with _login(url, "cora") as conn:
        (lat,) = conn.execute(
            "SELECT (location->>'lat')::float FROM atlas.exact_places WHERE site = 'tiny'"
        ).fetchone()
        assert lat == 50.8237
    with _login(url, "vera") as conn:
        texts = _everything(conn)
    assert _leaks(texts, ("50.8237",)) == []


def test_the_history_names_the_database_role(url: str) -> None:
    """The name in the history is `current_user`: the role the change was made as, whatever
    the login; a login may act only as itself (or whom it was granted)."""
    store = open_store(f"{as_login(url, 'eddie')}#tiny", user="eddie")
    try:
        change = store.edit(
            "hospital", {"notes": "a"}, user="eddie", base=store.version("hospital")
        )
        with pytest.raises(InventoryError, match="the URL's login may not act as cora"):
            store.edit("hospital", {"notes": "b"}, user="cora", base=store.version("hospital"))
    finally:
        store.close()
    assert change.user == "eddie"
    owner = open_store(f"{url}#tiny", user="cora")  # the owner's login acts as cora
    try:
        owner.verify("ngo", user="cora")
        assert [(c.user, c.action) for c in owner.history()] == [
            ("eddie", "edit"),
            ("cora", "verify"),
        ]
    finally:
        owner.close()
    with _login(url, "vera") as conn:
        rows = conn.execute("SELECT username, action FROM atlas.history ORDER BY id").fetchall()
    assert rows == [("eddie", "edit"), ("cora", "verify")]
