"""The shared database as the app uses it: who has which role at which site, which role reads
each site, and one store per (site, user) lent to one session at a time.

No Streamlit: `views._common` keeps one `StorePool` per database for the whole server (every
session shares it) and asks it, on each run, what the signed-in user may read and change.

- **The database decides.** A signed-in user's staff identifier is their PostgreSQL role: the
  app acts as that role (`SET ROLE`) and row-level security says what it reads and changes. A
  reader who is not signed in reads as the deployment's viewer role (`$REFERRAL_ATLAS_DB_VIEWER`),
  never as the URL's own login, which only connects and switches roles; without that setting,
  signing in is needed to read at all.
- **The sites** are those of `atlas.sites` where the viewer role or the user has a role. Each
  site's public view is read through the viewer role's store where it has one (one connection
  per site for every reader), else through the user's own.
- **Connections.** A store holds one connection and is not thread-safe: the pool lends it under
  its own lock, keeps at most `limit` stores (the least recently used one closes once it is
  given back), and drops a store whose connection broke. Roles are looked up on one connection
  of the URL's login and kept `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from pathways.io.store import PgStore, Store
from pathways.io.store.db.connect import act_as, connect, database_error, psycopg
from pathways.io.store.db.source import parse_source
from pathways.model.errors import InventoryError
from pathways.model.public import PublicInventory

DB_ENV = "REFERRAL_ATLAS_DB"
"""Environment variable: the shared database's URL (`postgresql://USER@HOST/DB`, no `#SITE`)."""

VIEWER_ENV = "REFERRAL_ATLAS_DB_VIEWER"
"""Environment variable: the role readers who are not signed in read as (a viewer at each site
they may read); unset, only signed-in users read."""

STORE_LIMIT = 32
"""At most this many stores (connections) per database, besides the one that looks up roles."""

ROLES_TTL = 30.0
"""Seconds a user's roles are kept before they are looked up again."""


@dataclass(frozen=True)
class Member:
    """A user's role at one site (`atlas.members`): viewer, editor (of `organisation`),
    coordinator or admin."""

    site: str
    role: str
    organisation: str | None = None


@dataclass(frozen=True)
class SiteAccess:
    """One site the app shows: the role whose store reads its public view, and the signed-in
    user's own role there (None: they read it and change nothing)."""

    site: str
    reader: str
    member: Member | None


def site_access(
    user_roles: Mapping[str, Member],
    viewer_roles: Mapping[str, Member],
    *,
    user: str | None,
    viewer: str | None,
) -> list[SiteAccess]:
    """The sites `user` (maybe None) sees, by id: those where the viewer role or the user has a
    role; read through the viewer's store where it has one (shared by every session)."""
    out = []
    for site in sorted(set(user_roles) | set(viewer_roles)):
        reader = viewer if site in viewer_roles else user
        if reader is not None:
            out.append(SiteAccess(site, reader, user_roles.get(site)))
    return out


Opener = Callable[[str, str], Store]
"""Opens the store of a source (`URL#SITE`) acting as a user's role."""

Lookup = Callable[[str], Mapping[str, Member]]
"""A user's roles, by site."""


def open_pg_store(source: str, user: str) -> Store:
    """The database store of `source` acting as `user`'s role (`PgStore`)."""
    return PgStore(source, user=user)


@dataclass
class _Lent:
    """A pooled store and the lock of whoever uses it."""

    store: Store
    lock: threading.Lock = field(default_factory=threading.Lock)
    retired: bool = False
    closed: bool = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with suppress(InventoryError, *_DB_ERRORS):
                self.store.close()


_DB_ERRORS: tuple[type[BaseException], ...] = (psycopg.Error,) if psycopg is not None else ()


class StorePool:
    """The stores of one database, one per (site, user), shared by every session of the app
    (see the module docstring). Thread-safe; `close()` closes every connection."""

    def __init__(
        self,
        url: str,
        *,
        limit: int = STORE_LIMIT,
        ttl: float = ROLES_TTL,
        opener: Opener = open_pg_store,
        lookup: Lookup | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = parse_source(url, site=False)
        self.limit, self.ttl, self.clock = limit, ttl, clock
        self._opener = opener
        self._lookup = lookup or self._roles_in_database
        self._lock = threading.Lock()
        self._stores: OrderedDict[tuple[str, str], _Lent] = OrderedDict()
        self._roles: dict[str, tuple[float, Mapping[str, Member]]] = {}
        self._directory: Any = None
        self._directory_lock = threading.Lock()

    # --- who has which role where -----------------------------------------------------------

    def roles(self, user: str | None) -> Mapping[str, Member]:
        """`user`'s roles by site (none for None, or a name that is no role of the database)."""
        if user is None:
            return {}
        now = self.clock()
        with self._lock:
            kept = self._roles.get(user)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        found = dict(self._lookup(user))
        with self._lock:
            if len(self._roles) >= 4096:
                self._roles.clear()
            self._roles[user] = (now, found)
        return found

    def access(self, user: str | None, viewer: str | None) -> list[SiteAccess]:
        """The sites shown to `user` (None: not signed in), as `site_access` says."""
        return site_access(self.roles(user), self.roles(viewer), user=user, viewer=viewer)

    def _roles_in_database(self, user: str) -> Mapping[str, Member]:
        """Ask the database, acting as `user`, for their rows of `atlas.members` (row-level
        security shows each role its own). A name that is no role has no role anywhere."""
        with self._directory_lock:
            if self._directory is None or self._directory.closed:
                self._directory = connect(self.db.dsn)
            conn = self._directory
            try:
                known = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
                if known.fetchone() is None:
                    return {}
                act_as(conn, user, self.db.dsn)
                try:
                    rows = conn.execute(
                        "SELECT site, role, organisation FROM atlas.members "
                        "WHERE username = current_user"
                    ).fetchall()
                finally:
                    conn.execute("RESET ROLE")
            except _DB_ERRORS as e:
                self._drop_directory()
                raise database_error(e, self.db.dsn) from None
        return {str(s): Member(str(s), str(r), o) for s, r, o in rows}

    def _drop_directory(self) -> None:
        conn, self._directory = self._directory, None
        with suppress(*_DB_ERRORS):
            conn.close()

    # --- lending stores ---------------------------------------------------------------------

    @contextmanager
    def store(self, site: str, user: str) -> Iterator[Store]:
        """The store of `site` acting as `user`'s role, for this caller alone until the block
        ends (InventoryError when the user has no role there or the database refuses)."""
        key = (site, user)
        lent = self._lend(key)
        try:
            yield lent.store
        finally:
            self._give_back(key, lent)

    def _lend(self, key: tuple[str, str]) -> _Lent:
        while True:
            with self._lock:
                lent = self._stores.get(key)
                if lent is None:
                    lent = _Lent(self._opener(f"{self.db.dsn}#{key[0]}", key[1]))
                    self._stores[key] = lent
                    self._evict()
                self._stores.move_to_end(key)
            lent.lock.acquire()
            if not lent.closed:
                return lent
            lent.lock.release()  # closed while we waited for it: open another

    def _evict(self) -> None:
        """Retire the least recently used stores beyond the limit (closed now if free, else
        when given back)."""
        while len(self._stores) > self.limit:
            _, old = self._stores.popitem(last=False)
            _retire(old)

    def _give_back(self, key: tuple[str, str], lent: _Lent) -> None:
        if _broken(lent.store):
            with self._lock:
                if self._stores.get(key) is lent:
                    del self._stores[key]
            lent.retired = True
        if lent.retired:
            lent.close()
        lent.lock.release()

    def close(self) -> None:
        """Close every store (those in use when given back) and the roles' connection."""
        with self._lock:
            lent = list(self._stores.values())
            self._stores.clear()
            self._roles.clear()
        for one in lent:
            _retire(one)
        with self._directory_lock:
            if self._directory is not None:
                self._drop_directory()

    def __len__(self) -> int:
        return len(self._stores)


def _retire(lent: _Lent) -> None:
    lent.retired = True
    if lent.lock.acquire(blocking=False):
        try:
            lent.close()
        finally:
            lent.lock.release()


def _broken(store: Store) -> bool:
    """Has the store's connection closed or broken (the server restarted, the network went)?"""
    conn = getattr(store, "conn", None)
    return conn is not None and bool(conn.closed or conn.broken)


# --- reading the sites ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicViews:
    """What the app reads of a database: each readable site's public view, and one line per
    site (or for the whole database) that could not be read: (source, problem)."""

    inventories: list[PublicInventory]
    problems: list[tuple[str, str]]


def public_views(pool: StorePool, *, user: str | None, viewer: str | None) -> PublicViews:
    """The public view of every site `user` (None: not signed in) may read, by site id."""
    try:
        sites = pool.access(user, viewer)
    except InventoryError as e:
        return PublicViews([], [(pool.db.shown, str(e))])
    inventories: list[PublicInventory] = []
    problems: list[tuple[str, str]] = []
    for access in sites:
        try:
            with pool.store(access.site, access.reader) as store:
                inventories.append(store.public())
        except InventoryError as e:
            problems.append((f"{pool.db.shown}#{access.site}", str(e)))
    return PublicViews(inventories, problems)


__all__ = [
    "DB_ENV",
    "STORE_LIMIT",
    "VIEWER_ENV",
    "Member",
    "PublicViews",
    "SiteAccess",
    "StorePool",
    "open_pg_store",
    "public_views",
    "site_access",
]
