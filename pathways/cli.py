"""The command line: `pathways validate | gaps | map` (also `python -m pathways`).

A user's mistake (a bad inventory, a missing file, an unknown service id) exits 1 with one line
per problem and never a traceback; anything else is a bug and is allowed to crash loudly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pathways.errors import InventoryError, ValidationError
from pathways.gaps import FINDERS, find_gaps
from pathways.inventory import Inventory
from pathways.load import find_inventories, load_sites


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 1 (not 2 with a usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed so tests and docs can read the commands."""
    parser = _Parser(
        prog="pathways",
        description="Referral Atlas: validate SGBV service inventories, find referral gaps, "
        "draw maps.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check inventories; one line per problem")
    p.add_argument("paths", nargs="+", metavar="PATH", help="inventory files or folders")

    p = sub.add_parser("gaps", help="referral gaps, grouped by site")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.add_argument("--lang", choices=["en", "fr"], default="en", help="language of the sentences")
    p.add_argument(
        "--kind", action="append", choices=list(FINDERS), help="only these gap kinds (repeatable)"
    )
    p.add_argument(
        "--close",
        nargs="+",
        default=[],
        metavar="SERVICE_ID",
        help="treat these services as closed",
    )

    p = sub.add_parser("map", help="write the standalone interactive map (works offline)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument(
        "--offline",
        action="store_true",
        help="no web tiles: the site boundaries are the basemap (for places with no internet)",
    )
    p.add_argument("--no-gaps", action="store_true", help="do not highlight gaps")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ValidationError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except InventoryError as e:
        print(f"pathways: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `pathways gaps ... | head`
        return 0


def _validate(args: argparse.Namespace) -> int:
    files = find_inventories(args.paths)
    inventories = load_sites(files)
    n_services = sum(len(i.services) for i in inventories)
    n_referrals = sum(len(i.referrals) for i in inventories)
    print(
        f"{len(inventories)} inventories valid: {n_services} services, {n_referrals} referrals",
        file=sys.stderr,
    )
    return 0


def _check_closed(inventories: list[Inventory], closed: list[str]) -> None:
    known = {s.id for inv in inventories for s in inv.services}
    unknown = [c for c in closed if c not in known]
    if unknown:
        from pathways.inventory import suggest

        raise InventoryError(
            "; ".join(f"--close: '{c}' is not a service id{suggest(c, known)}" for c in unknown)
        )


def _gaps(args: argparse.Namespace) -> int:
    inventories = load_sites(args.paths)
    _check_closed(inventories, args.close)
    per_site = [(inv, find_gaps(inv, kinds=args.kind, closed=args.close)) for inv in inventories]
    if args.json:
        json.dump(
            [g.to_dict() for _, gaps in per_site for g in gaps],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
        return 0
    for inv, gaps in per_site:
        status = "" if inv.site.data_status == "field-verified" else " (illustrative data)"
        print(f"{inv.site.name} [{inv.site.id}]{status}: {len(gaps)} gap(s)")
        for g in gaps:
            print(f"  {g.severity:<8} {g.kind:<17} {g.text(args.lang)}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from mapping.build import build_map, save_map

    inventories = load_sites(args.paths)
    gaps = None if args.no_gaps else [g for inv in inventories for g in find_gaps(inv)]
    m = build_map(
        inventories, gaps=gaps, lang=args.lang, tiles=None if args.offline else "OpenStreetMap"
    )
    try:
        save_map(m, args.out)
    except OSError as e:
        raise InventoryError(f"--out: cannot write {args.out}: {e.strerror}") from None
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


_COMMANDS = {"validate": _validate, "gaps": _gaps, "map": _map}
