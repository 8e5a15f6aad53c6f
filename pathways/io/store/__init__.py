"""Stores: where a site's inventory lives and how it changes, behind one interface.

`open_store(source)` gives a `Store` for a SOURCE: an inventory file (`YamlStore`, the
embedded default that needs no server) or a database URL with a site
(`postgresql://HOST/DB#SITE`, `PgStore`: the shared PostgreSQL + PostGIS store, where the
database enforces who reads and changes what). Every command and page that reads or edits an
inventory goes through it, so both stores answer alike (`tests/test_store_conformance.py`).

Every change names its user (a staff identifier, never a survivor), is checked against the
version the user read (`base`: no lost update), is validated with the loader's full rules before
anything is written, and lands in the history in the same step. Nothing about survivors is
stored, ever; free-text reasons are about services.
"""

from __future__ import annotations

from collections.abc import Iterable

from pathways.io.load import find_inventories, load_sites
from pathways.io.store.db.pg_store import PgStore
from pathways.io.store.db.source import is_database_source
from pathways.io.store.interface import (
    Action,
    Change,
    Conflict,
    FieldChange,
    Proposal,
    Store,
)
from pathways.io.store.yaml_store import YamlStore
from pathways.model.errors import InventoryError, display_path
from pathways.model.public import PublicInventory


def open_store(source: str, *, user: str | None = None) -> Store:
    """The store for SOURCE: a database URL with a site (`postgresql://HOST/DB#SITE`, acting
    as `user`'s role when given, else as the URL's login), or an inventory file (the YAML
    store; `user` is then only named by each change)."""
    if is_database_source(source):
        return PgStore(source, user=user)
    return YamlStore(source)


def read_sources(sources: Iterable[str], *, user: str | None = None) -> list[PublicInventory]:
    """The public views of every SOURCE, in the order given: inventory files and folders (as
    `load_sites` reads them, all their problems together) and database URLs with a site (read
    as `user`'s role when given). Two sources of the same site are refused."""
    sources = list(sources)
    files = [s for s in sources if not is_database_source(s)]
    from_files = iter(load_sites(files) if files else [])
    out: list[tuple[PublicInventory, str]] = []
    for source in sources:
        if is_database_source(source):
            with PgStore(source, user=user) as store:
                out.append((store.public(), store.source))
        else:
            out.extend((next(from_files), display_path(p)) for p in find_inventories([source]))
    seen: dict[str, str] = {}
    for inventory, name in out:
        if inventory.site.id in seen:
            raise InventoryError(
                f"{name}: site '{inventory.site.id}' is also read from {seen[inventory.site.id]}"
            )
        seen[inventory.site.id] = name
    return [inventory for inventory, _ in out]


__all__ = [
    "Action",
    "Change",
    "Conflict",
    "FieldChange",
    "PgStore",
    "Proposal",
    "Store",
    "YamlStore",
    "is_database_source",
    "open_store",
    "read_sources",
]
