"""`pathways gaps`: referral gaps, and what-if (`--close`, `--scenario`, no interpretation)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from pathways.analysis.gaps import (
    FINDERS,
    Gap,
    GapDiff,
    find_gaps,
    policy_lines,
    scenario_services,
    what_if,
)
from pathways.analysis.travel import travel_model
from pathways.cli._common import LANGS, SOURCES_HELP, date_arg, dump, read_all, reader_option
from pathways.i18n import colon, t
from pathways.model.errors import InventoryError
from pathways.model.inventory import (
    Inventory,
    suggest,
)


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser("gaps", help="referral gaps, grouped by site")
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the sentences")
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
    p.add_argument("--as-of", type=date_arg, help="date the 'stale' gaps count from (YYYY-MM-DD)")
    p.add_argument(
        "--brief", action="store_true", help="one line per gap, without what to do and who"
    )
    p.set_defaults(func=run_gaps)


def run_gaps(args: argparse.Namespace) -> int:
    inventories = read_all(args)
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
        if not args.brief:
            travel = travel_model(inv).describe(args.lang)
            print(f"  {t('cov_cli_travel', args.lang)}{colon(args.lang)}{travel}")
        for g in gaps:
            _print_gap(g, args)
        for line in policy_lines(inv, args.lang):
            print(f"  {t('site_policy', args.lang)}{colon(args.lang)}{line}")
    return 0


def _check_closed(inventories: Sequence[Inventory], closed: list[str]) -> None:
    known = {s.id for inv in inventories for s in inv.services}
    unknown = [c for c in closed if c not in known]
    if unknown:
        raise InventoryError(
            "; ".join(f"--close: '{c}' is not a service id{suggest(c, known)}" for c in unknown)
        )


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
        dump([g for _, d in diffs for g in d.to_list()])
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
