"""`pathways orient`: what to do now for the person in front of a frontline worker.

Nothing typed is stored, logged or written: the answer is printed and forgotten.
"""

from __future__ import annotations

import argparse
from typing import Any

from pathways.analysis.graph import build_referral_graph
from pathways.analysis.orient import Orientation, Situation, orient, scenario_question
from pathways.analysis.routes import Profile, format_time
from pathways.cli._common import (
    LANGS,
    SOURCE_HELP,
    check_ids,
    dump,
    latlon_arg,
    read_one,
    reader_option,
)
from pathways.cli.route import profile_of
from pathways.i18n import colon, t
from pathways.io.orientation import load_grid, load_scenarios
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import DAYS, REQUIREMENTS, Inventory, check_language
from pathways.model.orientation import INCIDENTS, Grid, Scenario
from pathways.public.orientation import LEVELS, action_lines


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser(
        "orient", help="what to do now for a survivor: services in order, urgency, deadlines"
    )
    p.add_argument("paths", nargs=1, metavar="SOURCE", help=SOURCE_HELP)
    reader_option(p)
    start = p.add_mutually_exclusive_group(required=True)
    start.add_argument("--from", dest="entry", metavar="SERVICE_ID", help="where the person is")
    start.add_argument("--at", metavar="LAT,LON", type=latlon_arg, help="a place")
    start.add_argument(
        "--scenario",
        metavar="ID",
        help="a workshop's scenario card of the site (data/orientation/scenarios/SITE.yaml): "
        "its story, then the answer",
    )
    p.add_argument("--incident", choices=INCIDENTS, help="what happened (default: unknown)")
    p.add_argument("--hours-since", type=float, metavar="N", help="hours since it happened")
    p.add_argument(
        "--sign", nargs="+", action="extend", default=[], metavar="SIGN", help="signs of danger"
    )
    p.add_argument("--age", type=int, metavar="N")
    p.add_argument("--gender", choices=["female", "male", "nonbinary"])
    p.add_argument("--language", metavar="L", help="language the person speaks (ISO 639)")
    p.add_argument("--legal-status", choices=["documented", "undocumented"])
    p.add_argument(
        "--avoid", nargs="+", default=[], choices=list(REQUIREMENTS), metavar="CONDITION",
        help=f"conditions the person will not accept ({', '.join(REQUIREMENTS)})",
    )  # fmt: skip
    p.add_argument("--day", choices=list(DAYS), help="day (default: today at the site)")
    p.add_argument("--hour", type=float, help="hour, 0-24 (default: the time now at the site)")
    p.add_argument("--grid", metavar="FILE", help="a danger grid of the site or network")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the text")
    p.set_defaults(func=run_orient)


def run_orient(args: argparse.Namespace) -> int:
    grid = load_grid(args.grid)
    source = display_path(args.grid) if args.grid else "data/orientation/grid.yaml"
    inventory = read_one(args.paths[0], user=args.user)
    card = _scenario(args.scenario, inventory, grid) if args.scenario else None
    if card is not None:
        profile, situation = scenario_question(card)
        from_clock: tuple[str, ...] = ()
    else:
        profile, from_clock = _profile(args, inventory)
        situation = Situation(args.incident, args.hours_since, tuple(dict.fromkeys(args.sign)))
    G = build_referral_graph(inventory)
    answer = orient(inventory, profile, situation, grid, grid_source=source, G=G)
    if args.json:
        data = answer.to_dict(args.lang)
        if card is not None:
            data["scenario"] = {"id": card.id, "story": card.story.in_lang(args.lang)}
        data["arrival"] = {"day": DAYS[profile.weekday], "hour": round(profile.hour, 2)}
        data["data_status"] = inventory.site.data_status
        dump(data)
    else:
        if card is not None:
            title, story = card.title.in_lang(args.lang), card.story.in_lang(args.lang)
            print(f"{title}{colon(args.lang)}{story}\n")
        _print(answer, inventory, profile, from_clock, args.lang)
    return 0


def _scenario(card_id: str, inventory: Inventory, grid: Grid) -> Scenario:
    """The site's scenario card `card_id`; InventoryError naming the cards there are."""
    cards = {c.id: c for c in load_scenarios(inventory, grid)}
    if card_id not in cards:
        known = ", ".join(cards) or "none"
        raise InventoryError(f"--scenario: '{card_id}' is not a card of this site ({known})")
    return cards[card_id]


def _profile(args: argparse.Namespace, inventory: Inventory) -> tuple[Profile, tuple[str, ...]]:
    """The person's profile from the options, checked; and which parts came from the clock."""
    check_ids(inventory, [args.entry] if args.entry else [], "--from")
    if args.language:
        try:
            check_language(args.language)
        except ValueError as e:
            langs = ", ".join(inventory.site.languages)
            raise InventoryError(f"--language: {e} (this site's languages: {langs})") from None
    if args.age is not None and not 0 <= args.age <= 120:
        raise InventoryError(f"--age: {args.age} is out of range (0-120)")
    return profile_of(args, inventory)


# --- text ---------------------------------------------------------------------------------------


def _print(
    answer: Orientation,
    inventory: Inventory,
    profile: Profile,
    from_clock: tuple[str, ...],
    lang: str,
) -> None:
    names = {s.id: s.name_in(lang) for s in inventory.services}
    site = inventory.site
    illustrative = site.data_status != "field-verified"
    when = t("route_arriving", lang, clock=format_time(profile.start_time, lang))
    if from_clock:
        when += " " + t("route_now_" + "_".join(from_clock), lang)
    start = names.get(answer.start or "", t("orient_no_start", lang))
    status = t("route_illustrative", lang) if illustrative else ""
    print(
        t("orient_header", lang, site=site.name, id=site.id, status=status, start=start, when=when)
    )
    if illustrative:
        print(t("illustrative_notice", lang))
    print(answer.grid.notice.in_lang(lang))
    print()
    print(t("orient_urgency", lang, level=t(LEVELS[answer.urgency], lang)))
    for r in answer.reasons:
        print(f"  - {r.text(lang)}")
    print()
    print(t("orient_actions_title", lang))
    for i, a in enumerate(answer.actions, 1):
        for line in action_lines(i, a, inventory, names, lang):
            print(line)
    print()
    print(t("orient_gaps_title", lang) if answer.gaps else t("orient_no_gaps", lang))
    for g in answer.gaps:
        print(f"  - [{t(f'sev_{g.severity}', lang)}] {g.text(lang)}")
    grid = answer.grid
    sources = "; ".join(s.title for s in grid.sources)
    print()
    print(t("orient_grid_line", lang, title=grid.title.in_lang(lang), file=answer.grid_source))
    print(t("orient_grid_sources", lang, sources=sources))
