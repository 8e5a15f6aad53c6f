"""A database SOURCE: `postgresql://HOST/DB#SITE` (a libpq URL, and the site after `#`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from pathways.model.errors import InventoryError

SCHEMES = ("postgresql", "postgres")


def is_database_source(source: object) -> bool:
    """Is SOURCE a database URL (rather than an inventory file or folder)?"""
    return isinstance(source, str) and source.split("://", 1)[0].lower() in SCHEMES


@dataclass(frozen=True)
class DbSource:
    """Where a site lives in a database: the libpq URL (no fragment) and the site id."""

    dsn: str
    site: str | None

    @property
    def shown(self) -> str:
        """The source as messages and the history name it: never with its password."""
        parts = urlsplit(self.dsn)
        netloc = parts.netloc
        if "@" in netloc:
            credentials, host = netloc.rsplit("@", 1)
            netloc = f"{credentials.split(':', 1)[0]}@{host}"
        query = "&".join(q for q in parts.query.split("&") if not q.startswith("password="))
        url = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        return f"{url}#{self.site}" if self.site else url


def parse_source(source: str, *, site: bool = True) -> DbSource:
    """The URL and site of `postgresql://HOST/DB#SITE` (the site required unless `site` is
    False, as for `pathways db init URL`)."""
    if not is_database_source(source):
        raise InventoryError(f"{source}: not a database URL (postgresql://HOST/DB#SITE)")
    url, _, fragment = source.partition("#")
    fragment = fragment.strip()
    if site and not fragment:
        raise InventoryError(
            f"{DbSource(url, None).shown}: name the site after '#' (postgresql://HOST/DB#SITE)"
        )
    return DbSource(url, fragment or None)


__all__ = ["SCHEMES", "DbSource", "is_database_source", "parse_source"]
