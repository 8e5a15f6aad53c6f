"""`pathways route`: the fastest referral route for a survivor profile, with phones."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pathways.analysis.graph import build_referral_graph
from pathways.analysis.reasons import reason_text
from pathways.analysis.routes import Profile, Route, format_time, route
from pathways.cli._common import (
    LANGS,
    SOURCE_HELP,
    check_ids,
    dump,
    latlon_arg,
    read_one,
    reader_option,
)
from pathways.i18n import join, t
from pathways.model.errors import InventoryError
from pathways.model.inventory import (
    DAYS,
    REQUIREMENTS,
    TAXONOMY,
    Inventory,
    category_label,
    check_language,
    is_category,
    suggest,
)


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser("route", help="the fastest referral route for a survivor profile")
    p.add_argument("paths", nargs=1, metavar="SOURCE", help=SOURCE_HELP)
    reader_option(p)
    start = p.add_mutually_exclusive_group(required=True)
    start.add_argument("--from", dest="entry", metavar="SERVICE_ID", help="the entry point")
    start.add_argument(
        "--at", metavar="LAT,LON", type=latlon_arg, help="a place: start at the nearest entry point"
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
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the text")
    p.set_defaults(func=run_route)


def _arrival(
    inventory: Inventory, day: str | None, hour: float | None
) -> tuple[int, float, tuple[str, ...]]:
    """The arrival weekday and hour, what is not given taken as now at the site (a frontline
    worker asks about a survivor arriving now; `pathways.model.clock`), and which parts of it
    ("day",
    "hour") came from the clock."""
    from pathways.model.clock import site_now

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


def run_route(args: argparse.Namespace) -> int:
    lang = args.lang
    inventory = read_one(args.paths[0], user=args.user)
    profile, needs, from_clock = _profile(args, inventory)
    G = build_referral_graph(inventory, closed=args.close)
    result = route(G, profile, need=needs)
    phones = _phones(inventory, [s.service for s in result.steps])
    if args.json:
        dump(_route_json(result, inventory, profile, from_clock, phones, lang))
    else:
        _print_route(result, inventory, profile, from_clock, phones, lang)
    return 0


def _profile(
    args: argparse.Namespace, inventory: Inventory
) -> tuple[Profile, list[str], tuple[str, ...]]:
    """The survivor's profile from the options, checked: (profile, needs, parts from the clock)."""
    needs = [n.strip() for arg in args.need for n in arg.split(",") if n.strip()]
    for n in needs:
        if not is_category(n):
            raise InventoryError(f"--need: '{n}' is not a category{suggest(n, TAXONOMY)}")
    check_ids(inventory, [args.entry] if args.entry else [], "--from")
    check_ids(inventory, args.close, "--close")
    if args.language:
        try:
            check_language(args.language)
        except ValueError as e:
            raise InventoryError(f"--language: {e}") from None
    profile, from_clock = profile_of(
        args, inventory, interpretation=not args.without_interpretation
    )
    return profile, needs, from_clock


def profile_of(
    args: argparse.Namespace, inventory: Inventory, **more: Any
) -> tuple[Profile, tuple[str, ...]]:
    """The person's profile from the options `route` and `orient` share (`--from`, `--at`,
    `--language`, `--age`, `--gender`, `--legal-status`, `--avoid`, `--day`, `--hour`), with
    `more` fields; and which parts of the arrival came from the clock."""
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
        **more,
    )
    return profile, from_clock


def _route_json(
    result: Route,
    inventory: Inventory,
    profile: Profile,
    from_clock: tuple[str, ...],
    phones: dict[str, str | None],
    lang: str,
) -> dict[str, Any]:
    data = result.to_dict()
    data["data_status"] = inventory.site.data_status
    if inventory.site.data_status != "field-verified":
        data["notice"] = t("illustrative_notice", lang)
    data["arrival"] = {
        "day": DAYS[profile.weekday],
        "hour": round(profile.hour, 2),
        "clock": format_time(profile.start_time, lang),
        "from_clock": list(from_clock),
    }
    for step in data["steps"]:
        step["phone"] = phones.get(step["service"])
    return data


def _print_route(
    result: Route,
    inventory: Inventory,
    profile: Profile,
    from_clock: tuple[str, ...],
    phones: dict[str, str | None],
    lang: str,
) -> None:
    illustrative = inventory.site.data_status != "field-verified"
    names = {s.id: s.name_in(lang) for s in inventory.services}
    start = names.get(result.start, result.start) if result.start else t("route_nearest", lang)
    when = t("route_arriving", lang, clock=format_time(profile.start_time, lang))
    if from_clock:
        when += " " + t("route_now_" + "_".join(from_clock), lang)
    status = t("route_illustrative", lang) if illustrative else ""
    needs = join([category_label(n, lang) for n in result.needs], lang)
    site = inventory.site
    print(
        t(
            "route_header",
            lang,
            site=site.name,
            id=site.id,
            status=status,
            needs=needs,
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
