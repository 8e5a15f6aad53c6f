"""`pathways db init | import | export | grant | revoke | members | roles`: the shared PostgreSQL +
PostGIS store's administration.

These run with the URL's own credentials (the database's owner, who is not bound by its
row-level security), except `export --as USER`, which reads as that user's role. URL is a libpq
URL (`postgresql://HOST/DB`); a `#SITE` after it is optional (`--site`'s default where a site is
needed). No message ever shows the URL's password (`DbSource.shown`).

`import` validates every file with the loader's full rules first: one bad file, and none is
imported (its `FILE:LINE: field: message` lines on stderr, exit 1). Then each file is loaded in a
transaction of its own, one line a file as it is stored; a site already there is replaced, its
members and history kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pathways.cli._common import dump
from pathways.io.load import find_inventories, load_sites
from pathways.io.save import SAVE_SUFFIXES
from pathways.io.store.db.pg_store import ROLES, PgStore
from pathways.io.store.db.source import DbSource, parse_source
from pathways.model.errors import InventoryError, display_path
from pathways.model.public import PublicInventory

URL_HELP = "the database: postgresql://HOST/DB (a #SITE after it is allowed)"

ROLE_TEXT = {
    "viewer": "reads the site (confidential services at their public places only), its routes, "
    "history and proposals; changes nothing, may propose changes",
    "editor": "a viewer who also changes the services of one organisation (--organisation) and "
    "the routes from them, and reads the true places of its confidential services",
    "coordinator": "changes every service and route of the site, reads every true place, "
    "accepts or rejects proposals, exports the site",
    "admin": "as a coordinator",
}
"""What each role may do, as the database's row-level security decides it
(`pathways/io/store/db/migrations/versions/0001_shared_store.py`)."""


def register(sub: Any) -> None:
    """Add `pathways db ...` to the command line's subparsers."""
    p = sub.add_parser(
        "db",
        help="the shared PostgreSQL + PostGIS store: schema, imports, exports, roles",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db = p.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    _register_schema(db)
    _register_roles(db)


def _register_schema(db: Any) -> None:
    p = db.add_parser("init", help="create the schema, or upgrade it (again: a no-op)")
    p.add_argument("url", metavar="URL", help=URL_HELP)
    p.set_defaults(func=run_init)

    p = db.add_parser(
        "import",
        help="load inventory files (a site already there is replaced; its members and history "
        "kept). Every file is validated first: one bad file and none is imported",
    )
    p.add_argument("url", metavar="URL", help=URL_HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="inventory files or folders")
    p.set_defaults(func=run_import)

    p = db.add_parser(
        "export",
        help="write a site back as an inventory file (true places included: a coordinator's, "
        "an admin's or the owner's), its boundary files beside it",
    )
    p.add_argument("source", metavar="URL#SITE", help="the database and the site")
    p.add_argument("--out", required=True, type=Path, help="the inventory file to write (.yaml)")
    p.add_argument(
        "--as", dest="user", metavar="USER", help="read as this user's role (default the URL's)"
    )
    p.set_defaults(func=run_export)


def _register_roles(db: Any) -> None:
    site_help = "the site (default the URL's #SITE)"
    p = db.add_parser("roles", help="what each role may read and change (no database needed)")
    p.set_defaults(func=run_roles)

    p = db.add_parser("grant", help="give a user a role at a site (creates their database role)")
    p.add_argument("url", metavar="URL", help=URL_HELP)
    p.add_argument("user", metavar="USER", help="a staff identifier (the PostgreSQL role)")
    p.add_argument(
        "role",
        metavar="ROLE",
        choices=ROLES,
        help=f"one of {', '.join(ROLES)} (pathways db roles: what each may do)",
    )
    p.add_argument("--site", help=site_help)
    p.add_argument(
        "--organisation", metavar="ORG", help="an editor's organisation (whose services they edit)"
    )
    p.set_defaults(func=run_grant)

    p = db.add_parser("revoke", help="take a user's role at a site away")
    p.add_argument("url", metavar="URL", help=URL_HELP)
    p.add_argument("user", metavar="USER")
    p.add_argument("--site", help=site_help)
    p.set_defaults(func=run_revoke)

    p = db.add_parser("members", help="who has which role at a site")
    p.add_argument("url", metavar="URL", help=URL_HELP)
    p.add_argument("--site", help=site_help)
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.set_defaults(func=run_members)


# --- running -------------------------------------------------------------------------------


def _site(args: argparse.Namespace) -> tuple[DbSource, str]:
    """The database and the site a command names: `--site`, else the URL's `#SITE`."""
    db = parse_source(args.url, site=False)
    if args.site and db.site and args.site != db.site:
        raise InventoryError(f"--site {args.site}: the URL names another site ({db.site})")
    site = args.site or db.site
    if not site:
        raise InventoryError(f"{db.shown}: name the site: --site SITE (or URL#SITE)")
    return db, site


def run_init(args: argparse.Namespace) -> int:
    from pathways.io.store.db.schema import upgrade

    db = DbSource(parse_source(args.url, site=False).dsn, None)
    before, after = upgrade(db.dsn)
    if before == after:
        print(f"{db.shown}: schema at revision {after} (already up to date)")
    elif before is None:
        print(f"{db.shown}: schema created at revision {after}")
    else:
        print(f"{db.shown}: schema upgraded from revision {before} to {after}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pathways.io.store.db.admin import import_inventories

    db = parse_source(args.url, site=False)
    files = find_inventories(args.files)
    _check_sites(db, load_sites(files))  # every file, all problems at once; nothing stored yet
    for path in files:
        (done,) = import_inventories(db.dsn, [path])
        what = "replaced" if done.replaced else "new"
        print(
            f"{done.site}: {done.services} services, {done.referrals} referrals, {what} "
            f"({display_path(done.path)})"
        )
    where = DbSource(db.dsn, None).shown
    print(f"imported {len(files)} inventory file(s) into {where}", file=sys.stderr)
    return 0


def _check_sites(db: DbSource, inventories: Sequence[PublicInventory]) -> None:
    """A URL with `#SITE` given to import: every file must be that site's."""
    others = [i for i in inventories if db.site and i.site.id != db.site]
    if others:
        names = ", ".join(f"{display_path(i.path or '')} ({i.site.id})" for i in others)
        raise InventoryError(
            f"{db.shown}: the URL names site {db.site}, but {names} hold other sites "
            "(give the URL without #SITE to import them all)"
        )


def run_export(args: argparse.Namespace) -> int:
    from pathways.io.store.db.admin import export_site

    out: Path = args.out
    if out.suffix.lower() not in SAVE_SUFFIXES:
        raise InventoryError(f"--out {display_path(out)}: an inventory is written as .yaml")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InventoryError(f"--out {display_path(out)}: no folder {display_path(folder)}")
    inventory = export_site(args.source, out, user=args.user)
    print(
        f"wrote {display_path(out)}: {len(inventory.services)} services, "
        f"{len(inventory.referrals)} referrals (valid)",
        file=sys.stderr,
    )
    return 0


def run_roles(args: argparse.Namespace) -> int:
    for role in ROLES:
        print(f"{role:<12} {ROLE_TEXT[role]}")
    return 0


def run_grant(args: argparse.Namespace) -> int:
    from pathways.io.store.db.admin import grant

    db, site = _site(args)
    print(grant(db.dsn, args.user, args.role, site=site, organisation=args.organisation))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from pathways.io.store.db.admin import revoke

    db, site = _site(args)
    print(revoke(db.dsn, args.user, site=site))
    return 0


def run_members(args: argparse.Namespace) -> int:
    from pathways.io.store.db.admin import members

    db, site = _site(args)
    rows = members(db.dsn, site)
    if not rows:  # `members` lists no one for a site that is not there: say which it is
        PgStore(f"{db.dsn}#{site}").close()  # an unknown site: refused, naming the sites
    if args.json:
        dump([{"user": u, "role": r, "organisation": o} for u, r, o in rows])
        return 0
    if not rows:
        print(f"no one has a role at {site} yet (pathways db grant URL USER ROLE --site {site})")
    width = max((len(u) for u, _, _ in rows), default=0)
    for user, role, organisation in rows:
        of = f" of {organisation}" if organisation else ""
        print(f"{user:<{width}}  {role}{of}")
    return 0


__all__ = ["register"]
