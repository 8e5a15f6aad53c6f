"""The database store: one site of a shared PostgreSQL + PostGIS database, as a user's role.

`PgStore("postgresql://HOST/DB#SITE", user="amina")` connects with the URL's credentials and
acts as amina's role (`SET ROLE`), so the database's row-level security decides what she reads
and changes (`migrations/versions/0001_shared_store.py`), for the command line, the app and
`psql` alike. Without `user`, it acts as the URL's own login.

Every change is one transaction:

1. lock the service's row (`SELECT ... FOR UPDATE`) and check the version the user read
   (`base`; a `Conflict` names who changed it and when, from the history);
2. make the change on the record and validate it with the loader's rules
   (`pathways.io.load.revalidate`: the changed record, and every rule across records) before
   anything is written;
3. `UPDATE ... WHERE version = base` (the row and, for a confidential service, its exact place),
   and the history row, under the user's own name (`current_user`), in the same transaction.

What it reads is cached per store and brought up to date from the history (the services and
routes changed since), so an edit does not read the whole site again.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pathways.io.load import revalidate
from pathways.io.store.changes import (
    check_no_routes,
    check_user,
    field_changes,
    is_secret,
    parsed_changes,
    pending_proposal,
    public_service,
    record_items,
    service_of,
    setting,
    suspension_reason,
    verified_on,
)
from pathways.io.store.db.connect import act_as, connect, database_error, one, psycopg
from pathways.io.store.db.rows import (
    inventory_of,
    public_inventory,
    service_row,
    site_folder,
    validate_referrals,
    validate_services,
    with_exact,
)
from pathways.io.store.db.source import parse_source
from pathways.io.store.fields import is_place, shown
from pathways.io.store.interface import Change, Conflict, FieldChange, Proposal
from pathways.io.store.roundtrip import plain_record, set_path
from pathways.model import clock
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory, Referral, Service, Site
from pathways.public.privacy import PublicInventory

ROLES = ("viewer", "editor", "coordinator", "admin")

_T = TypeVar("_T")
_P = ParamSpec("_P")


def _serialized(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """One call at a time on a store: it has one connection, and a change is a transaction."""

    @functools.wraps(method)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        store = args[0]
        with store._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return run


@dataclass
class _Snapshot:
    """The site as this store's user last read it: each service's public record and, for the
    confidential services this user may read so, its true place."""

    revision: int
    last_change: int
    site: dict[str, Any]
    folder: Path
    public_records: dict[str, dict[str, Any]]
    """Each service's public record, in the inventory's order."""
    confidential: set[str]
    exact: dict[str, dict[str, Any]]
    """The true `location` and `intake` of the confidential services this user may read."""
    referrals: dict[tuple[str, str], dict[str, Any]]
    seen_changes: set[int] = field(default_factory=set)
    _models: dict[str, Service] = field(default_factory=dict)
    """Each service as this user reads it, validated once (until it changes)."""
    _public_models: dict[str, Service] = field(default_factory=dict)
    _routes: tuple[Referral, ...] | None = None
    _site: Site | None = None
    _inventory: Inventory | None = None
    _public: PublicInventory | None = None
    _stale: set[str] = field(default_factory=set)
    """Services changed in place since `_inventory` was built (spliced in on the next read)."""
    _positions: dict[str, int] | None = None

    @property
    def unseen(self) -> set[str]:
        """Confidential services this user reads at their public place only."""
        return self.confidential - set(self.exact)

    def record(self, sid: str) -> dict[str, Any] | None:
        """A service's record as this user may read it (its true place where they may)."""
        public = self.public_records.get(sid)
        if public is None or sid not in self.exact:
            return public
        return with_exact(public, self.exact[sid])

    def put(
        self, sid: str, public: dict[str, Any], exact: dict[str, Any] | None, secret: bool
    ) -> None:
        """A service as it now is (added or changed)."""
        kept = self._inventory if sid in self.public_records else None
        if kept is None:
            self._positions = None
        self.public_records[sid] = public
        self.exact.pop(sid, None)
        self.confidential.discard(sid)
        if secret:
            self.confidential.add(sid)
            if exact is not None:
                self.exact[sid] = exact
        self.drop_models(sid)
        if kept is not None:  # changed in place: the rest of the inventory still holds
            self._inventory = kept
            self._stale.add(sid)

    def adopt(self, inventory: Inventory, sid: str) -> None:
        """The inventory `sid`'s change was validated into: it is this snapshot's now."""
        self._inventory = inventory
        self._stale.discard(sid)

    def drop(self, sid: str) -> None:
        """A service removed."""
        self._positions = None
        self.public_records.pop(sid, None)
        self.exact.pop(sid, None)
        self.confidential.discard(sid)
        self.drop_models(sid)

    def put_route(self, pair: tuple[str, str], record: dict[str, Any] | None) -> None:
        """A route as it now is (None: removed)."""
        if record is None:
            self.referrals.pop(pair, None)
        else:
            self.referrals[pair] = record
        self._routes = None
        self._inventory = self._public = None

    def position(self, sid: str) -> int:
        """Where the service is in the inventory."""
        if self._positions is None:
            self._positions = {s: i for i, s in enumerate(self.public_records)}
        return self._positions[sid]

    def drop_models(self, sid: str) -> None:
        self._models.pop(sid, None)
        self._public_models.pop(sid, None)
        self._inventory = self._public = None
        self._stale.clear()

    def inventory(self) -> Inventory:
        """The inventory with the true places this user may read (public places elsewhere)."""
        if self._inventory is not None and self._stale:
            self._inventory = self._spliced(self._inventory)
        if self._inventory is None:
            self._inventory = inventory_of(
                self._site_model(), self._services(public=False), self._referrals(), self._path()
            )
        return self._inventory

    def _spliced(self, inventory: Inventory) -> Inventory:
        """`inventory` with the services changed in place since validated again (each alone),
        in time that grows with the changes, not with the site."""
        stale = sorted(self._stale)
        self._stale = set()
        records = [self.record(sid) or {} for sid in stale]
        models = dict(zip(stale, validate_services(records), strict=True))
        by_id = {**inventory.by_id, **models}
        services = list(inventory.services)
        for sid, model in models.items():
            services[self.position(sid)] = model
        spliced = inventory_of(inventory.site, tuple(services), inventory.referrals, self._path())
        spliced.__dict__["by_id"] = by_id  # the cached_property, already worked out
        for sid, model in models.items():
            (self._models if sid in self.exact else self._public_models)[sid] = model
        return spliced

    def public(self) -> PublicInventory:
        """The public view, from the public records only (the same for every user)."""
        if self._public is None:
            built = inventory_of(
                self._site_model(), self._services(public=True), self._referrals(), self._path()
            )
            self._public = public_inventory(built)
        return self._public

    def _services(self, *, public: bool) -> tuple[Service, ...]:
        """Every service, each validated from its record once (then kept until it changes)."""
        cache = self._public_models
        missing = [sid for sid in self.public_records if sid not in cache]
        if missing:
            models = validate_services([self.public_records[sid] for sid in missing])
            cache.update(zip(missing, models, strict=True))
        if public or not self.exact:
            return tuple(cache[sid] for sid in self.public_records)
        own = [sid for sid in self.exact if sid not in self._models]
        if own:
            models = validate_services([self.record(sid) or {} for sid in own])
            self._models.update(zip(own, models, strict=True))
        return tuple(self._models.get(sid) or cache[sid] for sid in self.public_records)

    def _referrals(self) -> tuple[Referral, ...]:
        if self._routes is None:
            self._routes = validate_referrals(list(self.referrals.values()))
        return self._routes

    def _site_model(self) -> Site:
        if self._site is None:
            self._site = Site.model_validate(self.site)
        return self._site

    def _path(self) -> Path:
        return self.folder / f"{self.site['id']}.yaml"


class PgStore:
    """The `Store` of one site of a shared database (see the module docstring)."""

    def __init__(self, source: str, *, user: str | None = None) -> None:
        self.db = parse_source(source)
        self.site_id: str = self.db.site or ""
        self.source = self.db.shown
        self.conn = connect(self.db.dsn)
        self._lock = threading.RLock()
        self.user: str | None = None
        self.role: str | None = None
        self.organisation: str | None = None
        self._snapshot: _Snapshot | None = None
        self._written: list[int] = []  # this store's history rows not yet marked seen
        try:
            with self._errors():
                self._check_site()
                if user is not None:
                    self.act_as(user)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the store's connection (a store that is dropped closes it too)."""
        conn = getattr(self, "conn", None)
        if conn is not None and not conn.closed:
            conn.close()

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # --- who --------------------------------------------------------------------------------

    @_serialized
    def act_as(self, user: str) -> None:
        """Act as `user`'s role from now on; refused if they have no role at the site."""
        check_user(user)
        if user == self.user:
            return
        with self._errors():
            act_as(self.conn, user, self.db.dsn)
            row = self.conn.execute(
                "SELECT role, organisation FROM atlas.members "
                "WHERE site = %s AND username = current_user",
                (self.site_id,),
            ).fetchone()
        if row is None:
            self.conn.execute("RESET ROLE")
            raise InventoryError(
                f"{user} has no role at site {self.site_id} of {self.db.shown.split('#')[0]}: "
                f"an admin grants one (pathways db grant URL {user} viewer --site {self.site_id})"
            )
        self.user, self.role, self.organisation = user, row[0], row[1]
        self._snapshot = None

    def _check_site(self) -> None:
        found = self.conn.execute(
            "SELECT 1 FROM atlas.sites WHERE id = %s", (self.site_id,)
        ).fetchone()
        if found is None:
            known = [r[0] for r in self.conn.execute("SELECT id FROM atlas.sites ORDER BY id")]
            listed = ", ".join(known) if known else "none yet: pathways db import URL FILE"
            raise InventoryError(
                f"{self.db.shown}: no site '{self.site_id}' in this database (sites: {listed})"
            )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The database's refusals as one-line errors."""
        try:
            yield
        except psycopg.Error as e:
            raise database_error(e, self.db.dsn) from None

    # --- reading ----------------------------------------------------------------------------

    @_serialized
    def inventory(self) -> Inventory:
        """The whole inventory, true locations included where this user may read them all
        (a coordinator); for anyone else, the public view."""
        snap = self._current()
        return snap.inventory() if not snap.unseen else snap.public()

    @_serialized
    def public(self) -> PublicInventory:
        """The public view: what everyone else reads."""
        return self._current().public()

    @_serialized
    def exact_inventory(self, doing: str) -> Inventory:
        """The inventory with every true location, or a refusal naming what `doing` needs."""
        snap = self._current()
        if snap.unseen:
            raise InventoryError(
                f"{self.source}: {doing} {self.site_id} needs the true places of its "
                f"{len(snap.unseen)} confidential service(s); only its coordinators and admins "
                "read them (--as a coordinator, or the database owner's login)"
            )
        return snap.inventory()

    @_serialized
    def site_files(self) -> dict[str, bytes]:
        """The site's boundary, areas and population files, by their path in the store
        (`boundaries/SITE/NAME`, relative to the folder above the inventory's)."""
        with self._errors():
            rows = self.conn.execute(
                "SELECT path, content FROM atlas.site_files WHERE site = %s", (self.site_id,)
            ).fetchall()
        return {str(path): bytes(content) for path, content in rows}

    @_serialized
    def version(self, service_id: str) -> str:
        """The service's current version (`pathways show ... --json`'s `version`)."""
        with self._errors():
            row = self.conn.execute(
                "SELECT version FROM atlas.services WHERE site = %s AND id = %s",
                (self.site_id, service_id),
            ).fetchone()
        if row is None:
            service_of(self.public(), service_id)  # names the close ids
            raise InventoryError(f"'{service_id}' is not a service of {self.site_id}")
        return str(row[0])

    @_serialized
    def within(self, lat: float, lon: float, metres: float) -> list[tuple[str, float]]:
        """The services whose public place lies within `metres` of (lat, lon), nearest first,
        with their distance in metres: measured by PostGIS on the WGS84 spheroid (geography),
        found through the places' GiST index. Public places only, whoever asks."""
        with self._errors():
            rows = self.conn.execute(
                "WITH here AS (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS g) "
                "SELECT s.id, ST_Distance(s.place, here.g) AS d FROM atlas.services s, here "
                "WHERE s.site = %s AND ST_DWithin(s.place, here.g, %s) ORDER BY d, s.id",
                (lon, lat, self.site_id, metres),
            ).fetchall()
        return [(str(sid), float(d)) for sid, d in rows]

    @_serialized
    def history(self, service_id: str | None = None) -> Sequence[Change]:
        """Every applied change, oldest first (of one service and its routes, or of all)."""
        query = (
            "SELECT at, username, action, service, fields, reason, version, referral "
            "FROM atlas.history WHERE site = %s"
        )
        params: list[Any] = [self.site_id]
        if service_id is not None:
            query += " AND (service = %s OR %s = ANY(referral))"
            params += [service_id, service_id]
        with self._errors():
            rows = self.conn.execute(query + " ORDER BY id", params).fetchall()
        return [_change_of(row) for row in rows]

    def _current(self) -> _Snapshot:
        """The site as this user reads it now: read once, then brought up to date from the
        history's rows since (the changed services and routes only)."""
        with self._errors(), self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            revision, last = self._marks()
            snap = self._snapshot
            if snap is None or snap.revision != revision:
                self._snapshot = self._read_all(revision, last)
            elif last != snap.last_change or self._late_changes(snap):
                self._catch_up(snap, last)
        assert self._snapshot is not None
        return self._snapshot

    def _marks(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT s.revision, (SELECT coalesce(max(h.id), 0) FROM atlas.history h "
            "WHERE h.site = s.id) FROM atlas.sites s WHERE s.id = %s",
            (self.site_id,),
        ).fetchone()
        if row is None:
            raise InventoryError(f"{self.db.shown}: the site is no longer in this database")
        return int(row[0]), int(row[1])

    def _read_all(self, revision: int, last: int) -> _Snapshot:
        conn, site = self.conn, self.site_id
        (record,) = one(conn.execute("SELECT record FROM atlas.sites WHERE id = %s", (site,)))
        files = dict(
            conn.execute("SELECT path, content FROM atlas.site_files WHERE site = %s", (site,))
        )
        exact = {
            sid: {"location": loc, "intake": intake}
            for sid, loc, intake in conn.execute(
                "SELECT service, location, intake FROM atlas.exact_places WHERE site = %s",
                (site,),
            )
        }
        public: dict[str, dict[str, Any]] = {}
        confidential: set[str] = set()
        for sid, rec, secret in conn.execute(
            "SELECT id, record, confidential FROM atlas.services WHERE site = %s ORDER BY position",
            (site,),
        ):
            public[sid] = rec
            if secret:
                confidential.add(sid)
        referrals = {
            (a, b): rec
            for a, b, rec in conn.execute(
                "SELECT source, target, record FROM atlas.referrals WHERE site = %s "
                "ORDER BY position",
                (site,),
            )
        }
        seen = {
            int(i)
            for (i,) in conn.execute(
                "SELECT id FROM atlas.history WHERE site = %s AND id > %s", (site, last - 200)
            )
        }
        return _Snapshot(
            revision=revision,
            last_change=last,
            site=record,
            folder=site_folder(self.db.shown, site, files),
            public_records=public,
            confidential=confidential,
            exact=exact,
            referrals=referrals,
            seen_changes=seen,
        )

    def _late_changes(self, snap: _Snapshot) -> bool:
        """Has a change committed since with a smaller id than the last one seen (ids are
        taken when a transaction starts to write, not when it commits)?"""
        ids = {
            int(i)
            for (i,) in self.conn.execute(
                "SELECT id FROM atlas.history WHERE site = %s AND id > %s",
                (self.site_id, snap.last_change - 200),
            )
        }
        return bool(ids - snap.seen_changes)

    def _catch_up(self, snap: _Snapshot, last: int) -> None:
        """Read again the services and routes that the history says changed since."""
        rows = self.conn.execute(
            "SELECT id, service, referral FROM atlas.history WHERE site = %s AND id > %s",
            (self.site_id, snap.last_change - 200),
        ).fetchall()
        fresh = [r for r in rows if int(r[0]) not in snap.seen_changes]
        services = {r[1] for r in fresh if r[1] and not r[2]}
        routes = {(r[2][0], r[2][1]) for r in fresh if r[2]}
        for sid in services:
            self._reload_service(snap, sid)
        for pair in routes:
            self._reload_referral(snap, pair)
        snap.seen_changes = {int(r[0]) for r in rows}
        snap.last_change = last

    def _reload_service(self, snap: _Snapshot, sid: str) -> None:
        row = self.conn.execute(
            "SELECT s.record, s.confidential, e.location, e.intake FROM atlas.services s "
            "LEFT JOIN atlas.exact_places e ON e.site = s.site AND e.service = s.id "
            "WHERE s.site = %s AND s.id = %s",
            (self.site_id, sid),
        ).fetchone()
        if row is None:
            snap.drop(sid)
            return
        record, secret, location, intake = row
        exact = {"location": location, "intake": intake} if location is not None else None
        snap.put(sid, record, exact, bool(secret))

    def _reload_referral(self, snap: _Snapshot, pair: tuple[str, str]) -> None:
        row = self.conn.execute(
            "SELECT record FROM atlas.referrals WHERE site = %s AND source = %s AND target = %s",
            (self.site_id, *pair),
        ).fetchone()
        snap.put_route(pair, row[0] if row is not None else None)

    # --- changing one service ---------------------------------------------------------------

    @_serialized
    def edit(self, service_id: str, changes: Mapping[str, str], *, user: str, base: str) -> Change:
        """Set fields (`{"hours.mon": "09:00-17:00", "languages": "fr,ar"}`) of one service."""
        specs = parsed_changes(changes)

        change = setting(specs)

        paths = [spec.path for spec, _ in specs]
        return self._change(service_id, "edit", change, paths, user=user, base=base)

    @_serialized
    def verify(self, service_id: str, *, user: str, on: dt.date | None = None) -> Change:
        """Record that the service was confirmed (`last_verified`): clears its stale gap."""
        day = verified_on(on)

        def change(record: Any) -> None:
            set_path(record, ("last_verified",), day)

        return self._change(service_id, "verify", change, [("last_verified",)], user=user)

    @_serialized
    def suspend(self, service_id: str, *, user: str, until: dt.date, reason: str) -> Change:
        """Close a service for a while: it drops out of routes and shows as suspended."""
        reason = suspension_reason(until, reason)

        def change(record: Any) -> None:
            record["suspended"] = {"until": until, "reason": reason}

        return self._change(
            service_id, "suspend", change, [("suspended",)], user=user, reason=reason
        )

    @_serialized
    def resume(self, service_id: str, *, user: str) -> Change:
        """End a suspension."""

        def change(record: Any) -> None:
            if "suspended" not in record:
                raise InventoryError(f"resume: {service_id} is not suspended")
            del record["suspended"]

        return self._change(service_id, "resume", change, [("suspended",)], user=user)

    def _change(
        self,
        service_id: str,
        action: Any,
        change: Callable[[Any], None],
        paths: Sequence[tuple[str, ...]],
        *,
        user: str,
        base: str | None = None,
        reason: str | None = None,
        then: Callable[[], None] | None = None,
    ) -> Change:
        """One change of a service's fields, in one transaction (see the module docstring)."""
        self.act_as(user)
        snap = self._current()
        with self._errors(), self.conn.transaction():
            current = self._locked_row(service_id)
            if base is not None and base != current.version:
                raise self._conflict(service_id, base, current.version)
            if current.confidential and current.exact is None:
                raise self._not_yours(service_id, current.organisation)
            before = current.full
            after = _changed(before, change)
            inventory = self._validated(snap, {service_id: after})
            row = service_row(*_public_and_true(inventory, service_id))
            self._update_service(row, current.version)
            made = self._record(
                action,
                service_id,
                field_changes(before, after, paths),
                row.version,
                reason=reason,
            )
            if then is not None:
                then()
        snap.put(service_id, row.record, row.exact, row.confidential)
        snap.adopt(inventory, service_id)
        self._seen(snap, made)
        return made

    def _locked_row(self, service_id: str) -> _Row:
        """The service's row, locked until the transaction ends; a clear refusal when the
        database hides it from this user's changes."""
        if self.role == "viewer":  # the database refuses it anyway (no write privilege)
            raise self._not_yours(service_id, None)
        row = self.conn.execute(
            "SELECT s.version, s.organisation, s.confidential, s.record, e.location, e.intake "
            "FROM atlas.services s LEFT JOIN atlas.exact_places e "
            "ON e.site = s.site AND e.service = s.id "
            "WHERE s.site = %s AND s.id = %s FOR UPDATE OF s",
            (self.site_id, service_id),
        ).fetchone()
        if row is not None:
            version, organisation, secret, record, location, intake = row
            exact = {"location": location, "intake": intake} if location is not None else None
            return _Row(str(version), organisation, bool(secret), record, exact)
        seen = self.conn.execute(
            "SELECT organisation FROM atlas.services WHERE site = %s AND id = %s",
            (self.site_id, service_id),
        ).fetchone()
        if seen is None:
            if self._snapshot is not None:  # names the close ids (no new read: in a transaction)
                service_of(self._snapshot.public(), service_id)
            raise InventoryError(f"'{service_id}' is not a service of {self.site_id}")
        raise self._not_yours(service_id, seen[0])

    def _not_yours(self, service_id: str, organisation: str | None) -> InventoryError:
        role = self.role or "user"
        who = f"{self.user} is {'an' if role[0] in 'aeiou' else 'a'} {role} at {self.site_id}"
        if self.role == "viewer":
            return InventoryError(f"{who}: a viewer changes nothing (propose a change instead)")
        runs = f"run by {organisation}" if organisation else "run by no organisation named"
        return InventoryError(
            f"{who} for {self.organisation}: {service_id} is {runs}; only its editors and the "
            "site's coordinators change it"
        )

    def _conflict(self, service_id: str, base: str, now: str) -> Conflict:
        """The refusal of a change on an old version, naming the last change of the service."""
        row = self.conn.execute(
            "SELECT at, username, action, service, fields, reason, version, referral "
            "FROM atlas.history WHERE site = %s AND service = %s AND referral IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (self.site_id, service_id),
        ).fetchone()
        return Conflict(service_id, base, now, _change_of(row) if row is not None else None)

    def _validated(
        self,
        snap: _Snapshot,
        changed: Mapping[str, Any],
        *,
        added: Sequence[Any] = (),
        removed: Sequence[str] = (),
        referrals: Sequence[Any] | None = None,
    ) -> Inventory:
        """The inventory with these records changed, added or removed, validated with the
        loader's rules before anything is written (problems name the source, not a line)."""
        previous = snap.inventory()
        services: list[Any]
        if removed or added:
            services = [changed.get(s.id, s) for s in previous.services if s.id not in removed]
        else:  # changed in place (most changes)
            services = list(previous.services)
            for sid, record in changed.items():
                services[snap.position(sid)] = record
        services += list(added)
        touched = {*changed, *removed, *(r.get("id") for r in added if isinstance(r, Mapping))}
        return revalidate(
            previous,
            None,
            services=services,
            referrals=previous.referrals if referrals is None else referrals,
            touched={str(t) for t in touched},
            unseen=snap.unseen - set(changed),
            name=f"{self.source}",
        )

    def _update_service(self, row: Any, version: str) -> None:
        done = self.conn.execute(
            "UPDATE atlas.services SET record = %s, version = %s, organisation = %s, "
            "confidential = %s, place = %s::geography WHERE site = %s AND id = %s "
            "AND version = %s",
            (
                _json(row.record),
                row.version,
                row.organisation,
                row.confidential,
                row.point,
                self.site_id,
                row.id,
                version,
            ),
        )
        if done.rowcount != 1:
            raise self._conflict(row.id, version, self.version(row.id))
        self._write_exact(row)

    def _write_exact(self, row: Any) -> None:
        if row.exact is None:
            self.conn.execute(
                "DELETE FROM atlas.exact_places WHERE site = %s AND service = %s",
                (self.site_id, row.id),
            )
            return
        self.conn.execute(
            "INSERT INTO atlas.exact_places (site, service, organisation, location, intake, "
            "place) VALUES (%s, %s, %s, %s, %s, %s::geography) ON CONFLICT (site, service) "
            "DO UPDATE SET organisation = excluded.organisation, location = excluded.location, "
            "intake = excluded.intake, place = excluded.place",
            (
                self.site_id,
                row.id,
                row.organisation,
                _json(row.exact["location"]),
                _json(row.exact["intake"]) if row.exact["intake"] is not None else None,
                row.exact_point,
            ),
        )

    def _record(
        self,
        action: Any,
        service: str | None,
        fields: tuple[FieldChange, ...],
        version: str | None,
        *,
        reason: str | None = None,
        referral: tuple[str, str] | None = None,
    ) -> Change:
        """The history row of a change, under the user's own name (the database's
        `current_user`, never an argument), in the change's transaction."""
        at = clock.now()
        row = one(
            self.conn.execute(
                "INSERT INTO atlas.history (site, at, action, service, fields, reason, version, "
                "referral) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, username, at",
                (
                    self.site_id,
                    at,
                    action,
                    service,
                    _json(
                        [{"field": f.field, "before": f.before, "after": f.after} for f in fields]
                    ),
                    reason,
                    version,
                    list(referral) if referral else None,
                ),
            )
        )
        change = Change(
            at=_local(row[2], at),
            user=str(row[1]),
            action=action,
            service=service,
            fields=_json_fields(fields),
            reason=reason,
            version=version,
            referral=referral,
        )
        self._written.append(int(row[0]))
        return change

    def _seen(self, snap: _Snapshot, change: Change) -> None:
        """This store's own changes need not be read again."""
        snap.seen_changes.update(self._written)
        if self._written:
            snap.last_change = max(snap.last_change, *self._written)
        self._written = []

    # --- adding and removing ----------------------------------------------------------------

    @_serialized
    def add_service(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a service (a record as the inventory format writes it)."""
        sid = record.get("id")
        if not isinstance(sid, str) or not sid:
            raise InventoryError("add: the service has no id")
        self.act_as(user)
        snap = self._current()
        if sid in snap.public_records:
            raise InventoryError(f"add: {sid} is already a service of {self.site_id}")
        raw = _plain(dict(record))
        inventory = self._validated(snap, {}, added=[raw])
        row = service_row(*_public_and_true(inventory, sid))
        secret = is_secret(raw)
        fields = tuple(FieldChange(k, None, shown(v, k, secret)) for k, v in record_items(raw))
        with self._errors(), self.conn.transaction():
            if self.role == "editor" and row.organisation != self.organisation:
                raise InventoryError(
                    f"{self.user} adds services of {self.organisation} only "
                    f"(organisation: {self.organisation})"
                )
            self._insert_service(row)
            made = self._record("add", sid, fields, row.version)
        snap.put(sid, row.record, row.exact, row.confidential)
        self._seen(snap, made)
        return made

    def _insert_service(self, row: Any) -> None:
        try:
            self.conn.execute(
                "INSERT INTO atlas.services (site, id, position, organisation, confidential, "
                "record, version, place) SELECT %s, %s, coalesce(max(position), 0) + 1, %s, %s, "
                "%s, %s, %s::geography FROM atlas.services WHERE site = %s",
                (
                    self.site_id,
                    row.id,
                    row.organisation,
                    row.confidential,
                    _json(row.record),
                    row.version,
                    row.point,
                    self.site_id,
                ),
            )
        except psycopg.errors.UniqueViolation:
            raise InventoryError(f"add: {row.id} is already a service of {self.site_id}") from None
        except psycopg.errors.InsufficientPrivilege:
            raise self._not_yours(row.id, row.organisation) from None
        self._write_exact(row)

    @_serialized
    def remove_service(self, service_id: str, *, user: str, base: str) -> Change:
        """Remove a service (refused while referral routes still use it)."""
        self.act_as(user)
        snap = self._current()
        with self._errors(), self.conn.transaction():
            current = self._locked_row(service_id)
            if base != current.version:
                raise self._conflict(service_id, base, current.version)
            routes = self.conn.execute(
                "SELECT source, target FROM atlas.referrals WHERE site = %s "
                "AND (source = %s OR target = %s) ORDER BY position",
                (self.site_id, service_id, service_id),
            ).fetchall()
            if routes:
                check_no_routes(service_id, [(a, b) for a, b in routes])
            before = current.full
            self._validated(snap, {}, removed=[service_id])
            secret = is_secret(before)
            fields = tuple(
                FieldChange(k, shown(v, k, secret), None) for k, v in record_items(before)
            )
            made = self._record("remove", service_id, fields, None)  # while the row says who
            self.conn.execute(  # runs it (the history's policy reads it)
                "DELETE FROM atlas.services WHERE site = %s AND id = %s AND version = %s",
                (self.site_id, service_id, base),
            )
        snap.drop(service_id)
        self._seen(snap, made)
        return made

    @_serialized
    def add_referral(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a referral route (`{"from": ..., "to": ..., "needs": [...], ...}`)."""
        item = {("for" if k == "needs" else k): v for k, v in record.items()}
        for key in ("from", "to"):
            if not isinstance(item.get(key), str):
                raise InventoryError(f"add: a referral route needs '{key}' (a service id)")
        pair = (str(item["from"]), str(item["to"]))
        self.act_as(user)
        snap = self._current()
        raw = _plain(item)
        previous = snap.inventory()
        inventory = self._validated(snap, {}, referrals=[*previous.referrals, raw])
        added = inventory.referrals[-1]
        stored = _referral_record(added)
        with self._errors(), self.conn.transaction():
            try:
                self.conn.execute(
                    "INSERT INTO atlas.referrals (site, source, target, position, record) "
                    "SELECT %s, %s, %s, coalesce(max(position), 0) + 1, %s "
                    "FROM atlas.referrals WHERE site = %s",
                    (self.site_id, *pair, _json(stored), self.site_id),
                )
            except psycopg.errors.InsufficientPrivilege:
                raise self._route_not_yours(pair) from None
            fields = (FieldChange("referral", None, raw),)
            made = self._record("add_referral", pair[0], fields, None, referral=pair)
        snap.put_route(pair, stored)
        self._seen(snap, made)
        return made

    @_serialized
    def remove_referral(self, source: str, target: str, *, user: str) -> Change:
        """Remove the referral route from `source` to `target`."""
        self.act_as(user)
        snap = self._current()
        pair = (source, target)
        if self.role == "viewer":
            raise self._route_not_yours(pair)
        before = snap.referrals.get(pair)
        if before is None:
            raise InventoryError(f"there is no referral route from {source} to {target}")
        with self._errors(), self.conn.transaction():
            done = self.conn.execute(
                "DELETE FROM atlas.referrals WHERE site = %s AND source = %s AND target = %s",
                (self.site_id, source, target),
            )
            if done.rowcount != 1:
                raise self._route_not_yours(pair)
            fields = (FieldChange("referral", before, None),)
            made = self._record("remove_referral", source, fields, None, referral=pair)
        snap.put_route(pair, None)
        self._seen(snap, made)
        return made

    def _route_not_yours(self, pair: tuple[str, str]) -> InventoryError:
        if self.role == "viewer":
            return InventoryError(
                f"{self.user} is a viewer at {self.site_id}: a viewer changes nothing"
            )
        return InventoryError(
            f"{self.user} is an {self.role} for {self.organisation} at {self.site_id}: "
            f"the route {pair[0]} -> {pair[1]} starts at a service {self.organisation} does "
            "not run"
        )

    # --- proposals --------------------------------------------------------------------------

    @_serialized
    def propose(
        self, service_id: str, changes: Mapping[str, str], *, user: str, base: str
    ) -> Proposal:
        """Queue a change for review (validated now, applied only when accepted)."""
        self.act_as(user)
        snap = self._current()
        if service_id in snap.confidential and any(is_place(k) for k in changes):
            raise InventoryError(
                f"propose: {service_id} is confidential: its place is changed by a "
                "coordinator's edit, never through the review queue"
            )
        specs = parsed_changes(changes)
        before = snap.record(service_id)
        if before is None:
            service_of(self.public(), service_id)
            raise InventoryError(f"'{service_id}' is not a service of {self.site_id}")
        current = self.version(service_id)
        if base != current:
            raise self._conflict(service_id, base, current)

        change = setting(specs)

        after = _changed(before, change)
        self._validated(snap, {service_id: after})  # checks only
        with self._errors(), self.conn.transaction():
            self.conn.execute(  # one numbering at a time per site, until the commit
                "SELECT pg_advisory_xact_lock(hashtext('atlas.proposals:' || %s))",
                (self.site_id,),
            )
            (count,) = one(
                self.conn.execute(
                    "SELECT count(*) FROM atlas.proposals WHERE site = %s", (self.site_id,)
                )
            )
            pid = f"p{int(count) + 1}"
            row = one(
                self.conn.execute(
                    "INSERT INTO atlas.proposals (site, id, at, service, changes, base) "
                    "VALUES (%s, %s, %s, %s, %s, %s) RETURNING at, username",
                    (self.site_id, pid, clock.now(), service_id, _json(dict(changes)), base),
                )
            )
        return Proposal(
            pid, _local(row[0], clock.now()), str(row[1]), service_id, dict(changes), base
        )

    @_serialized
    def proposals(self, status: str | None = "pending") -> Sequence[Proposal]:
        """The review queue (pending proposals by default), oldest first."""
        query = (
            "SELECT id, at, username, service, changes, base, status, decided_by, decided_at, "
            "note FROM atlas.proposals WHERE site = %s"
        )
        params: list[Any] = [self.site_id]
        if status is not None:
            query += " AND status = %s"
            params.append(status)
        with self._errors():
            rows = self.conn.execute(query + " ORDER BY at, id", params).fetchall()
        return [_proposal_of(r) for r in rows]

    @_serialized
    def accept(self, proposal_id: str, *, user: str) -> Change:
        """Apply a proposal (a coordinator's decision); refused if the service changed since."""
        self.act_as(user)
        proposal = self._pending(proposal_id)
        specs = parsed_changes(proposal.changes)

        change = setting(specs)

        def decide() -> None:
            self._decide(proposal_id, "accepted", None)

        return self._change(
            proposal.service,
            "edit",
            change,
            [spec.path for spec, _ in specs],
            user=user,
            base=proposal.base,
            reason=f"proposal {proposal.id} by {proposal.user}",
            then=decide,
        )

    @_serialized
    def reject(self, proposal_id: str, *, user: str, note: str | None = None) -> Proposal:
        """Decline a proposal."""
        self.act_as(user)
        proposal = self._pending(proposal_id)
        with self._errors(), self.conn.transaction():
            at = self._decide(proposal_id, "rejected", note)
        return replace(proposal, status="rejected", decided_by=self.user, decided_at=at, note=note)

    def _pending(self, proposal_id: str) -> Proposal:
        if self.role not in ("coordinator", "admin"):
            raise InventoryError(
                f"{self.user} is a {self.role} at {self.site_id}: only its coordinators accept "
                "or reject proposals"
            )
        found = {p.id: p for p in self.proposals(None)}
        return pending_proposal(found, proposal_id, f" of {self.site_id}")

    def _decide(self, proposal_id: str, status: str, note: str | None) -> dt.datetime:
        at = clock.now()
        done = self.conn.execute(
            "UPDATE atlas.proposals SET status = %s, decided_by = current_user, decided_at = %s, "
            "note = %s WHERE site = %s AND id = %s AND status = 'pending'",
            (status, at, note, self.site_id, proposal_id),
        )
        if done.rowcount != 1:
            raise InventoryError(f"{proposal_id} is no longer pending")
        return at


# --- helpers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A service's row as locked for a change: its version and record as they are now."""

    version: str
    organisation: str | None
    confidential: bool
    record: dict[str, Any]
    exact: dict[str, Any] | None

    @property
    def full(self) -> dict[str, Any]:
        """The record with its true place where this user may read it."""
        return with_exact(self.record, self.exact) if self.exact is not None else self.record


def _changed(record: Mapping[str, Any], change: Callable[[Any], None]) -> dict[str, Any]:
    """A copy of a record with `change` made the way the YAML store makes it (`set_path`)."""
    working = plain_record(copy.deepcopy(dict(record)))
    change(working)
    return _plain(working)


def _plain(value: Any) -> Any:
    """ruamel's mappings, lists and styled texts as plain JSON values (dates as ISO texts)."""
    if isinstance(value, CommentedMap | dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def _public_and_true(inventory: Inventory, service_id: str) -> tuple[Service, Service]:
    """A service of a validated inventory and its public record."""
    true = inventory.by_id[service_id]
    return public_service(inventory, true), true


def _referral_record(referral: Referral) -> dict[str, Any]:
    from_rows = referral.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    from_rows["from"], from_rows["to"] = referral.source_id, referral.target_id
    return dict(from_rows)


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False)


def _json_fields(fields: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(f.field, _plain(f.before), _plain(f.after)) for f in fields)


def _local(at: dt.datetime, like: dt.datetime) -> dt.datetime:
    """A timestamp from the database in the time zone of the program's clock."""
    return at.astimezone(like.tzinfo) if like.tzinfo is not None else at.replace(tzinfo=None)


def _change_of(row: Sequence[Any]) -> Change:
    at, user, action, service, fields, reason, version, referral = row
    return Change(
        at=_local(at, clock.now()),
        user=str(user),
        action=action,
        service=service,
        fields=tuple(FieldChange(f["field"], f.get("before"), f.get("after")) for f in fields),
        reason=reason,
        version=version,
        referral=(referral[0], referral[1]) if referral else None,
    )


def _proposal_of(row: Sequence[Any]) -> Proposal:
    pid, at, user, service, changes, base, status, decided_by, decided_at, note = row
    now = clock.now()
    return Proposal(
        id=pid,
        at=_local(at, now),
        user=str(user),
        service=service,
        changes=dict(changes),
        base=base,
        status=status,
        decided_by=decided_by,
        decided_at=_local(decided_at, now) if decided_at else None,
        note=note,
    )


__all__ = ["ROLES", "PgStore"]
