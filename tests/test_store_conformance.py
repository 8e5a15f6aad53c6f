"""The two stores answer alike (issue #18): the same tests against the YAML store and the
PostgreSQL + PostGIS store, each holding tests/data/tiny.yaml, and the same changes made on
both compared with each other (public view, inventory, versions, history, gaps).

On the database side every change is made by a coordinator (`coord`, `amina`) and proposals
come from a viewer (`field`); the YAML copy lists the same coordinators in its site block. What
only the database does (refusing a change by role) is tested in `tests/test_db_roles.py`.

The `db` half is skipped where PostgreSQL or PostGIS is not installed (`tests/pg_cluster.py`).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pathways.analysis.gaps import find_gaps
from pathways.analysis.graph import build_referral_graph
from pathways.io.load import load_site, read_site
from pathways.io.store import Change, Conflict, Store
from pathways.io.store.fields import WITHHELD
from pathways.model import clock
from pathways.model.errors import InventoryError, ValidationError
from pathways.public.card import service_card
from tests.pg_cluster import pg_server, pg_url  # noqa: F401  (the `db` stores' database)
from tests.store_setup import StoreSite, content, copy_tiny, make_database, recorded

COORDINATORS = ("coord", "amina")
IDS = ("hospital", "police", "ngo", "shelter", "lawyer")
CLINIC = {
    "id": "clinic",
    "name": "Clinic",
    "categories": ["health.general"],
    "location": {"lat": 50.845, "lon": 4.355},
}
SAFE_ROOM = {
    "id": "safe-room",
    "name": "Safe room",
    "categories": ["safety.shelter"],
    "confidential": True,
    "location": {"lat": 50.8311, "lon": 4.3622, "address": "behind the market"},
}

# --- the two stores ------------------------------------------------------------------------


def _make(kind: str, folder: Path, request: pytest.FixtureRequest) -> StoreSite:
    path = copy_tiny(folder, coordinators=COORDINATORS)
    if kind == "yaml":
        return StoreSite("yaml", path)
    url = request.getfixturevalue("pg_url")
    grants = [(u, "coordinator", "tiny", None) for u in COORDINATORS]
    make_database(url, [path], [*grants, ("field", "viewer", "tiny", None)])
    return StoreSite("db", path, url)


@pytest.fixture(params=["yaml", "db"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSite]:
    """tiny behind one store or the other."""
    made = _make(request.param, tmp_path, request)
    yield made
    made.close()


@pytest.fixture
def store(site: StoreSite) -> Store:
    """A store of `site`, acting as the coordinator `coord`."""
    return site.open("coord")


@pytest.fixture
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, StoreSite]]:
    """tiny behind each store, side by side."""
    made = {}
    for kind in ("yaml", "db"):
        (tmp_path / kind).mkdir()
        made[kind] = _make(kind, tmp_path / kind, request)
    yield made
    for s in made.values():
        s.close()


def _state(store: Store) -> tuple[Any, ...]:
    """Everything a refused change must leave as it was."""
    return (
        content(store.public()),
        [store.version(s) for s in IDS],
        recorded(store.history()),
    )


def _stale(store: Store) -> set[str]:
    gaps = find_gaps(store.public(), kinds=["stale"])
    return {s for g in gaps if g.cause == "services" for s in g.services}


# --- reading -------------------------------------------------------------------------------


def test_the_public_view_is_the_loaders(site: StoreSite, store: Store) -> None:
    assert content(store.public()) == content(load_site(site.path))


def test_a_coordinator_reads_the_validated_inventory(site: StoreSite, store: Store) -> None:
    true = read_site(site.path)
    assert content(store.inventory()) == content(true)
    assert store.inventory().by_id["shelter"].location == true.by_id["shelter"].location


def test_versions_are_the_ones_pathways_show_prints(site: StoreSite, store: Store) -> None:
    public = load_site(site.path)
    assert [store.version(s) for s in IDS] == [service_card(public, s).version for s in IDS]
    with pytest.raises(InventoryError, match="'ngo'"):
        store.version("ngoo")


# --- editing -------------------------------------------------------------------------------


def test_an_edit_applies_and_changes_the_version(site: StoreSite, store: Store) -> None:
    base = store.version("ngo")
    change = store.edit(
        "ngo", {"hours.mon": "10:00-16:00", "languages": "fr,ar,nl"}, user="coord", base=base
    )
    assert store.version("ngo") != base and change.version == store.version("ngo")
    assert (change.user, change.action, change.service) == ("coord", "edit", "ngo")
    assert [(f.field, f.before, f.after) for f in change.fields] == [
        ("hours.mon", "09:00-17:00", "10:00-16:00"),
        ("languages", ["fr", "ar"], ["fr", "ar", "nl"]),
    ]
    ngo = store.public().by_id["ngo"]
    assert ngo.hours.week[0] == ((600, 960),) and ngo.languages == ("fr", "ar", "nl")
    assert site.open("amina").public().by_id["ngo"] == ngo  # another store reads it too
    if site.kind == "yaml":
        assert read_site(site.path).by_id["ngo"].languages == ("fr", "ar", "nl")


def test_an_edit_on_an_old_base_is_a_conflict_naming_the_winner(
    site: StoreSite, store: Store
) -> None:
    other = site.open("amina")
    base = store.version("ngo")
    won = other.edit("ngo", {"notes": "first"}, user="amina", base=base)
    before = _state(store)
    with pytest.raises(Conflict) as e:
        store.edit("ngo", {"notes": "second"}, user="coord", base=base)
    assert "by amina at " in str(e.value) and e.value.by is not None
    assert recorded([e.value.by]) == recorded([won])
    assert (e.value.base, e.value.current) == (base, won.version)
    assert _state(store) == before and len(store.history()) == 1
    assert store.public().by_id["ngo"].notes == "first"


def _first_change_elsewhere(site: StoreSite, request: pytest.FixtureRequest) -> None:
    """A store of another source of the same program makes its first change (for the
    database: another database, whose history is far ahead of this one's)."""
    if site.kind == "yaml":
        elsewhere = StoreSite("yaml", copy_tiny(site.path.parent, name="elsewhere.yaml"))
    else:
        import psycopg

        server = request.getfixturevalue("pg_server")
        name = server.create_database()
        request.addfinalizer(lambda: server.drop_database(name))
        elsewhere = StoreSite("db", site.path, server.url(name))
        make_database(elsewhere.url, [site.path], [("coord", "coordinator", "tiny", None)])
        with psycopg.connect(elsewhere.url, autocommit=True) as conn:
            conn.execute("SELECT setval('atlas.history_id_seq', 1000)")
    elsewhere.open("coord").verify("police", user="coord")
    elsewhere.close()


def test_a_store_sees_the_changes_made_by_another(
    site: StoreSite, store: Store, request: pytest.FixtureRequest
) -> None:
    _first_change_elsewhere(site, request)
    other = site.open("amina")
    old = store.version("ngo")
    assert store.public().by_id["ngo"].notes is None  # read (and cached) before the change
    other.edit("ngo", {"notes": "from the other store"}, user="amina", base=old)
    assert store.public().by_id["ngo"].notes == "from the other store"
    with pytest.raises(Conflict, match="by amina"):
        store.edit("ngo", {"notes": "mine"}, user="coord", base=old)
    store.edit("ngo", {"notes": "mine"}, user="coord", base=store.version("ngo"))
    assert other.public().by_id["ngo"].notes == "mine"
    assert [c.user for c in other.history("ngo")] == ["amina", "coord"]


def test_stores_kept_up_to_date_read_as_a_fresh_one(site: StoreSite, store: Store) -> None:
    """Each store keeps the site between changes (the database store splices the services
    changed in place into what it read): after changes made through both, in turn, each reads
    what a store opened afterwards reads."""
    other = site.open("amina")
    steps: list[tuple[Store, str, dict[str, str]]] = [
        (store, "ngo", {"notes": "first"}),
        (other, "shelter", {"languages": "fr,ar"}),  # confidential, true place kept
        (store, "hospital", {"location.lat": "50.8402"}),  # the middle of the site moves
        (other, "ngo", {"hours.mon": "09:00-12:00"}),
        (store, "police", {"age_min": "16"}),
    ]
    for i, (by, sid, changes) in enumerate(steps):
        by.edit(sid, changes, user="coord" if by is store else "amina", base=by.version(sid))
        if i == 2:
            other.add_referral({"from": "police", "to": "lawyer"}, user="amina")
        for kept in (store, other):
            fresh = site.open("coord")
            assert content(kept.public()) == content(fresh.public())
            assert kept.inventory().services == fresh.inventory().services
            assert kept.inventory().referrals == fresh.inventory().referrals
            assert kept.inventory().by_id == {s.id: s for s in fresh.inventory().services}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"hours.mon": "25:00-26:00"},
            "services[2].hours: mon: '25:00-26:00' is not a time range like '08:00-17:00'",
        ),
        (
            {"languages": "xx-not-a-language"},
            "services[2].languages[0]: 'xx-not-a-language' is not an ISO 639-1 or 639-3 "
            "language code",
        ),
        ({"categories": "legal,helth"}, "services[2].categories[1]: 'helth' is not a category"),
        ({"age_min": "-3"}, "services[2].age_min: "),
        ({"location.lat": "53.9"}, "services[2].location"),
    ],
    ids=["hours", "languages", "categories", "age_min", "location"],
)
def test_an_invalid_value_is_refused_with_the_loaders_message(
    store: Store, changes: dict[str, str], problem: str
) -> None:
    before = _state(store)
    with pytest.raises(ValidationError) as e:
        store.edit("ngo", changes, user="coord", base=store.version("ngo"))
    assert problem in str(e.value) and str(e.value).count("\n") == 0
    assert _state(store) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hourz": "x"}, "'hourz' is not a field of a service (did you mean 'hours'?)"),
        ({"id": "x"}, "id: a service's id cannot change"),
        ({}, "nothing to change"),
    ],
    ids=["misspelt", "id", "none"],
)
def test_an_unknown_field_is_refused_by_name(
    store: Store, changes: dict[str, str], message: str
) -> None:
    before = _state(store)
    with pytest.raises(InventoryError, match=re.escape(message)):
        store.edit("ngo", changes, user="coord", base=store.version("ngo"))
    assert _state(store) == before


def test_users_are_staff_identifiers(store: Store) -> None:
    before = _state(store)
    with pytest.raises(InventoryError, match="not a staff identifier"):
        store.verify("ngo", user="Jane Doe")
    with pytest.raises(InventoryError, match="not a staff identifier"):
        store.edit("ngo", {"notes": "x"}, user="", base=store.version("ngo"))
    assert _state(store) == before


@pytest.mark.parametrize("action", ["edit", "verify", "suspend", "remove_service"])
def test_an_unknown_service_is_named_with_the_close_ids(
    site: StoreSite, store: Store, request: pytest.FixtureRequest, action: str
) -> None:
    before = _state(store)
    until = clock.today() + dt.timedelta(days=3)
    calls: dict[str, Callable[[], Any]] = {
        "edit": lambda: store.edit("ngoo", {"notes": "x"}, user="coord", base="x"),
        "verify": lambda: store.verify("ngoo", user="coord"),
        "suspend": lambda: store.suspend("ngoo", user="coord", until=until, reason="x"),
        "remove_service": lambda: store.remove_service("ngoo", user="coord", base="x"),
    }
    with pytest.raises(InventoryError, match=r"'ngoo' is not a service of tiny .*'ngo'"):
        calls[action]()
    assert _state(store) == before


# --- verify, suspend, resume -----------------------------------------------------------------


def test_verify_clears_the_stale_gap(store: Store) -> None:
    stale = _stale(store)
    assert {"lawyer", "ngo", "police", "shelter"} <= stale  # never verified
    change = store.verify("police", user="coord")
    assert _stale(store) == stale - {"police"}
    assert store.public().by_id["police"].last_verified == clock.today()
    assert change.action == "verify" and change.fields[0].field == "last_verified"
    assert (change.fields[0].before, change.fields[0].after) == (None, clock.today().isoformat())
    assert change.version == store.version("police")
    before = _state(store)
    with pytest.raises(InventoryError, match="in the future"):
        store.verify("ngo", user="coord", on=clock.today() + dt.timedelta(days=2))
    assert _state(store) == before


def test_suspend_drops_the_service_from_routes_until_resumed(store: Store) -> None:
    until = clock.today() + dt.timedelta(days=30)
    change = store.suspend("ngo", user="coord", until=until, reason="no case worker this month")
    assert change.reason == "no case worker this month"
    assert change.fields[0].after == {"until": until.isoformat(), "reason": change.reason}
    inv = store.public()
    G = build_referral_graph(inv)
    assert "ngo" not in G and G.graph["suspended"] == ("ngo",)
    gaps = [g for g in find_gaps(inv) if g.kind == "suspended"]
    assert [g.services for g in gaps] == [("ngo",)]
    assert "no case worker this month" in gaps[0].message
    store.resume("ngo", user="coord")
    inv = store.public()
    assert "ngo" in build_referral_graph(inv)
    assert not [g for g in find_gaps(inv) if g.kind == "suspended"]
    before = _state(store)
    with pytest.raises(InventoryError, match="ngo is not suspended"):
        store.resume("ngo", user="coord")
    with pytest.raises(InventoryError, match="already past"):
        store.suspend("ngo", user="coord", until=dt.date(2020, 1, 1), reason="x")
    with pytest.raises(InventoryError, match="give a reason"):
        store.suspend("ngo", user="coord", until=until, reason=" ")
    assert _state(store) == before
    assert [c.action for c in store.history("ngo")] == ["suspend", "resume"]


# --- adding and removing ---------------------------------------------------------------------


def test_add_and_remove_a_service_and_a_route(site: StoreSite, store: Store) -> None:
    first = content(store.public())
    store.add_service(CLINIC, user="coord")
    assert store.public().by_id["clinic"].name == "Clinic"
    with pytest.raises(InventoryError, match="clinic is already a service of tiny"):
        store.add_service(CLINIC, user="coord")
    store.add_referral(
        {"from": "hospital", "to": "clinic", "needs": ["health.general"]}, user="coord"
    )
    assert "clinic" in build_referral_graph(store.public())["hospital"]
    with pytest.raises(InventoryError, match=r"still used by 1 referral route\(s\): hospital"):
        store.remove_service("clinic", user="coord", base=store.version("clinic"))
    store.remove_referral("hospital", "clinic", user="coord")
    with pytest.raises(InventoryError, match="no referral route from hospital to clinic"):
        store.remove_referral("hospital", "clinic", user="coord")
    store.remove_service("clinic", user="coord", base=store.version("clinic"))
    assert content(store.public()) == first
    actions = ["add", "add_referral", "remove_referral", "remove"]
    assert [c.action for c in store.history()] == actions
    assert [c.action for c in store.history("clinic")] == actions
    assert [c.referral for c in store.history("clinic")] == [
        None,
        ("hospital", "clinic"),
        ("hospital", "clinic"),
        None,
    ]
    assert site.open("amina").public().by_id.get("clinic") is None


def test_a_removal_on_an_old_base_is_a_conflict(store: Store) -> None:
    base = store.version("lawyer")
    store.edit("lawyer", {"notes": "moved"}, user="amina", base=base)
    with pytest.raises(Conflict, match="by amina"):
        store.remove_service("lawyer", user="coord", base=base)
    assert "lawyer" in store.public().by_id


def test_a_route_is_refused_by_the_loaders_rules(store: Store) -> None:
    before = _state(store)
    with pytest.raises(ValidationError, match=r"referrals\[3\]\.to: 'lawyr' is not a service id"):
        store.add_referral({"from": "ngo", "to": "lawyr"}, user="coord")
    with pytest.raises(ValidationError, match="a second referral from 'hospital' to 'ngo'"):
        store.add_referral({"from": "hospital", "to": "ngo"}, user="coord")
    with pytest.raises(InventoryError, match="needs 'to'"):
        store.add_referral({"from": "ngo"}, user="coord")
    with pytest.raises(InventoryError, match="no referral route from ngo to hospital"):
        store.remove_referral("ngo", "hospital", user="coord")
    assert _state(store) == before


def test_a_second_route_names_where_the_first_is(
    site: StoreSite, store: Store, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(ValidationError) as e:
        store.add_referral({"from": "hospital", "to": "ngo"}, user="coord")
    assert "line 0" not in str(e.value)


def test_an_added_confidential_service_is_withheld_in_the_history(store: Store) -> None:
    change = store.add_service(SAFE_ROOM, user="coord")
    assert dict((f.field, f.after) for f in change.fields)["location"] == WITHHELD
    text = str([c.to_dict() for c in store.history()])
    assert "50.8311" not in text and "behind the market" not in text
    public = store.public().by_id["safe-room"]
    assert (public.location.lat, public.location.lon) != (50.8311, 4.3622)
    assert store.inventory().by_id["safe-room"].location.lat == 50.8311  # a coordinator


# --- history ---------------------------------------------------------------------------------


def test_history_is_every_applied_change_oldest_first(store: Store) -> None:
    store.edit("ngo", {"notes": "a"}, user="amina", base=store.version("ngo"))
    with pytest.raises(ValidationError):
        store.edit("ngo", {"age_min": "-3"}, user="coord", base=store.version("ngo"))
    store.verify("police", user="coord", on=dt.date(2026, 1, 2))
    store.edit("shelter", {"location.lat": "50.8213"}, user="coord", base=store.version("shelter"))
    history = store.history()
    assert [(c.user, c.action, c.service) for c in history] == [
        ("amina", "edit", "ngo"),
        ("coord", "verify", "police"),
        ("coord", "edit", "shelter"),
    ]
    assert [(f.field, f.before, f.after) for f in history[0].fields] == [("notes", None, "a")]
    assert history[0].version == store.version("ngo") and history[0].reason is None
    assert [(f.field, f.before, f.after) for f in history[1].fields] == [
        ("last_verified", None, "2026-01-02")
    ]
    assert [(f.field, f.before, f.after) for f in history[2].fields] == [
        ("location.lat", WITHHELD, WITHHELD)
    ]
    assert "50.8213" not in str(recorded(history)) and "50.82" not in str(recorded(history))
    assert [c.service for c in store.history("police")] == ["police"]
    assert [c.at for c in history] == sorted(c.at for c in history)
    assert all(c.at.tzinfo is not None for c in history)


# --- proposals -------------------------------------------------------------------------------


def test_a_proposal_waits_for_a_coordinator_who_accepts_it(site: StoreSite, store: Store) -> None:
    field = site.open("field")
    base = store.version("ngo")
    before = _state(store)
    with pytest.raises(ValidationError, match=r"services\[2\]\.age_min"):
        field.propose("ngo", {"age_min": "old"}, user="field", base=base)
    with pytest.raises(Conflict):
        field.propose("ngo", {"notes": "Kits restocked"}, user="field", base="0" * 16)
    with pytest.raises(InventoryError, match="never through the review queue"):
        field.propose("shelter", {"location.lat": "50.83"}, user="field", base="x")
    p = field.propose("ngo", {"notes": "Kits restocked"}, user="field", base=base)
    assert (p.id, p.user, p.status, p.base, dict(p.changes)) == (
        "p1",
        "field",
        "pending",
        base,
        {"notes": "Kits restocked"},
    )
    assert _state(store) == before and [q.id for q in store.proposals()] == [p.id]
    with pytest.raises(InventoryError, match="coordinator"):
        field.accept(p.id, user="field")
    change = store.accept(p.id, user="coord")
    assert change.user == "coord" and change.reason == "proposal p1 by field"
    assert store.public().by_id["ngo"].notes == "Kits restocked"
    assert store.proposals() == []
    accepted = store.proposals("accepted")
    assert [(q.id, q.decided_by) for q in accepted] == [("p1", "coord")]
    with pytest.raises(InventoryError, match="already accepted"):
        store.accept(p.id, user="coord")
    with pytest.raises(InventoryError, match="'p9' is not a proposal"):
        store.accept("p9", user="coord")


def test_a_rejected_proposal_changes_nothing(site: StoreSite, store: Store) -> None:
    before = _state(store)
    field = site.open("field")
    p = field.propose("lawyer", {"cost": "fee"}, user="field", base=store.version("lawyer"))
    rejected = store.reject(p.id, user="coord", note="still free")
    assert (rejected.status, rejected.note, rejected.decided_by) == (
        "rejected",
        "still free",
        "coord",
    )
    assert _state(store) == before and store.history() == []
    assert [q.status for q in store.proposals(None)] == ["rejected"]


def test_accepting_a_proposal_on_an_old_version_is_a_conflict(
    site: StoreSite, store: Store
) -> None:
    p = site.open("field").propose(
        "lawyer", {"cost": "low"}, user="field", base=store.version("lawyer")
    )
    store.edit("lawyer", {"notes": "moved"}, user="amina", base=store.version("lawyer"))
    with pytest.raises(Conflict, match="by amina"):
        store.accept(p.id, user="coord")
    assert [q.id for q in store.proposals()] == [p.id]


# --- both stores, side by side ---------------------------------------------------------------


def _sequence(store: Store) -> list[Any]:
    """The same changes (and refusals) on a store; what each returned, without the times."""
    until = clock.today() + dt.timedelta(days=30)
    steps: list[Callable[[], Any]] = [
        lambda: store.edit("ngo", {"hours.mon": "10:00-12:00"}, user="coord", base=v("ngo")),
        lambda: store.edit("ngo", {"hours.mon": "25:00-26:00"}, user="coord", base=v("ngo")),
        lambda: store.edit("ngo", {"notes": "old base"}, user="coord", base="0" * 16),
        lambda: store.verify("police", user="amina", on=dt.date(2026, 11, 1)),
        lambda: store.suspend("hospital", user="coord", until=until, reason="no PEP kits"),
        lambda: store.edit("shelter", {"location.lon": "4.3712"}, user="coord", base=v("shelter")),
        lambda: store.add_service(CLINIC, user="amina"),
        lambda: store.add_service(SAFE_ROOM, user="coord"),
        lambda: store.add_referral({"from": "police", "to": "clinic"}, user="coord"),
        lambda: store.add_referral({"from": "clinic", "to": "safe-room"}, user="coord"),
        lambda: store.add_referral({"from": "police", "to": "clinc"}, user="coord"),
        lambda: store.remove_referral("ngo", "shelter", user="amina"),
        lambda: store.resume("lawyer", user="coord"),
    ]

    def v(sid: str) -> str:
        return store.version(sid)

    out: list[Any] = []
    for step in steps:
        try:
            made = step()
        except ValidationError as e:
            out.append([(p.field, p.message) for p in e.problems])
        except InventoryError as e:
            out.append(type(e).__name__)
        else:
            out.append(recorded([made]))
    return out


def test_the_same_changes_give_the_same_site_history_and_gaps(both: dict[str, StoreSite]) -> None:
    stores = {kind: s.open("coord") for kind, s in both.items()}
    answers = {kind: _sequence(s) for kind, s in stores.items()}
    assert answers["yaml"] == answers["db"]
    yaml, db = stores["yaml"], stores["db"]
    assert content(db.public()) == content(yaml.public())
    assert content(db.inventory()) == content(yaml.inventory())
    ids = [s.id for s in yaml.inventory().services]
    assert [db.version(s) for s in ids] == [yaml.version(s) for s in ids]
    assert recorded(db.history()) == recorded(yaml.history())
    for sid in ("ngo", "clinic", "shelter"):
        assert recorded(db.history(sid)) == recorded(yaml.history(sid))
    assert find_gaps(db.public()) == find_gaps(yaml.public())
    assert "suspended" in {g.kind for g in find_gaps(db.public())}
    reopened = both["db"].open("amina")  # read again from the database, not from a cache
    assert content(reopened.public()) == content(yaml.public())


def test_a_removal_is_recorded_alike(both: dict[str, StoreSite]) -> None:
    stores = {kind: s.open("coord") for kind, s in both.items()}
    for s in stores.values():
        s.add_service(CLINIC, user="coord")
        s.remove_service("clinic", user="coord", base=s.version("clinic"))
        s.remove_service("lawyer", user="coord", base=s.version("lawyer"))
    assert recorded(stores["db"].history()) == recorded(stores["yaml"].history())


def test_the_review_queue_is_kept_alike(both: dict[str, StoreSite]) -> None:
    queues = {}
    for kind, s in both.items():
        store, field = s.open("coord"), s.open("field")
        p1 = field.propose("ngo", {"notes": "x"}, user="field", base=store.version("ngo"))
        p2 = field.propose("lawyer", {"cost": "fee"}, user="field", base=store.version("lawyer"))
        store.accept(p1.id, user="coord")
        store.reject(p2.id, user="coord", note="still free")
        drop = ("at", "decided_at")
        queues[kind] = [
            {k: v for k, v in p.to_dict().items() if k not in drop} for p in store.proposals(None)
        ]
        queues[kind + " history"] = recorded(store.history())
    assert queues["db"] == queues["yaml"]
    assert queues["db history"] == queues["yaml history"]


def test_refusals_name_the_same_field_and_problem(both: dict[str, StoreSite]) -> None:
    found = {}
    for kind, s in both.items():
        store = s.open("coord")
        with pytest.raises(ValidationError) as e:
            store.edit(
                "ngo",
                {"languages": "fr,xx-not-a-language", "hours.tue": "9-5", "age_min": "-1"},
                user="coord",
                base=store.version("ngo"),
            )
        # The same problems; in line order from a file, by field from a database (no lines).
        found[kind] = sorted((p.field, p.message) for p in e.value.problems)
        assert all(
            p.file.endswith("tiny.yaml" if kind == "yaml" else "#tiny") for p in e.value.problems
        )
    assert found["db"] == found["yaml"] and len(found["db"]) == 3


# --- no lost update ---------------------------------------------------------------------------


def test_no_lost_update_when_eight_users_edit_at_once(site: StoreSite) -> None:
    users = [f"worker{i}" for i in range(8)]
    for user in users:
        site.grant(user, "coordinator")
    stores = [site.open(user) for user in users]
    base = stores[0].version("ngo")
    for s in stores:
        s.public()  # each has read the site before any change
    start = threading.Barrier(len(users))
    results: dict[str, Change | BaseException] = {}

    def edit(i: int) -> None:
        start.wait()
        try:
            results[users[i]] = stores[i].edit(
                "ngo", {"notes": f"by {users[i]}"}, user=users[i], base=base
            )
        except BaseException as e:
            results[users[i]] = e

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    applied = {u: r for u, r in results.items() if isinstance(r, Change)}
    assert len(applied) == 1, results
    ((winner, made),) = applied.items()
    for user, r in results.items():
        if user != winner:
            assert isinstance(r, Conflict), r
            assert r.by is not None and r.by.user == winner and f"by {winner} at " in str(r)
            assert (r.base, r.current) == (base, made.version)
    assert len(results) == len(users)
    reader = site.open("coord")
    assert [c.user for c in reader.history("ngo")] == [winner]
    assert reader.public().by_id["ngo"].notes == f"by {winner}"
