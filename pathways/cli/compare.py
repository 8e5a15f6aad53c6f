"""`pathways compare`: sites side by side (category matrix and headline figures)."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from pathways.cli._common import SOURCES_HELP, dump, read_all, reader_option


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser("compare", help="sites side by side: category matrix and headline figures")
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from pathways.analysis.compare import compare_sites, matrix_rows

    summaries = compare_sites(read_all(args))
    if args.json:
        dump([s.to_dict() for s in summaries])
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
