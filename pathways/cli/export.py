"""`pathways export`: write inventories in one of the export formats."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pathways.cli._common import LANGS, SOURCES_HELP, date_arg, read_all, reader_option
from pathways.io.export import FORMATS, ExportOptions, export


def register(sub: Any) -> None:
    """Add `pathways export` to the command line's subparsers."""
    p = sub.add_parser(
        "export",
        help="write inventories as GeoJSON, GeoPackage, CSV, HXL, GraphML, GEXF, HSDS, a "
        "printable referral protocol (HTML or PDF) or a two-page pocket guide (PDF)",
    )
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    p.add_argument("--format", required=True, choices=list(FORMATS), help="the output format")
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="the file to write (hsds: .json, .zip or a folder; protocol: .html or .pdf; "
        "pocket: .pdf)",
    )
    p.add_argument("--lang", choices=LANGS, default="en", help="language of labels")
    p.add_argument("--as-of", type=date_arg, help="date gaps and the protocol count from")
    p.add_argument(
        "--no-lines",
        action="store_true",
        help="geojson: services only, no referral lines (the form `pathways validate` reads)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    inventories = read_all(args)
    options = ExportOptions(lang=args.lang, as_of=args.as_of, lines=not args.no_lines)
    export(inventories, args.out, format=args.format, options=options)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
