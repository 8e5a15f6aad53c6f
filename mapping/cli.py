"""Geography commands for `pathways` (registered through `pathways.cli.EXTENSIONS`).

`pathways coverage PATH... [--json]`: for each site and category, the share of the population
within 30, 60 and 120 minutes of the nearest service, with the population source each site
uses. Times and shares only: no service location is ever printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pathways.errors import InventoryError
from pathways.inventory import TAXONOMY, category_label, is_category, suggest


def register(sub: Any) -> None:
    """Add `coverage` to the `pathways` sub-commands."""
    p = sub.add_parser(
        "coverage",
        help="share of the population within 30/60/120 min of each kind of service",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="inventory files or folders")
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
    from mapping.coverage import THRESHOLDS_MIN, site_coverage
    from mapping.travel import RoadNetwork
    from pathways.load import load_sites

    for c in args.category or ():
        if not is_category(c):
            raise InventoryError(f"--category: '{c}' is not a category{suggest(c, TAXONOMY)}")
    inventories = load_sites(args.paths)
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
        t = r.travel
        how = "road network" if r.network else f"straight line x {t.circuity:g}"
        print(f"{r.name} [{r.site}]: {r.population:,.0f} people")
        print(f"  population: {r.population_source}")
        print(f"  counted as: {r.population_method}")
        print(f"  travel: {t.mode}, {t.speed_kmh:g} km/h, {how}")
        head = "".join(f"{f'<={m} min':>10}" for m in THRESHOLDS_MIN)
        print(f"  {'category':<44}{'services':>8}{head}{'median':>9}")
        for c in r.categories:
            label = category_label(c.category, args.lang)[:43]
            shares = "".join(f"{c.within[m]:>10.0%}" for m in THRESHOLDS_MIN)
            median = (
                "phone"
                if c.remote
                else ("-" if c.median_minutes is None else f"{c.median_minutes:.0f} min")
            )
            print(f"  {label:<44}{c.services:>8}{shares}{median:>9}")
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
