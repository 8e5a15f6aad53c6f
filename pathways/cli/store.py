"""`pathways edit | verify | suspend | resume | add | remove | history | propose | review |
accept | reject`: change an inventory through its store, with history and no lost update.

SOURCE is an inventory file (the YAML store) or a database URL with a site
(`postgresql://HOST/DB#SITE`, the shared store). `--as USER` is a staff identifier, never a
survivor's name. With a file it is not authentication (see the README's "Editing"); with a
database it is the PostgreSQL role the command acts as (`SET ROLE`, after connecting with the
URL's credentials), and the database decides what that role may read and change. Each applied
change prints one line per field, before and after; a confidential service's place is
"(withheld)".
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pathways.cli._common import date_arg, dump
from pathways.io.store import Change, Proposal, Store, is_database_source, open_store
from pathways.io.store.fields import field_spec, shown, value_at
from pathways.io.store.roundtrip import load_record
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import REFERRAL_MODES


def register(sub: Any) -> None:
    """Add the commands of this module to the command line's subparsers."""
    _register_changes(sub)
    _register_add_remove(sub)
    _register_history(sub)
    _register_review(sub)


SOURCE_HELP = "the inventory file (a YAML store), or a database URL postgresql://HOST/DB#SITE"


def _source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)


def _reader(p: argparse.ArgumentParser) -> None:
    """SOURCE and the optional `--as` of a reading command (history, review)."""
    _source(p)
    p.add_argument(
        "--as",
        dest="user",
        metavar="USER",
        help="with a database SOURCE: read as this user's role (default the URL's own login); "
        "with a file: accepted and ignored",
    )


def _common(p: argparse.ArgumentParser, *, service: bool = True) -> None:
    _source(p)
    if service:
        p.add_argument("service", metavar="SERVICE_ID")
    p.add_argument(
        "--as",
        dest="user",
        required=True,
        metavar="USER",
        help="who makes the change: a staff identifier (with a file, not authentication); "
        "with a database SOURCE, the role acted as: the database decides what it may change",
    )
    p.add_argument("--json", action="store_true", help="print the change as JSON")


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="changes",
        action="append",
        required=True,
        metavar="FIELD=VALUE",
        help="a field (dotted: hours.mon, contact.phone; lists as fr,ar; empty unsets)",
    )
    p.add_argument(
        "--base",
        required=True,
        metavar="VERSION",
        help="the version `pathways show SOURCE ID --json` printed (refused if it changed)",
    )


def _register_changes(sub: Any) -> None:
    p = sub.add_parser("edit", help="change fields of one service (with --base: no lost update)")
    _common(p)
    _set_option(p)
    p.set_defaults(func=run_edit)

    p = sub.add_parser("verify", help="record that a service was confirmed (last_verified)")
    _common(p)
    p.add_argument("--on", type=date_arg, help="the day it was confirmed (default today)")
    p.set_defaults(func=run_verify)

    p = sub.add_parser("suspend", help="close a service for a while: out of routes, in gaps")
    _common(p)
    p.add_argument("--until", type=date_arg, required=True, help="last day of the suspension")
    p.add_argument("--reason", required=True, help="why (about the service, never a survivor)")
    p.set_defaults(func=run_suspend)

    p = sub.add_parser("resume", help="end a service's suspension")
    _common(p)
    p.set_defaults(func=run_resume)


def _register_add_remove(sub: Any) -> None:
    p = sub.add_parser("add", help="add a service (--service FILE) or a referral route")
    _common(p, service=False)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--service", dest="record", metavar="FILE.yaml", help="one service")
    what.add_argument("--referral", nargs=2, metavar=("FROM", "TO"), help="a referral route")
    p.add_argument("--needs", nargs="+", default=[], metavar="CATEGORY", help="route's needs")
    p.add_argument("--mode", choices=REFERRAL_MODES, help="referral mode (default phone)")
    p.add_argument("--delay-hours", type=float, help="hours until the receiving service acts")
    p.set_defaults(func=run_add)

    p = sub.add_parser("remove", help="remove a service (SERVICE_ID --base) or a route")
    _common(p, service=False)
    p.add_argument("service", nargs="?", metavar="SERVICE_ID")
    p.add_argument("--base", metavar="VERSION", help="the service's version (with SERVICE_ID)")
    p.add_argument("--referral", nargs=2, metavar=("FROM", "TO"), help="a referral route")
    p.set_defaults(func=run_remove)


def _register_history(sub: Any) -> None:
    p = sub.add_parser("history", help="every applied change, oldest first")
    _reader(p)
    p.add_argument("service", nargs="?", metavar="SERVICE_ID", help="only this service")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.set_defaults(func=run_history)


def _register_review(sub: Any) -> None:
    p = sub.add_parser("propose", help="propose a change for a coordinator to review")
    _common(p)
    _set_option(p)
    p.set_defaults(func=run_propose)

    p = sub.add_parser("review", help="the proposed changes beside the current values")
    _reader(p)
    p.add_argument("--all", action="store_true", help="decided proposals too")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.set_defaults(func=run_review)

    for name, help_text in (("accept", "apply a proposal"), ("reject", "decline a proposal")):
        p = sub.add_parser(name, help=f"{help_text} (site.coordinators only, when listed)")
        _common(p, service=False)
        p.add_argument("proposal", metavar="PROPOSAL_ID")
        if name == "reject":
            p.add_argument("--note", help="why (shown to the proposer)")
        p.set_defaults(func=run_accept if name == "accept" else run_reject)


# --- running -------------------------------------------------------------------------------


def _pairs(items: Sequence[str]) -> dict[str, str]:
    """`FIELD=VALUE` options as a mapping (a field given twice: the last wins)."""
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InventoryError(f"--set {item!r}: write FIELD=VALUE (e.g. hours.mon=09:00-17:00)")
        out[key.strip()] = value
    return out


def _print_change(change: Change, as_json: bool) -> int:
    if as_json:
        dump(change.to_dict())
        return 0
    for line in change_lines(change):
        print(line)
    return 0


def change_lines(change: Change) -> list[str]:
    """One line per field of an applied change: `when user action service: field before → after`."""
    when = change.at.isoformat(timespec="seconds")
    what = change.service or ""
    if change.referral:
        what = f"{change.referral[0]} -> {change.referral[1]}"
    head = f"{when} {change.user} {change.action} {what}"
    tail = f" (version {change.version})" if change.version else ""
    reason = f" — {change.reason}" if change.reason else ""
    if not change.fields:
        return [head + reason + tail]
    return [
        f"{head}: {f.field}: {_value(f.before)} → {_value(f.after)}{reason}{tail}"
        for f in change.fields
    ]


def _value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@contextmanager
def opened(source: str, *, user: str | None) -> Iterator[Store]:
    """The store of SOURCE (a database one acting as `user`'s role), closed afterwards."""
    if not is_database_source(source) and not Path(source).is_file():
        raise InventoryError(f"{display_path(source)}: no such inventory file")
    store = open_store(source, user=user)
    try:
        yield store
    finally:
        store.close()


_Run = Callable[[argparse.Namespace, Store], int]


def _with_store(run: _Run) -> Callable[[argparse.Namespace], int]:
    """A command of the parsed arguments that runs `run` on the opened store of `args.source`."""

    @functools.wraps(run)
    def command(args: argparse.Namespace) -> int:
        with opened(args.source, user=args.user) as store:
            return run(args, store)

    return command


@_with_store
def run_edit(args: argparse.Namespace, store: Store) -> int:
    change = store.edit(args.service, _pairs(args.changes), user=args.user, base=args.base)
    return _print_change(change, args.json)


@_with_store
def run_verify(args: argparse.Namespace, store: Store) -> int:
    change = store.verify(args.service, user=args.user, on=args.on)
    return _print_change(change, args.json)


@_with_store
def run_suspend(args: argparse.Namespace, store: Store) -> int:
    change = store.suspend(args.service, user=args.user, until=args.until, reason=args.reason)
    return _print_change(change, args.json)


@_with_store
def run_resume(args: argparse.Namespace, store: Store) -> int:
    return _print_change(store.resume(args.service, user=args.user), args.json)


@_with_store
def run_add(args: argparse.Namespace, store: Store) -> int:
    if args.record:
        try:
            text = Path(args.record).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InventoryError(f"--service {args.record}: cannot read: {e}") from None
        change = store.add_service(load_record(text), user=args.user)
    else:
        route: dict[str, Any] = {"from": args.referral[0], "to": args.referral[1]}
        if args.needs:
            route["for"] = list(args.needs)
        if args.mode:
            route["mode"] = args.mode
        if args.delay_hours is not None:
            route["delay_hours"] = args.delay_hours
        change = store.add_referral(route, user=args.user)
    return _print_change(change, args.json)


@_with_store
def run_remove(args: argparse.Namespace, store: Store) -> int:
    if args.referral and not args.service:
        change = store.remove_referral(*args.referral, user=args.user)
    elif args.service and not args.referral:
        if not args.base:
            raise InventoryError("remove SERVICE_ID needs --base VERSION (pathways show --json)")
        change = store.remove_service(args.service, user=args.user, base=args.base)
    else:
        raise InventoryError("remove: give SERVICE_ID --base VERSION, or --referral FROM TO")
    return _print_change(change, args.json)


@_with_store
def run_history(args: argparse.Namespace, store: Store) -> int:
    changes = store.history(args.service)
    if args.service and not changes:
        store.version(args.service)  # an unknown id (never seen) is an error, with close matches
    if args.json:
        dump([c.to_dict() for c in changes])
        return 0
    if not changes:
        print("no changes recorded")
    for change in changes:
        for line in change_lines(change):
            print(line)
    return 0


@_with_store
def run_propose(args: argparse.Namespace, store: Store) -> int:
    proposal = store.propose(args.service, _pairs(args.changes), user=args.user, base=args.base)
    if args.json:
        dump(proposal.to_dict())
    else:
        print(f"{proposal.id}: proposed by {proposal.user} for {proposal.service} (pending review)")
    return 0


@_with_store
def run_review(args: argparse.Namespace, store: Store) -> int:
    proposals = store.proposals(None if args.all else "pending")
    if args.json:
        dump([_review_row(store, p) for p in proposals])
        return 0
    if not proposals:
        print("no proposals" if args.all else "no pending proposals")
    for p in proposals:
        print(_review_text(store, p))
    return 0


def _review_row(store: Store, p: Proposal) -> dict[str, Any]:
    """A proposal with the current value of each field it changes."""
    return {**p.to_dict(), "current": _current_values(store, p)}


def _current_values(store: Store, p: Proposal) -> dict[str, Any]:
    """The current value of each field a proposal changes (a place of a confidential service
    withheld; hours in words)."""
    record = store.inventory().by_id.get(p.service)
    if record is None:
        return {}
    data = record.model_dump(mode="json", exclude_none=True)
    data["hours"] = record.hours.osm or record.hours.describe()
    return {k: shown(value_at(data, field_spec(k).path), k, record.confidential) for k in p.changes}


def _review_text(store: Store, p: Proposal) -> str:
    when = p.at.isoformat(timespec="seconds")
    lines = [f"{p.id} [{p.status}] {p.service}, proposed by {p.user} at {when} (base {p.base})"]
    current = _current_values(store, p) if p.status == "pending" else {}
    for key, value in p.changes.items():
        now = f"{_value(current.get(key))} → " if p.status == "pending" else ""
        lines.append(f"  {key}: {now}{value or '(unset)'}")
    if p.decided_by:
        decided = p.decided_at.isoformat(timespec="seconds") if p.decided_at else ""
        note = f": {p.note}" if p.note else ""
        lines.append(f"  {p.status} by {p.decided_by} at {decided}{note}")
    return "\n".join(lines)


@_with_store
def run_accept(args: argparse.Namespace, store: Store) -> int:
    change = store.accept(args.proposal, user=args.user)
    return _print_change(change, args.json)


@_with_store
def run_reject(args: argparse.Namespace, store: Store) -> int:
    proposal = store.reject(args.proposal, user=args.user, note=args.note)
    if args.json:
        dump(proposal.to_dict())
    else:
        print(f"{proposal.id}: rejected by {proposal.decided_by}")
    return 0


__all__ = ["change_lines", "opened", "register"]
