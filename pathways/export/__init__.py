"""Exports of mapped protocols: one module per format, all through the same privacy rule.

`export(inventories, path, format=...)` writes one file (or, for an HSDS data package, one
folder) whole or not at all. Every format shows a confidential service only at its public place
(`pathways.export.public`); a hidden one is listed, never placed.

The format modules load their libraries (geopandas, fpdf2, ...) when called, so importing this
package, as the command line does for every command, stays cheap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathways.errors import InventoryError
from pathways.inventory import Inventory
from pathways.privacy import public_view


@dataclass(frozen=True)
class ExportOptions:
    """Settings shared by the writers; each format reads the ones it needs."""

    lang: str = "en"  # language of labels and sentences: en | fr
    as_of: dt.date | None = None  # date the gaps (stale) and the protocol's print date count from
    lines: bool = True  # GeoJSON: referral routes as LineString features too
    # GeoJSON, HSDS: boundary paths rewritten to resolve from the written file's folder; off for
    # a download, whose folder is the server's temporary one (it would print the server's
    # folder layout and resolve nowhere): the inventory's own relative paths are kept then
    relocate: bool = True


Writer = Callable[[Sequence[Inventory], Path, ExportOptions], None]

FORMATS: dict[str, tuple[str, str]] = {
    "geojson": ("pathways.export.geojson", "write_geojson"),
    "gpkg": ("pathways.export.gpkg", "write_gpkg"),
    "csv": ("pathways.export.sheet", "write_csv"),
    "hxl": ("pathways.export.sheet", "write_hxl"),
    "graphml": ("pathways.export.network", "write_graphml"),
    "gexf": ("pathways.export.network", "write_gexf"),
    "hsds": ("pathways.export.hsds", "write_hsds"),
    "protocol": ("pathways.export.protocol", "write_protocol"),
}
"""Format name -> (module, writer function). Each writer is a `Writer`."""


def writer(format: str) -> Writer:
    """The writer function of a format; InventoryError naming the known formats otherwise."""
    if format not in FORMATS:
        raise InventoryError(f"'{format}' is not an export format (use {', '.join(FORMATS)})")
    module, name = FORMATS[format]
    func: Writer = getattr(importlib.import_module(module), name)
    return func


def export(
    inventories: Inventory | Sequence[Inventory],
    path: str | Path,
    *,
    format: str,
    options: ExportOptions | None = None,
) -> Path:
    """Write one or more inventories to `path` in `format`; return the path written."""
    given = [inventories] if isinstance(inventories, Inventory) else list(inventories)
    invs = [public_view(inv) for inv in given]  # as loaded already; a no-op then
    if not invs:
        raise InventoryError("nothing to export: no inventory given")
    writer(format)(invs, Path(path), options or ExportOptions())
    return Path(path)


def one_site(inventories: Sequence[Inventory], format: str) -> Inventory:
    """The single inventory of a per-site format; InventoryError when given several."""
    if len(inventories) != 1:
        ids = ", ".join(inv.site.id for inv in inventories)
        raise InventoryError(
            f"--format {format} writes one site per file (it is read back as one inventory); "
            f"got {len(inventories)} sites ({ids}): export them one by one"
        )
    return inventories[0]


# --- command line ------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def register(sub: Any) -> None:
    """Add `pathways export` to the command line's subparsers."""
    p = sub.add_parser(
        "export",
        help="write inventories as GeoJSON, GeoPackage, CSV, HXL, GraphML, GEXF, HSDS or a "
        "printable referral protocol (HTML or PDF)",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="inventory files or folders")
    p.add_argument("--format", required=True, choices=list(FORMATS), help="the output format")
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="the file to write (hsds: .json, .zip or a folder; protocol: .html or .pdf)",
    )
    p.add_argument("--lang", choices=["en", "fr"], default="en", help="language of labels")
    p.add_argument("--as-of", type=_date, help="date gaps and the protocol count from")
    p.add_argument(
        "--no-lines",
        action="store_true",
        help="geojson: services only, no referral lines (the form `pathways validate` reads)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathways.load import load_sites

    inventories = load_sites(args.paths)
    options = ExportOptions(lang=args.lang, as_of=args.as_of, lines=not args.no_lines)
    export(inventories, args.out, format=args.format, options=options)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
