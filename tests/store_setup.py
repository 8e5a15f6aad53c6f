"""What the store tests share: tiny's inventory copied, a database holding it with roles granted,
and the parts of an inventory or a history that two stores must agree on.

`StoreSite` is one site behind either store: `open(user)` gives a store of it (a `YamlStore` of
the copy, or a `PgStore` acting as `user`'s role), `grant` gives a database role (nothing to do
for the YAML store, which has no roles).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathways.io.store import Change, Store, open_store
from pathways.model.inventory import Inventory

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


def copy_tiny(folder: Path, *, coordinators: Iterable[str] = (), name: str = "tiny.yaml") -> Path:
    """tests/data/tiny.yaml copied into `folder`, with `site.coordinators` when given."""
    path = folder / name
    if not coordinators:
        shutil.copy(TINY, path)
        return path
    text = TINY.read_text(encoding="utf-8")
    listed = f"  coordinators: [{', '.join(coordinators)}]\n"
    path.write_text(text.replace("  travel:", listed + "  travel:", 1), encoding="utf-8")
    return path


def make_database(
    url: str,
    paths: Iterable[str | os.PathLike[str]],
    grants: Iterable[tuple[str, str, str, str | None]] = (),
) -> None:
    """Create the schema at `url`, import the inventories and grant (user, role, site,
    organisation) to each."""
    from pathways.io.store.db import admin, schema

    schema.upgrade(url)
    admin.import_inventories(url, list(paths))
    for user, role, site, organisation in grants:
        admin.grant(url, user, role, site=site, organisation=organisation)


def as_login(url: str, user: str) -> str:
    """The URL of a test database with `user` as the login (trust authentication)."""
    assert "postgres@" in url, url
    return url.replace("postgres@", f"{user}@", 1)


@dataclass
class StoreSite:
    """One site behind one kind of store (`yaml` or `db`)."""

    kind: str
    path: Path
    """The inventory file: the YAML store's own, or the one imported into the database."""
    url: str | None = None
    site: str = "tiny"
    opened: list[Store] = field(default_factory=list, repr=False)

    @property
    def source(self) -> str:
        return str(self.path) if self.url is None else f"{self.url}#{self.site}"

    def open(self, user: str = "coord") -> Store:
        """A store of the site, acting as `user` (only the database store has roles)."""
        store = open_store(self.source, user=user if self.url is not None else None)
        self.opened.append(store)
        return store

    def close(self) -> None:
        """Close every store `open` gave (a database store holds a connection)."""
        for store in self.opened:
            store.close()
        self.opened.clear()

    def grant(self, user: str, role: str, organisation: str | None = None) -> None:
        """Give `user` a role at the site (the YAML store lets anyone change anything)."""
        if self.url is not None:
            from pathways.io.store.db import admin

            admin.grant(self.url, user, role, site=self.site, organisation=organisation)


def content(inventory: Inventory) -> tuple[Any, ...]:
    """What two stores of one site must agree on (not the path, which is each store's own)."""
    return (inventory.site, inventory.services, inventory.referrals)


def recorded(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """A history as `pathways history --json` prints it, without the times."""
    return [{k: v for k, v in c.to_dict().items() if k != "at"} for c in changes]


__all__ = [
    "TINY",
    "StoreSite",
    "as_login",
    "content",
    "copy_tiny",
    "make_database",
    "recorded",
]
