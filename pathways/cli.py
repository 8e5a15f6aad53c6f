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
from pathways.gaps import (
    FINDERS,
    Gap,
    GapDiff,
    find_gaps,
    policy_lines,
    scenario_services,
    what_if,
)
from pathways.i18n import colon, t
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
    p.add_argument(
        "--scenario",
        nargs="+",
        default=[],
        metavar="LIMIT_ID",
        help="what if these access limits of the site hold (site.access_limits: a rainy "
        "season, a road closed): their services are cut off",
    )
    p.add_argument("--as-of", type=_date, help="date the 'stale' gaps count from (YYYY-MM-DD)")
    p.add_argument(
        "--brief", action="store_true", help="one line per gap, without what to do and who"
    )

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
    p.add_argument("--day", choices=list(DAYS), help="arrival day (default: today at the site)")
    p.add_argument(
        "--hour", type=float, help="arrival hour, 0-24 (default: the time now at the site)"
    )
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
    p.add_argument("--lang", choices=["en", "fr"], default="en", help="language of the text")

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
    for inv in inventories:
        try:
            scenario_services(inv, args.scenario)
        except ValueError as e:
            raise InventoryError(f"--scenario: {e}") from None
    if args.close or args.without_interpretation or args.scenario:
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
            _print_gap(g, args)
        for line in policy_lines(inv, args.lang):
            print(f"  {t('site_policy', args.lang)}{colon(args.lang)}{line}")
    return 0


def _print_gap(g: Gap, args: argparse.Namespace, mark: str = "") -> None:
    lang = args.lang
    print(f"  {mark}{t(f'sev_{g.severity}', lang):<8} {g.kind_label(lang)}: {g.text(lang)}")
    if args.brief:
        return
    print(f"      {t('col_action', lang)}{colon(lang)}{g.action_text(lang)} ({g.owner_text(lang)})")
    if g.policy:
        print(f"      {t('site_policy', lang)}{colon(lang)}{g.policy_text(lang)}")


def _what_if(args: argparse.Namespace, inventories: Sequence[Inventory]) -> int:
    diffs = [
        (
            inv,
            what_if(
                inv,
                closed=[c for c in args.close if c in inv.by_id],
                interpretation=not args.without_interpretation,
                as_of=args.as_of,
                limits=args.scenario,
            ),
        )
        for inv in inventories
    ]
    if args.kind:
        kinds = set(args.kind)
        diffs = [
            (
                inv,
                GapDiff(
                    tuple(c for c in d.changes if c.gap.kind in kinds),
                    tuple(g for g in d.unchanged if g.kind in kinds),
                ),
            )
            for inv, d in diffs
        ]
    if args.json:
        _dump([g for _, d in diffs for g in d.to_list()])
        return 0
    what = [f"closing {', '.join(args.close)}"] if args.close else []
    what += [f"scenario {', '.join(args.scenario)}"] if args.scenario else []
    what += ["no interpretation"] if args.without_interpretation else []
    marks = {"new": "+", "gone": "-", "changed": "~"}
    for inv, d in diffs:
        print(
            f"{inv.site.name} [{inv.site.id}], what if {' and '.join(what)}: "
            f"{len(d.worse)} change(s) for the worse, {len(d.better)} for the better, "
            f"{len(d.unchanged)} gap(s) unchanged"
        )
        for c in d.changes:
            _print_gap(c.gap, args, mark=f"{c.effect.upper():<6} {marks[c.change]} ")
            if c.replaced_by is not None:
                replaced = c.replaced_by.text(args.lang)
                print(f"      {t('replaced_by', args.lang)}{colon(args.lang)}{replaced}")
    return 0


def _dump(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    print()


def _check_ids(inventory: Inventory, ids: Sequence[str], option: str) -> None:
    """Raise InventoryError naming `option` for an id that is not a service of the site, with
    the closest ids (or, for `--from`, the site's entry points when none is close)."""
    from pathways.i18n import join_some

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


def _arrival(
    inventory: Inventory, day: str | None, hour: float | None
) -> tuple[int, float, tuple[str, ...]]:
    """The arrival weekday and hour, what is not given taken as now at the site (a frontline
    worker asks about a survivor arriving now; `pathways.clock`), and which parts of it ("day",
    "hour") came from the clock."""
    from pathways.explore import site_now

    if hour is not None and not 0 <= hour <= 24:
        raise InventoryError(f"--hour: {hour:g} is not an hour of the day (0-24)")
    now = site_now(inventory)
    from_clock = tuple(part for part, given in (("day", day), ("hour", hour)) if given is None)
    weekday = now.weekday if day is None else DAYS.index(day)
    return weekday, now.minute / 60 if hour is None else hour, from_clock


def _phones(inventory: Inventory, steps: Sequence[str]) -> dict[str, str | None]:
    """Each service of the route (in order, once) -> its public phone number, or None."""
    contacts = {sid: inventory.by_id[sid].contact for sid in steps if sid in inventory.by_id}
    return {sid: contact.phone if contact else None for sid, contact in contacts.items()}


def _route(args: argparse.Namespace) -> int:
    from pathways.graph import build_referral_graph
    from pathways.i18n import join, t
    from pathways.inventory import category_label
    from pathways.routes import Profile, format_time, route
    from pathways.workshop import reason_text

    lang = args.lang
    inventory = load_site(args.paths[0])
    needs = [n.strip() for arg in args.need for n in arg.split(",") if n.strip()]
    for n in needs:
        if not is_category(n):
            raise InventoryError(f"--need: '{n}' is not a category{suggest(n, TAXONOMY)}")
    _check_ids(inventory, [args.entry] if args.entry else [], "--from")
    _check_ids(inventory, args.close, "--close")
    if args.language:
        try:
            check_language(args.language)
        except ValueError as e:
            raise InventoryError(f"--language: {e}") from None
    weekday, hour, from_clock = _arrival(inventory, args.day, args.hour)
    profile = Profile(
        entry=args.entry,
        location=args.at,
        language=args.language,
        age=args.age,
        gender=args.gender,
        legal_status=args.legal_status,
        weekday=weekday,
        hour=hour,
        avoid=tuple(args.avoid),
        interpretation=not args.without_interpretation,
    )
    G = build_referral_graph(inventory, closed=args.close)
    result = route(G, profile, need=needs)
    arriving = format_time(profile.start_time, lang)
    illustrative = inventory.site.data_status != "field-verified"
    phones = _phones(inventory, [s.service for s in result.steps])
    names = {s.id: s.name_in(lang) for s in inventory.services}
    if args.json:
        data = result.to_dict()
        data["data_status"] = inventory.site.data_status
        if illustrative:
            data["notice"] = t("illustrative_notice", lang)
        data["arrival"] = {
            "day": DAYS[weekday],
            "hour": round(hour, 2),
            "clock": arriving,
            "from_clock": list(from_clock),
        }
        for step in data["steps"]:
            step["phone"] = phones.get(step["service"])
        _dump(data)
        return 0
    status = t("route_illustrative", lang) if illustrative else ""
    start = names.get(result.start, result.start) if result.start else t("route_nearest", lang)
    when = t("route_arriving", lang, clock=arriving)
    if from_clock:
        when += " " + t("route_now_" + "_".join(from_clock), lang)
    print(
        t(
            "route_header",
            lang,
            site=inventory.site.name,
            id=inventory.site.id,
            status=status,
            needs=join([category_label(n, lang) for n in result.needs], lang),
            start=start,
            when=when,
        )
    )
    if illustrative:
        print(t("illustrative_notice", lang))
    print(result.describe(lang, names=names, reason=lambda r: reason_text(r, lang, names)))
    if phones:
        print(t("route_phones", lang))
        for sid, phone in phones.items():
            print(f"  {names[sid]}{t('colon', lang)} {phone or t('route_no_phone', lang)}")
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
