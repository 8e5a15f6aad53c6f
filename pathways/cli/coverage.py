"""Geography commands for `pathways` (registered through `pathways.cli.EXTENSIONS`).

`pathways coverage SOURCE... [--json]`: for each site and category, the share of the population
within 30, 60 and 120 minutes of the nearest service, with the population source each site
uses. Times and shares only: no service location is ever printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pathways.cli._common import SOURCES_HELP, read_all, reader_option
from pathways.i18n import colon as i18n_colon
from pathways.i18n import number, t
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY, category_label, is_category, suggest

if TYPE_CHECKING:
    from pathways.analysis.coverage import SiteCoverage


def register(sub: Any) -> None:
    """Add `coverage` to the `pathways` sub-commands."""
    p = sub.add_parser(
        "coverage",
        help="share of the population within 30/60/120 min of each kind of service",
    )
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON array (one object a site)")
    p.add_argument(
        "--category",
        action="append",
        metavar="CATEGORY",
        help="only these categories (repeatable); default: those offered and the minimum package",
    )
    p.add_argument(
        "--units", action="store_true", help="also list the minutes from every area or place"
    )
    p.add_argument(
        "--roads",
        type=Path,
        metavar="FILE.graphml",
        help="a road graph saved by OSMnx (GraphML): network travel times instead of straight "
        "lines x circuity",
    )
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.set_defaults(func=run_coverage)


def run_coverage(args: argparse.Namespace) -> int:
    """The `coverage` command; returns the exit code."""
    from pathways.analysis.coverage import site_coverage
    from pathways.analysis.travel import RoadNetwork

    for c in args.category or ():
        if not is_category(c):
            raise InventoryError(f"--category: '{c}' is not a category{suggest(c, TAXONOMY)}")
    inventories = read_all(args)
    roads = RoadNetwork.from_file(args.roads) if args.roads else None
    results, missing = [], []
    for inv in inventories:
        try:
            results.append(site_coverage(inv, categories=args.category, roads=roads))
        except InventoryError as e:  # one site without population data: report the others
            if len(inventories) == 1:
                raise
            missing.append(str(e))
    for message in missing:
        print(f"pathways: error: {message}", file=sys.stderr)
    if args.json:
        json.dump([r.to_dict() for r in results], sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 1 if missing else 0
    for r in results:
        _print_site(r, args.lang)
        for note in r.notes:
            print(f"  note: {note}")
        if args.units:
            cats = [c.category for c in r.categories]
            print(f"  minutes from each unit ({', '.join(cats)}):")
            for u in r.units:
                times = " ".join(
                    "-" if u.minutes[c] is None else f"{u.minutes[c]:.0f}" for c in cats
                )
                people = "" if u.population is None else f" ({u.population:,.0f})"
                print(f"    {u.name}{people}: {times}")
    return 1 if missing else 0


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _print_site(r: SiteCoverage, lang: str) -> None:
    """The head and the category table of one site. A count far below the site's known total
    prints ranges for the whole site, never the counted people's shares as the site's."""
    from pathways.analysis.coverage import THRESHOLDS_MIN
    from pathways.analysis.coverage import percent_text as _pct

    colon = i18n_colon(lang)
    print(f"{r.name} [{r.site}]{colon}{r.status_in(lang)}")
    print(f"  {t('cov_cli_population', lang)}{colon}{r.source_in(lang)}")
    total_source = r.total_source_in(lang)
    if total_source:
        print(f"  {t('cov_cli_total', lang)}{colon}{total_source}")
    print(f"  {t('cov_cli_counted_as', lang)}{colon}{r.population_method}")
    travel = r.travel.describe(lang, roads=bool(r.network))
    print(f"  {t('cov_cli_travel', lang)}{colon}{travel}")
    ranges = r.complete is False and r.population_total is not None
    if ranges:
        total = r.population_total or 0.0
        print(
            "  "
            + _capital(
                t(
                    "cov_ranges_note",
                    lang,
                    total=number(total, lang, 0),
                    counted=number(r.population, lang, 0),
                    uncounted=number(total - r.population, lang, 0),
                )
            )
        )
    width = 14 if ranges else 10
    head = "".join(f"{f'<={m} min':>{width}}" for m in THRESHOLDS_MIN)
    category, services = t("cov_cli_category", lang), t("cov_cli_services", lang)
    print(f"  {category:<44}{services:>8}{head}{t('cov_cli_median', lang):>9}")
    for c in r.categories:
        label = category_label(c.category, lang)[:43]
        cells = []
        for m in THRESHOLDS_MIN:
            low, high = r.share_bounds(c.category, m)
            text = (
                _pct(low, lang)
                if not ranges or low == high
                else (f"{_pct(low, lang)}–{_pct(high, lang)}")
            )
            cells.append(f"{text:>{width}}")
        if c.remote:
            median = t("cov_cli_phone", lang)
        elif ranges and c.services:
            median = "?"
        else:
            median = "-" if c.median_minutes is None else f"{c.median_minutes:.0f} min"
        print(f"  {label:<44}{c.services:>8}{''.join(cells)}{median:>9}")
