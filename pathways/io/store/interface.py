"""The stores' one interface: the records of a change, a proposal, a conflict, and `Store`.

See `pathways.io.store` for what every store guarantees; `YamlStore` (`yaml_store`) is the
first implementation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from pathways.model.public import PublicInventory

Action = Literal[
    "edit",
    "verify",
    "suspend",
    "resume",
    "add",
    "remove",
    "add_referral",
    "remove_referral",
]


@dataclass(frozen=True)
class FieldChange:
    """One field of a change: its dotted path (`hours.mon`), the value before and after."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """One applied change, as the history keeps it (oldest first)."""

    at: dt.datetime
    user: str
    action: Action
    service: str | None
    fields: tuple[FieldChange, ...] = ()
    reason: str | None = None
    version: str | None = None
    """The service's version after the change (None when it was removed)."""
    referral: tuple[str, str] | None = None
    """The route (from, to) an `add_referral` / `remove_referral` is about."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what `pathways history --json` prints, one line of the history file)."""
        out: dict[str, Any] = {
            "at": self.at.isoformat(timespec="seconds"),
            "user": self.user,
            "action": self.action,
            "service": self.service,
            "fields": [
                {"field": f.field, "before": f.before, "after": f.after} for f in self.fields
            ],
            "reason": self.reason,
            "version": self.version,
        }
        if self.referral is not None:
            out["referral"] = list(self.referral)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        """The change a `to_dict` wrote."""
        route = data.get("referral")
        return cls(
            at=dt.datetime.fromisoformat(data["at"]),
            user=data["user"],
            action=data["action"],
            service=data.get("service"),
            fields=tuple(
                FieldChange(f["field"], f.get("before"), f.get("after"))
                for f in data.get("fields") or ()
            ),
            reason=data.get("reason"),
            version=data.get("version"),
            referral=(route[0], route[1]) if route else None,
        )

    def touches(self, service_id: str) -> bool:
        """Is this change about the service (itself, or a route from or to it)?"""
        return self.service == service_id or service_id in (self.referral or ())


@dataclass(frozen=True)
class Proposal:
    """A change a field worker proposed: it does not apply until a coordinator accepts it."""

    id: str
    at: dt.datetime
    user: str
    service: str
    changes: Mapping[str, str]
    base: str
    status: Literal["pending", "accepted", "rejected"] = "pending"
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what `pathways review --json` prints)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds"),
            "user": self.user,
            "service": self.service,
            "changes": dict(self.changes),
            "base": self.base,
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(timespec="seconds")
            if self.decided_at
            else None,
            "note": self.note,
        }


class Conflict(InventoryError):
    """The service changed since the version the user read: who changed it and when."""

    def __init__(self, service: str, base: str, current: str, by: Change | None) -> None:
        self.service, self.base, self.current, self.by = service, base, current, by
        who = f" by {by.user} at {by.at.isoformat(timespec='seconds')}" if by else ""
        super().__init__(
            f"{service}: changed since version {base}{who}; now {current}: "
            "read it again (pathways show) and reapply your change"
        )


class Store(Protocol):
    """What every store offers. Service ids and versions are those `pathways show` prints."""

    source: str

    def close(self) -> None:
        """Let go of what the store holds open (a database connection)."""
        ...

    def inventory(self) -> Inventory:
        """The whole validated inventory, true locations included (coordinators only)."""
        ...

    def public(self) -> PublicInventory:
        """The public view: what everyone else reads."""
        ...

    def version(self, service_id: str) -> str:
        """The service's current version (`pathways show ... --json`'s `version`)."""
        ...

    def edit(self, service_id: str, changes: Mapping[str, str], *, user: str, base: str) -> Change:
        """Set fields (`{"hours.mon": "09:00-17:00", "languages": "fr,ar"}`) of one service."""
        ...

    def verify(self, service_id: str, *, user: str, on: dt.date | None = None) -> Change:
        """Record that the service was confirmed (`last_verified`): clears its stale gap."""
        ...

    def suspend(self, service_id: str, *, user: str, until: dt.date, reason: str) -> Change:
        """Close a service for a while: it drops out of routes and shows as suspended."""
        ...

    def resume(self, service_id: str, *, user: str) -> Change:
        """End a suspension."""
        ...

    def add_service(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a service (a record as the inventory format writes it)."""
        ...

    def remove_service(self, service_id: str, *, user: str, base: str) -> Change:
        """Remove a service (refused while referral routes still use it)."""
        ...

    def add_referral(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a referral route (`{"from": ..., "to": ..., "needs": [...], ...}`)."""
        ...

    def remove_referral(self, source: str, target: str, *, user: str) -> Change:
        """Remove the referral route from `source` to `target`."""
        ...

    def within(self, lat: float, lon: float, metres: float) -> list[tuple[str, float]]:
        """The services whose public place is within `metres` of (lat, lon), nearest first,
        with their distance in metres on the WGS84 ellipsoid."""
        ...

    def history(self, service_id: str | None = None) -> Sequence[Change]:
        """Every applied change, oldest first (of one service, or of all)."""
        ...

    def propose(
        self, service_id: str, changes: Mapping[str, str], *, user: str, base: str
    ) -> Proposal:
        """Queue a change for review (validated now, applied only when accepted)."""
        ...

    def proposals(self, status: str | None = "pending") -> Sequence[Proposal]:
        """The review queue (pending proposals by default), oldest first."""
        ...

    def accept(self, proposal_id: str, *, user: str) -> Change:
        """Apply a proposal (a coordinator's decision); refused if the service changed since."""
        ...

    def reject(self, proposal_id: str, *, user: str, note: str | None = None) -> Proposal:
        """Decline a proposal."""
        ...
