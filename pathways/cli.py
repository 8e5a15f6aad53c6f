"""The command line: `pathways validate | gaps | route | show | compare | map | ...`.

A user's mistake (a bad inventory, a missing file, an unknown service id) exits 1 with one line
per problem and never a traceback; anything else is a bug and is allowed to crash loudly.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pathways.errors import InventoryError, ValidationError
from pathways.gaps import FINDERS, find_gaps, what_if
from pathways.inventory import (
    DAYS,
    REQUIREMENTS,
    TAXONOMY,
    Inventory,
    check_language,
    is_category,
    suggest,
)
from pathways.load import find_inventories, load_site, load_sites


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not LAT,LON (e.g. 50.84,4.35)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range")
    return lat, lon


EXTENSIONS: tuple[str, ...] = (
    "mapping.cli",
    "pathways.export",
    "pathways.imports",
    "pathways.versions",
)
"""Modules that add commands: each has `register(subparsers)`, which adds its parsers and sets
`func` (a function of the parsed arguments returning the exit code) with `set_defaults`."""


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
        help="what if these services close: print the gaps that appear and disappear",
    )
    p.add_argument(
        "--without-interpretation",
        action="store_true",
        help="what if no interpreter can be found",
    )
    p.add_argument("--as-of", type=_date, help="date the 'stale' gaps count from (YYYY-MM-DD)")

    p = sub.add_parser("route", help="the fastest referral route for a survivor profile")
    p.add_argument("paths", nargs=1, metavar="PATH", help="one site inventory")
    start = p.add_mutually_exclusive_group(required=True)
    start.add_argument("--from", dest="entry", metavar="SERVICE_ID", help="the entry point")
    start.add_argument(
        "--at", metavar="LAT,LON", type=_latlon, help="a place: start at the nearest entry point"
    )
    p.add_argument(
        "--need",
        required=True,
        action="append",
        metavar="CATEGORY",
        help="the need(s), repeatable or comma-separated (health.cmr always first)",
    )
    p.add_argument("--language", metavar="L", help="language the survivor speaks (ISO 639)")
    p.add_argument("--age", type=int, metavar="N")
    p.add_argument("--gender", choices=["female", "male", "nonbinary"])
    p.add_argument("--legal-status", choices=["documented", "undocumented"])
    p.add_argument("--day", choices=list(DAYS), default="mon", help="arrival day (default mon)")
    p.add_argument("--hour", type=float, default=10.0, help="arrival hour, 0-24 (default 10)")
    p.add_argument(
        "--avoid",
        nargs="+",
        default=[],
        choices=list(REQUIREMENTS),
        help="conditions the survivor will not accept",
    )
    p.add_argument("--close", nargs="+", default=[], metavar="SERVICE_ID")
    p.add_argument("--without-interpretation", action="store_true")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("compare", help="sites side by side: category matrix and headline figures")
    p.add_argument("paths", nargs="+", metavar="PATH")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")

    p = sub.add_parser("show", help="the card of one service, as the app shows it")
    p.add_argument("paths", nargs=1, metavar="SOURCE", help="one site inventory")
    p.add_argument("service", metavar="SERVICE_ID")
    p.add_argument("--json", action="store_true", help="print one JSON object (with `version`)")
    p.add_argument("--lang", choices=["en", "fr"], default="en")

    p = sub.add_parser(
        "map", help="write the standalone interactive map (works offline), or a PNG for reports"
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--out", required=True, type=Path, help="the file to write: .html (interactive) or .png"
    )
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument(
        "--offline",
        action="store_true",
        help="no web tiles: the site boundaries are the basemap (for places with no internet)",
    )
    p.add_argument("--no-gaps", action="store_true", help="do not highlight gaps")
    for name in EXTENSIONS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    command = getattr(args, "func", None) or _COMMANDS[args.command]
    try:
        return int(command(args))
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


def _check_closed(inventories: Sequence[Inventory], closed: list[str]) -> None:
    known = {s.id for inv in inventories for s in inv.services}
    unknown = [c for c in closed if c not in known]
    if unknown:
        raise InventoryError(
            "; ".join(f"--close: '{c}' is not a service id{suggest(c, known)}" for c in unknown)
        )


def _gaps(args: argparse.Namespace) -> int:
    inventories = load_sites(args.paths)
    _check_closed(inventories, args.close)
    if args.close or args.without_interpretation:
        return _what_if(args, inventories)
    per_site = [(inv, find_gaps(inv, kinds=args.kind, as_of=args.as_of)) for inv in inventories]
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


def _what_if(args: argparse.Namespace, inventories: Sequence[Inventory]) -> int:
    diffs = [
        (
            inv,
            what_if(
                inv,
                closed=[c for c in args.close if c in inv.by_id],
                interpretation=not args.without_interpretation,
                as_of=args.as_of,
            ),
        )
        for inv in inventories
    ]
    if args.kind:
        kinds = set(args.kind)
        diffs = [
            (
                inv,
                type(d)(
                    *(
                        tuple(g for g in gs if g.kind in kinds)
                        for gs in (d.appeared, d.disappeared, d.unchanged)
                    )
                ),
            )
            for inv, d in diffs
        ]
    if args.json:
        _dump([g for _, d in diffs for g in d.to_list()])
        return 0
    what = ", ".join([f"closing {', '.join(args.close)}"] if args.close else [])
    if args.without_interpretation:
        what += (" and " if what else "") + "no interpretation"
    for inv, d in diffs:
        print(
            f"{inv.site.name} [{inv.site.id}], what if {what}: {len(d.appeared)} new gap(s), "
            f"{len(d.disappeared)} gone, {len(d.unchanged)} unchanged"
        )
        for mark, gaps in (("+", d.appeared), ("-", d.disappeared)):
            for g in gaps:
                print(f"  {mark} {g.severity:<8} {g.kind:<17} {g.text(args.lang)}")
    return 0


def _dump(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    print()


def _route(args: argparse.Namespace) -> int:
    from pathways.graph import build_referral_graph
    from pathways.routes import Profile, route

    inventory = load_site(args.paths[0])
    needs = [n.strip() for arg in args.need for n in arg.split(",") if n.strip()]
    for n in needs:
        if not is_category(n):
            raise InventoryError(f"--need: '{n}' is not a category{suggest(n, TAXONOMY)}")
    _check_closed([inventory], args.close + ([args.entry] if args.entry else []))
    if args.language:
        try:
            check_language(args.language)
        except ValueError as e:
            raise InventoryError(f"--language: {e}") from None
    profile = Profile(
        entry=args.entry,
        location=args.at,
        language=args.language,
        age=args.age,
        gender=args.gender,
        legal_status=args.legal_status,
        weekday=DAYS.index(args.day),
        hour=args.hour,
        avoid=tuple(args.avoid),
        interpretation=not args.without_interpretation,
    )
    G = build_referral_graph(inventory, closed=args.close)
    result = route(G, profile, need=needs)
    if args.json:
        _dump(result.to_dict())
    else:
        print(
            f"{inventory.site.name} [{inventory.site.id}]: route for "
            f"{', '.join(result.needs)} from {result.start or 'the nearest entry point'}"
        )
        print(result.describe())
    return 0


def _show(args: argparse.Namespace) -> int:
    from pathways.card import service_card

    inventory = load_site(args.paths[0])
    try:
        card = service_card(inventory, args.service, args.lang)
    except KeyError as e:
        raise InventoryError(e.args[0]) from None
    if args.json:
        _dump(card.to_dict())
    else:
        print(card.text())
    return 0


def _compare(args: argparse.Namespace) -> int:
    from pathways.compare import compare_sites, matrix_rows

    summaries = compare_sites(load_sites(args.paths))
    if args.json:
        _dump([s.to_dict() for s in summaries])
        return 0
    rows = matrix_rows(summaries)
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return 0
    print(
        f"{'site':<10} {'svc':>4} {'ref':>4} {'entry':>5} {'PEP<72h':>8} {'hand-offs':>9} "
        f"{'SPOF':>4} {'crit':>4} {'major':>5}"
    )
    for s in summaries:
        share = "-" if s.share_pep_72h_always is None else f"{s.share_pep_72h_always:.0%}"
        hand = "-" if s.median_handoffs_to_care is None else f"{s.median_handoffs_to_care:g}"
        print(
            f"{s.site:<10} {s.services:>4} {s.referrals:>4} {s.entry_points:>5} {share:>8} "
            f"{hand:>9} {s.single_points_of_failure:>4} {s.gaps_by_severity['critical']:>4} "
            f"{s.gaps_by_severity['major']:>5}"
        )
    print()
    cats = list(summaries[0].by_category) if summaries else []
    print("services (entry points reaching) per category")
    print(f"{'category':<18}" + "".join(f"{s.site[:9]:>10}" for s in summaries))
    for c in cats:
        cells = "".join(
            f"{f'{s.by_category[c][0]} ({s.by_category[c][1]})':>10}" for s in summaries
        )
        print(f"{c:<18}{cells}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from mapping.build import build_map, save_map

    inventories = load_sites(args.paths)
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


_COMMANDS = {
    "validate": _validate,
    "gaps": _gaps,
    "route": _route,
    "compare": _compare,
    "show": _show,
    "map": _map,
}
