"""The database's administration: import inventories, export a site, grant and revoke roles.

These run with the URL's own credentials (the database's owner): `pathways db import/export/
grant/revoke`. An import validates each file with the loader's full rules first, then loads it
in one transaction with `COPY` (no row-by-row inserts): a bad file is refused with the loader's
`FILE:LINE: field: message` lines and nothing of it is stored.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathways.io.export.records import inventory_record
from pathways.io.load import find_inventories, read_site
from pathways.io.save import save_inventory
from pathways.io.store.db.connect import connect, database_error, one, psycopg
from pathways.io.store.db.pg_store import ROLES, PgStore
from pathways.io.store.db.rows import (
    ServiceRow,
    boundary_wkt,
    referral_rows,
    service_rows,
    site_files,
)
from pathways.io.store.db.source import DbSource, parse_source
from pathways.model._gc import pausing_collector
from pathways.model.errors import InventoryError, Problem, ValidationError
from pathways.model.inventory import STAFF_ID_PATTERN, Inventory

try:
    from psycopg import sql
except ImportError:  # the [db] extra is not installed: `connect` says so
    sql = None  # type: ignore[assignment]

MEMBER = "atlas_member"
WRITER = "atlas_writer"


@dataclass(frozen=True)
class Imported:
    """One inventory file loaded into the database."""

    path: Path
    site: str
    services: int
    referrals: int
    replaced: bool


def import_inventories(url: str, paths: Iterable[str | os.PathLike[str]]) -> list[Imported]:
    """Validate every inventory first (all problems of all files together: nothing is stored
    if one is bad), then load each in its own transaction (a site already there is replaced,
    its members and history kept)."""
    db = parse_source(url, site=False)
    files = find_inventories(paths)
    inventories: list[tuple[Path, Inventory]] = []
    problems: list[Problem] = []
    for path in files:
        try:
            inventories.append((path, read_site(path)))  # FILE:LINE: field: message
        except ValidationError as e:
            problems.extend(e.problems)
    if problems:
        raise ValidationError(problems)
    conn = connect(db.dsn)
    try:
        return [_import_one(conn, db, path, inventory) for path, inventory in inventories]
    finally:
        conn.close()


@pausing_collector  # a site's rows are many small objects that live until they are sent
def _import_one(conn: Any, db: DbSource, path: Path, inventory: Inventory) -> Imported:
    record, files = site_files(inventory)
    site = inventory.site.id
    try:
        with conn.transaction():
            replaced = _replace_site(conn, site, record, files)
            _copy_services(conn, site, inventory)
            _copy_referrals(conn, site, inventory)
    except psycopg.Error as e:
        raise database_error(e, db.dsn) from None
    return Imported(path, site, len(inventory.services), len(inventory.referrals), replaced)


def _replace_site(conn: Any, site: str, record: dict[str, Any], files: dict[str, bytes]) -> bool:
    """Insert or replace the site row and its files; empty its services and routes."""
    boundary = boundary_wkt(record, files)
    old = conn.execute("SELECT 1 FROM atlas.sites WHERE id = %s FOR UPDATE", (site,)).fetchone()
    if old is None:
        conn.execute(
            "INSERT INTO atlas.sites (id, record, boundary) "
            "VALUES (%s, %s, ST_Multi(ST_GeomFromEWKT(%s)))",
            (site, json.dumps(record), boundary),
        )
    else:
        conn.execute(
            "UPDATE atlas.sites SET record = %s, boundary = ST_Multi(ST_GeomFromEWKT(%s)), "
            "revision = revision + 1, imported_at = now() WHERE id = %s",
            (json.dumps(record), boundary, site),
        )
        for table in ("referrals", "services", "site_files"):
            conn.execute(f"DELETE FROM atlas.{table} WHERE site = %s", (site,))
    with conn.cursor().copy("COPY atlas.site_files (site, path, content) FROM STDIN") as copy:
        for relative, text in files.items():
            copy.write_row((site, relative, text))
    return old is not None


def _copy_services(conn: Any, site: str, inventory: Inventory) -> None:
    """The services and the exact places, each row sent as soon as it is made (the server
    stores one while the next is made)."""
    exact: list[ServiceRow] = []
    cur = conn.cursor()
    with cur.copy(
        "COPY atlas.services (site, id, position, organisation, confidential, record, version, "
        "place) FROM STDIN"
    ) as copy:
        for i, row in enumerate(service_rows(inventory)):
            if row.exact is not None:
                exact.append(row)
            copy.write_row(
                (
                    site,
                    row.id,
                    i,
                    row.organisation,
                    row.confidential,
                    json.dumps(row.record, ensure_ascii=False),
                    row.version,
                    row.point,
                )
            )
    with cur.copy(
        "COPY atlas.exact_places (site, service, organisation, location, intake, place) FROM STDIN"
    ) as copy:
        for row in exact:
            assert row.exact is not None
            intake = row.exact["intake"]
            copy.write_row(
                (
                    site,
                    row.id,
                    row.organisation,
                    json.dumps(row.exact["location"]),
                    json.dumps(intake) if intake is not None else None,
                    row.exact_point,
                )
            )


def _copy_referrals(conn: Any, site: str, inventory: Inventory) -> None:
    with conn.cursor().copy(
        "COPY atlas.referrals (site, source, target, position, record) FROM STDIN"
    ) as copy:
        for i, (source, target, record) in enumerate(referral_rows(inventory)):
            copy.write_row((site, source, target, i, json.dumps(record, ensure_ascii=False)))


# --- export --------------------------------------------------------------------------------------


def export_site(source: str, out: str | os.PathLike[str], *, user: str | None = None) -> Inventory:
    """Write a site back as an inventory file (true locations included: only for someone
    who reads them all) with its boundary, areas and population files: where the paths the
    store keeps (`../boundaries/SITE/...`) already lead to the same files, they stay; else the
    files are written beside it (`boundaries/SITE/...`). It validates and gives the same gaps.
    """
    out = Path(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InventoryError(f"{out}: an inventory is exported as .yaml")
    if not out.parent.is_dir():
        raise InventoryError(f"{out}: folder {out.parent} does not exist")
    with PgStore(source, user=user) as store:
        inventory = store.exact_inventory("exporting")
        files = store.site_files()
    data = inventory_record(inventory)
    same = all(_same_file(out.parent / ".." / key, content) for key, content in files.items())
    if not same:
        for key, content in files.items():
            target = out.parent / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        data["site"] = _paths_beside(data["site"])
    return save_inventory(data, out, keep=0)


def _same_file(path: Path, content: bytes) -> bool:
    try:
        return path.is_file() and path.read_bytes() == content
    except OSError:
        return False


def _paths_beside(site: dict[str, Any]) -> dict[str, Any]:
    """The site block with `../boundaries/...` paths made `boundaries/...`."""
    out = dict(site)
    if isinstance(out.get("boundary"), str):
        out["boundary"] = out["boundary"].removeprefix("../")
    if isinstance(out.get("areas"), dict):
        out["areas"] = {**out["areas"], "path": str(out["areas"]["path"]).removeprefix("../")}
    return out


# --- roles ---------------------------------------------------------------------------------------


def grant(url: str, user: str, role: str, *, site: str, organisation: str | None = None) -> str:
    """Give `user` a role at a site: a PostgreSQL role of that name (created if missing, able to
    log in with the cluster's authentication), member of `atlas_member`, that the URL's login
    may act as. An editor needs an organisation. Returns what was done, in a sentence."""
    _check_role(user, role, organisation)
    db = parse_source(url, site=False)
    conn = connect(db.dsn)
    try:
        with conn.transaction():
            _site_exists(conn, db, site)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
            name = sql.Identifier(user)
            if exists is None:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(name))
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(MEMBER), name))
            superuser = one(
                conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )[0]
            if not superuser:
                conn.execute(sql.SQL("GRANT {} TO current_user").format(name))
            conn.execute(
                "INSERT INTO atlas.members (site, username, role, organisation) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (site, username) DO UPDATE "
                "SET role = excluded.role, organisation = excluded.organisation",
                (site, user, role, organisation),
            )
            _writer_as_needed(conn, user)
    except psycopg.Error as e:
        raise database_error(e, db.dsn) from None
    finally:
        conn.close()
    of = f" of {organisation}" if organisation else ""
    return f"{user} is now {_article(role)} {role}{of} at {site}"


def revoke(url: str, user: str, *, site: str) -> str:
    """Take `user`'s role at a site away (their database role stays, for other sites)."""
    db = parse_source(url, site=False)
    conn = connect(db.dsn)
    try:
        with conn.transaction():
            _site_exists(conn, db, site)
            done = conn.execute(
                "DELETE FROM atlas.members WHERE site = %s AND username = %s", (site, user)
            )
            if done.rowcount:
                _writer_as_needed(conn, user)
    except psycopg.Error as e:
        raise database_error(e, db.dsn) from None
    finally:
        conn.close()
    if done.rowcount == 0:
        raise InventoryError(f"{user} has no role at {site}: nothing to revoke")
    return f"{user} has no role at {site} any more"


def members(url: str, site: str) -> list[tuple[str, str, str | None]]:
    """Who has which role at a site: (user, role, organisation), by user."""
    db = parse_source(url, site=False)
    conn = connect(db.dsn)
    try:
        _site_exists(conn, db, site)
        rows = conn.execute(
            "SELECT username, role, organisation FROM atlas.members WHERE site = %s "
            "ORDER BY username",
            (site,),
        ).fetchall()
    except psycopg.Error as e:
        raise database_error(e, db.dsn) from None
    finally:
        conn.close()
    return [(str(u), str(r), o) for u, r, o in rows]


def _writer_as_needed(conn: Any, user: str) -> None:
    """Give `user` the write privileges (`atlas_writer`) while they are more than a viewer at
    some site of this database; take them away when they are not."""
    writes = conn.execute(
        "SELECT 1 FROM atlas.members WHERE username = %s AND role <> 'viewer' LIMIT 1", (user,)
    ).fetchone()
    verb = "GRANT {} TO {}" if writes else "REVOKE {} FROM {}"
    conn.execute(sql.SQL(verb).format(sql.Identifier(WRITER), sql.Identifier(user)))


def _check_role(user: str, role: str, organisation: str | None) -> None:
    if not re.fullmatch(STAFF_ID_PATTERN, user):
        raise InventoryError(
            f"user {user!r} is not a staff identifier (letters, digits and . _ @ -, at most 64)"
        )
    if role not in ROLES:
        raise InventoryError(f"'{role}' is not a role: {', '.join(ROLES)}")
    if role == "editor" and not organisation:
        raise InventoryError("an editor edits the services of one organisation: --organisation ORG")


def _site_exists(conn: Any, db: DbSource, site: str) -> None:
    if conn.execute("SELECT 1 FROM atlas.sites WHERE id = %s", (site,)).fetchone() is None:
        known = [r[0] for r in conn.execute("SELECT id FROM atlas.sites ORDER BY id")]
        raise InventoryError(
            f"{db.shown}: no site '{site}' (sites: {', '.join(known) or 'none yet'})"
        )


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


__all__ = [
    "Imported",
    "export_site",
    "grant",
    "import_inventories",
    "members",
    "revoke",
]
