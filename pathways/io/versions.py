"""Two versions of a mapping compared: services and routes added, removed and changed, and the
gaps that appeared or closed (`pathways diff OLD NEW`).

A confidential service's location is never printed: a diff only says that it changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathways.analysis.gaps import GapDiff, diff_gaps, find_gaps
from pathways.io.load import load_sites
from pathways.model import clock
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory, Referral, Service

WITHHELD = "(withheld: confidential location)"
_PRIVATE_FIELDS = ("location", "intake")


@dataclass(frozen=True)
class Change:
    """One record that changed: its key, and field -> (old, new) for each changed field."""

    key: str
    name: str
    fields: dict[str, tuple[Any, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "name": self.name,
            "fields": {k: {"old": a, "new": b} for k, (a, b) in self.fields.items()},
        }


@dataclass(frozen=True)
class SiteDiff:
    """What changed at one site between two versions."""

    site: str
    name: str
    site_fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    services_added: tuple[str, ...] = ()
    services_removed: tuple[str, ...] = ()
    services_changed: tuple[Change, ...] = ()
    routes_added: tuple[str, ...] = ()
    routes_removed: tuple[str, ...] = ()
    routes_changed: tuple[Change, ...] = ()
    gaps: GapDiff | None = None

    @property
    def unchanged(self) -> bool:
        nothing = not (
            self.site_fields
            or self.services_added
            or self.services_removed
            or self.services_changed
            or self.routes_added
            or self.routes_removed
            or self.routes_changed
        )
        return nothing and not (self.gaps and (self.gaps.appeared or self.gaps.disappeared))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: lists of ids and changes, and the gaps with `change` new | gone."""
        gaps = self.gaps
        return {
            "site": self.site,
            "name": self.name,
            "site_fields": {k: {"old": a, "new": b} for k, (a, b) in self.site_fields.items()},
            "services": {
                "added": list(self.services_added),
                "removed": list(self.services_removed),
                "changed": [c.to_dict() for c in self.services_changed],
            },
            "routes": {
                "added": list(self.routes_added),
                "removed": list(self.routes_removed),
                "changed": [c.to_dict() for c in self.routes_changed],
            },
            "gaps": {
                "appeared": [g.to_dict() for g in gaps.appeared] if gaps else [],
                "closed": [g.to_dict() for g in gaps.disappeared] if gaps else [],
            },
        }

    def text(self, lang: str = "en") -> str:
        """A readable account, one line per change."""
        lines = [f"{self.name} [{self.site}]" + (": no change" if self.unchanged else "")]
        for k, (a, b) in self.site_fields.items():
            lines.append(f"  ~ site.{k}: {_show(a)} -> {_show(b)}")
        lines += [f"  + service {s}" for s in self.services_added]
        lines += [f"  - service {s}" for s in self.services_removed]
        for c in self.services_changed:
            lines.append(
                f"  ~ service {c.key}: " + "; ".join(_field_text(k, v) for k, v in c.fields.items())
            )
        lines += [f"  + route {r}" for r in self.routes_added]
        lines += [f"  - route {r}" for r in self.routes_removed]
        for c in self.routes_changed:
            lines.append(
                f"  ~ route {c.key}: " + "; ".join(_field_text(k, v) for k, v in c.fields.items())
            )
        if self.gaps:
            lines += [f"  + gap {g.severity} {g.kind}: {g.text(lang)}" for g in self.gaps.appeared]
            lines += [
                f"  - gap {g.severity} {g.kind} (closed): {g.text(lang)}"
                for g in self.gaps.disappeared
            ]
        return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return "-" if value is None else str(value)


def _field_text(name: str, change: tuple[Any, Any]) -> str:
    a, b = change
    if a == WITHHELD:
        return f"{name} changed {WITHHELD}"
    return f"{name} {_show(a)} -> {_show(b)}"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(record: Service | Referral) -> dict[str, Any]:
    data = record.model_dump(mode="python", by_alias=True)
    if isinstance(record, Service):
        data["hours"] = record.hours.describe()
    return {k: _plain(v) for k, v in data.items()}


def _changed(old: Service | Referral, new: Service | Referral) -> dict[str, tuple[Any, Any]]:
    a, b = _fields(old), _fields(new)
    out = {}
    for key in a:
        if a[key] != b.get(key):
            private = key in _PRIVATE_FIELDS and (
                getattr(old, "confidential", False) or getattr(new, "confidential", False)
            )
            out[key] = (WITHHELD, WITHHELD) if private else (a[key], b.get(key))
    return out


def _route_key(r: Referral) -> str:
    return f"{r.source_id} -> {r.target_id}"


def diff_inventories(old: Inventory, new: Inventory, *, as_of: dt.date | None = None) -> SiteDiff:
    """What changed from `old` to `new` (two versions of one site's mapping)."""
    olds, news = old.by_id, new.by_id
    changes = [
        Change(sid, news[sid].name, ch)
        for sid in olds
        if sid in news and (ch := _changed(olds[sid], news[sid]))
    ]
    old_routes = {_route_key(r): r for r in old.referrals}
    new_routes = {_route_key(r): r for r in new.referrals}
    route_changes = [
        Change(k, k, ch)
        for k in old_routes
        if k in new_routes and (ch := _changed(old_routes[k], new_routes[k]))
    ]
    a, b = old.site.model_dump(mode="python"), new.site.model_dump(mode="python")
    site_fields = {k: (_plain(a[k]), _plain(b[k])) for k in a if a[k] != b[k]}
    as_of = as_of or clock.today()
    return SiteDiff(
        site=new.site.id,
        name=new.site.name,
        site_fields=site_fields,
        services_added=tuple(s for s in news if s not in olds),
        services_removed=tuple(s for s in olds if s not in news),
        services_changed=tuple(changes),
        routes_added=tuple(k for k in new_routes if k not in old_routes),
        routes_removed=tuple(k for k in old_routes if k not in new_routes),
        routes_changed=tuple(route_changes),
        gaps=diff_gaps(find_gaps(old, as_of=as_of), find_gaps(new, as_of=as_of)),
    )


def diff_paths(old: str | Path, new: str | Path, *, as_of: dt.date | None = None) -> list[SiteDiff]:
    """Compare two files (or two folders, site by site: sites are paired by id)."""
    olds = {inv.site.id: inv for inv in load_sites([old])}
    news = {inv.site.id: inv for inv in load_sites([new])}
    if len(olds) == 1 and len(news) == 1:
        return [diff_inventories(next(iter(olds.values())), next(iter(news.values())), as_of=as_of)]
    only = sorted(set(olds) ^ set(news))
    if only:
        raise InventoryError(
            f"sites only on one side: {', '.join(only)}; compare the common ones file by file"
        )
    return [diff_inventories(olds[s], news[s], as_of=as_of) for s in sorted(olds)]
