"""What the command modules share: argument types, sources, JSON output, id checks."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from pathways.i18n import LANGS, join_some
from pathways.io.load import load_site
from pathways.io.store import is_database_source, read_sources
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory, suggest
from pathways.model.public import PublicInventory

__all__ = [
    "LANGS",
    "SOURCES_HELP",
    "check_ids",
    "date_arg",
    "dump",
    "latlon_arg",
    "read_all",
    "read_one",
    "reader_option",
]

SOURCES_HELP = (
    "inventory files or folders, or database URLs with a site (postgresql://HOST/DB#SITE)"
)
SOURCE_HELP = "one site inventory file, or a database URL with a site (postgresql://HOST/DB#SITE)"


def reader_option(p: argparse.ArgumentParser) -> None:
    """`--as USER` of the reading commands: the role a database SOURCE is read as."""
    p.add_argument(
        "--as",
        dest="user",
        metavar="USER",
        help="with a database SOURCE: read as this user's role (the database decides what it "
        "may read); default the URL's own login. With files: accepted and ignored",
    )


def read_all(args: argparse.Namespace) -> list[PublicInventory]:
    """The public views of `args.paths` (files, folders, database URLs), read as `args.user`."""
    return read_sources(args.paths, user=args.user)


def read_one(source: str, *, user: str | None) -> PublicInventory:
    """The public view of one site: an inventory file, or a database URL with a site."""
    if is_database_source(source):
        (inventory,) = read_sources([source], user=user)
        return inventory
    return load_site(source)


def date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def latlon_arg(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not LAT,LON (e.g. 50.84,4.35)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range")
    return lat, lon


def dump(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    print()


def check_ids(inventory: Inventory, ids: Sequence[str], option: str) -> None:
    """Raise InventoryError naming `option` for an id that is not a service of the site, with
    the closest ids (or, for `--from`, the site's entry points when none is close)."""
    known = [s.id for s in inventory.services]
    problems = []
    for sid in ids:
        if sid in inventory.by_id:
            continue
        hint = suggest(sid, known)
        if not hint and option == "--from":
            entries = [s.id for s in inventory.services if s.entry_point]
            hint = f" (entry points: {join_some(entries, 'en', 6)})" if entries else ""
        problems.append(f"{option}: '{sid}' is not a service id of {inventory.site.id}{hint}")
    if problems:
        raise InventoryError("; ".join(problems))
