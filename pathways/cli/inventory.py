"""`pathways validate` and `pathways show`: check inventories; one service's card."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pathways.cli._common import (
    LANGS,
    SOURCE_HELP,
    SOURCES_HELP,
    dump,
    read_all,
    read_one,
    reader_option,
)
from pathways.model.errors import InventoryError


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    p = sub.add_parser("validate", help="check inventories; one line per problem")
    p.add_argument("paths", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    reader_option(p)
    p.set_defaults(func=run_validate)

    p = sub.add_parser("show", help="the card of one service, as the app shows it")
    p.add_argument("paths", nargs=1, metavar="SOURCE", help=SOURCE_HELP)
    p.add_argument("service", metavar="SERVICE_ID")
    p.add_argument("--json", action="store_true", help="print one JSON object (with `version`)")
    p.add_argument("--lang", choices=LANGS, default="en")
    reader_option(p)
    p.set_defaults(func=run_show)


def run_validate(args: argparse.Namespace) -> int:
    """Every problem of every file at once; a database site was validated with the same rules
    when it was written (imported or changed), so reading it is checking it."""
    inventories = read_all(args)
    n_services = sum(len(i.services) for i in inventories)
    n_referrals = sum(len(i.referrals) for i in inventories)
    print(
        f"{len(inventories)} inventories valid: {n_services} services, {n_referrals} referrals",
        file=sys.stderr,
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pathways.public.card import service_card

    inventory = read_one(args.paths[0], user=args.user)
    try:
        card = service_card(inventory, args.service, args.lang)
    except KeyError as e:
        raise InventoryError(e.args[0]) from None
    if args.json:
        dump(card.to_dict())
    else:
        print(card.text())
    return 0
