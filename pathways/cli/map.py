"""`pathways map`: the standalone interactive map (HTML, works offline) or a PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pathways.analysis.gaps import (
    find_gaps,
)
from pathways.cli._common import LANGS, SOURCES_HELP, read_all, reader_option
from pathways.model.errors import InventoryError


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser(
        "map", help="write the standalone interactive map (works offline), or a PNG for reports"
    )
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    p.add_argument(
        "--out", required=True, type=Path, help="the file to write: .html (interactive) or .png"
    )
    p.add_argument("--lang", choices=LANGS, default="en")
    p.add_argument(
        "--offline",
        action="store_true",
        help="no web tiles: the site boundaries are the basemap (for places with no internet)",
    )
    p.add_argument("--no-gaps", action="store_true", help="do not highlight gaps")
    p.set_defaults(func=run_map)


def run_map(args: argparse.Namespace) -> int:
    from mapping.build import build_map, save_map

    inventories = read_all(args)
    gaps = None if args.no_gaps else [g for inv in inventories for g in find_gaps(inv)]
    m = build_map(
        inventories, gaps=gaps, lang=args.lang, tiles=None if args.offline else "OpenStreetMap"
    )
    try:
        if args.out.suffix.lower() == ".png":  # a static map for reports: no tiles, no JS
            from mapping.static import save_png

            save_png(inventories, args.out, lang=args.lang, gaps=gaps)
        else:
            save_map(m, args.out)
    except OSError as e:
        raise InventoryError(f"--out: cannot write {args.out}: {e.strerror}") from None
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
