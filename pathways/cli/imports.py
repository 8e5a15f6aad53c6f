"""`pathways import`: a field team's spreadsheet or an HSDS package into an inventory YAML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pathways.io.imports import SiteOptions, import_file, write_inventory


def register(sub: Any) -> None:
    """Add `pathways import` to the command line's subparsers."""
    p = sub.add_parser(
        "import",
        help="turn a service-mapping spreadsheet (XLSX/CSV, HXL) or an HSDS package into an "
        "inventory YAML",
    )
    p.add_argument("file", metavar="FILE", help=".xlsx or .csv; HSDS .json, .zip or folder")
    p.add_argument("--site", required=True, metavar="ID", help="the site id (lower-case slug)")
    p.add_argument("--out", required=True, type=Path, help="the inventory YAML to write")
    p.add_argument("--country", metavar="CC", help="ISO 3166-1 alpha-2 country code")
    p.add_argument("--name", help="the site's name (default: from the file, or the id)")
    p.add_argument("--timezone", metavar="TZ", help="IANA time zone (default: the country's)")
    p.add_argument(
        "--languages", metavar="L,L", default="", help="languages survivors at the site need"
    )
    p.add_argument(
        "--data-status",
        choices=["illustrative", "field-verified"],
        help="default: the package's own, else illustrative",
    )
    p.add_argument("--sheet", help="the worksheet to read (default: the first with a header)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    site = SiteOptions(
        id=args.site,
        country=args.country,
        name=args.name,
        timezone=args.timezone,
        languages=tuple(x.strip() for x in args.languages.split(",") if x.strip()),
        data_status=args.data_status,
    )
    imported = import_file(args.file, site, sheet=args.sheet)
    inventory = write_inventory(imported, args.out)
    print(imported.report.text())
    print(
        f"wrote {args.out}: {len(inventory.services)} services, {len(inventory.referrals)} "
        "referrals (valid)",
        file=sys.stderr,
    )
    return 0
