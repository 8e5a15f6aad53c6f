"""`pathways diff`: what changed between two versions of a mapping."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pathways.cli._common import LANGS, date_arg
from pathways.io.versions import diff_paths


def register(sub: Any) -> None:
    """Add `pathways diff` to the command line's subparsers."""
    p = sub.add_parser(
        "diff", help="what changed between two versions of a mapping: services, routes, gaps"
    )
    p.add_argument("old", metavar="OLD", help="the earlier inventory (file or folder)")
    p.add_argument("new", metavar="NEW", help="the later inventory (file or folder)")
    p.add_argument("--json", action="store_true", help="print one JSON array (one object a site)")
    p.add_argument("--lang", choices=LANGS, default="en")
    p.add_argument("--as-of", type=date_arg, help="date the 'stale' gaps count from")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    diffs = diff_paths(args.old, args.new, as_of=args.as_of)
    if args.json:
        json.dump([d.to_dict() for d in diffs], sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print("\n".join(d.text(args.lang) for d in diffs))
    return 0
