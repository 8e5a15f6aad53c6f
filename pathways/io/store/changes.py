"""What a change is, whichever store makes it: the checks of user, fields, base and routes,
the version of a service, and the history's and the review queue's records.

The YAML store and the database store both apply changes through these, so that they refuse,
version and record a change alike (the conformance suite, `tests/test_store_conformance.py`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pathways.io.store.fields import FieldSpec, field_spec, parse_value, shown, value_at
from pathways.io.store.interface import Change, FieldChange, Proposal
from pathways.io.store.roundtrip import set_path
from pathways.model import clock
from pathways.model.errors import InventoryError
from pathways.model.inventory import STAFF_ID_PATTERN, Inventory, Service, suggest
from pathways.public.card import record_version
from pathways.public.privacy import public_view, reference_point

_USER = re.compile(STAFF_ID_PATTERN)


def field_changes(
    before: Any, after: Any, paths: Sequence[tuple[str, ...]]
) -> tuple[FieldChange, ...]:
    """The history's fields of a change of `paths` from record `before` to `after` (a
    confidential service's place written as withheld)."""
    secret = is_secret(before) or is_secret(after)
    return tuple(
        FieldChange(
            ".".join(p),
            shown(value_at(before, p), p, secret),
            shown(value_at(after, p), p, secret),
        )
        for p in paths
    )


def service_of(inventory: Inventory, service_id: str) -> Service:
    """The service, or InventoryError naming the close ids."""
    try:
        return inventory.service(service_id)
    except KeyError as e:
        raise InventoryError(e.args[0]) from None


def check_user(user: str) -> None:
    if not isinstance(user, str) or not _USER.fullmatch(user):
        raise InventoryError(
            f"user {user!r} is not a staff identifier (letters, digits and . _ @ -, at most "
            "64; never a survivor's name)"
        )


def parsed_changes(changes: Mapping[str, str]) -> list[tuple[FieldSpec, Any]]:
    if not changes:
        raise InventoryError("nothing to change: give FIELD=VALUE")
    return [(spec, parse_value(spec, v)) for k, v in changes.items() for spec in (field_spec(k),)]


def public_service(inventory: Inventory, s: Service) -> Service:
    """The service's public record, as `public_view(inventory)` holds it, without making the
    public view of every other service (an area's point depends on the service alone; a hidden
    one stands at the site's reference point)."""
    if not s.confidential:
        return s
    if s.tier == "hidden":
        return s.model_copy(update={"location": reference_point(inventory)})
    alone = Inventory.model_construct(
        site=inventory.site, services=(s,), referrals=(), path=inventory.path
    )
    return public_view(alone).services[0]


def service_version(inventory: Inventory, s: Service) -> str:
    """`record_version` of the service's public record (as `pathways show` computes it)."""
    return record_version(public_service(inventory, s))


def setting(specs: Sequence[tuple[FieldSpec, Any]]) -> Callable[[Any], None]:
    """The change that sets each parsed `FIELD=VALUE` on a record (`set_path`)."""

    def change(record: Any) -> None:
        for spec, value in specs:
            set_path(record, spec.path, value)

    return change


def pending_proposal(found: Mapping[str, Proposal], proposal_id: str, where: str) -> Proposal:
    """The proposal to decide, refused when unknown or already decided."""
    proposal = found.get(proposal_id)
    if proposal is None:
        raise InventoryError(
            f"'{proposal_id}' is not a proposal{where}{suggest(proposal_id, found)}"
        )
    if proposal.status != "pending":
        raise InventoryError(f"{proposal_id} was already {proposal.status}")
    return proposal


def check_unused(inventory: Inventory, service_id: str) -> None:
    """Refuse to remove a service that referral routes still use."""
    check_no_routes(
        service_id,
        [
            (r.source_id, r.target_id)
            for r in inventory.referrals
            if service_id in (r.source_id, r.target_id)
        ],
    )


def check_no_routes(service_id: str, routes: Sequence[tuple[str, str]]) -> None:
    """Refuse to remove a service while these routes (from, to) use it, naming them."""
    if routes:
        shown_routes = [f"{a} -> {b}" for a, b in routes]
        more = f" and {len(routes) - 6} more" if len(routes) > 6 else ""
        raise InventoryError(
            f"remove: {service_id} is still used by {len(routes)} referral route(s): "
            f"{', '.join(shown_routes[:6])}{more}; remove them first "
            "(pathways remove SOURCE --referral FROM TO)"
        )


def verified_on(on: dt.date | None) -> dt.date:
    """The day a service is confirmed (`verify --on`, default today), never in the future."""
    day = on or clock.today()
    if day > clock.today():
        raise InventoryError(f"verify: {day.isoformat()} is in the future")
    return day


def suspension_reason(until: dt.date, reason: str) -> str:
    """The reason of a suspension until `until`, once both are checked."""
    if until < clock.today():
        raise InventoryError(f"suspend: --until {until.isoformat()} is already past")
    if not reason.strip():
        raise InventoryError("suspend: give a reason (about the service, never a survivor)")
    return reason.strip()


def referral_index(inventory: Inventory, source: str, target: str) -> int:
    for j, r in enumerate(inventory.referrals):
        if (r.source_id, r.target_id) == (source, target):
            return j
    raise InventoryError(f"there is no referral route from {source} to {target}")


def is_secret(record: Any) -> bool:
    return isinstance(record, Mapping) and record.get("confidential") is True


def record_items(record: Any) -> list[tuple[str, Any]]:
    return list(record.items()) if isinstance(record, Mapping) else []


def new_change(
    action: Any,
    user: str,
    service: str | None,
    fields: tuple[FieldChange, ...],
    version: str | None,
    *,
    reason: str | None = None,
    referral: tuple[str, str] | None = None,
) -> Change:
    return Change(
        at=clock.now(),
        user=user,
        action=action,
        service=service,
        fields=fields,
        reason=reason,
        version=version,
        referral=referral,
    )


def fold_proposals(events: Sequence[Mapping[str, Any]]) -> dict[str, Proposal]:
    """The proposals of the queue's events, each with its latest status, oldest first."""
    found: dict[str, Proposal] = {}
    for e in events:
        pid = str(e.get("id"))
        if e.get("event") == "proposed":
            found[pid] = Proposal(
                id=pid,
                at=dt.datetime.fromisoformat(e["at"]),
                user=e["user"],
                service=e["service"],
                changes=dict(e.get("changes") or {}),
                base=e["base"],
            )
        elif pid in found and e.get("event") in ("accepted", "rejected"):
            at = dt.datetime.fromisoformat(e["at"])
            found[pid] = decided(found[pid], e["event"], e.get("user"), at, e.get("note"))
    return found


def decided(
    proposal: Proposal, status: Any, user: str | None, at: dt.datetime, note: str | None
) -> Proposal:
    return Proposal(
        id=proposal.id,
        at=proposal.at,
        user=proposal.user,
        service=proposal.service,
        changes=proposal.changes,
        base=proposal.base,
        status=status,
        decided_by=user,
        decided_at=at,
        note=note,
    )


__all__ = [
    "check_no_routes",
    "check_unused",
    "check_user",
    "decided",
    "field_changes",
    "fold_proposals",
    "is_secret",
    "new_change",
    "parsed_changes",
    "pending_proposal",
    "public_service",
    "record_items",
    "referral_index",
    "service_of",
    "service_version",
    "setting",
    "suspension_reason",
    "verified_on",
]
