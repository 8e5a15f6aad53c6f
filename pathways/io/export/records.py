"""Inventory records as plain data in the inventory file's own shape (the YAML keys).

Exports that carry a whole inventory (GeoJSON, HSDS extensions) and the importer's YAML writer
use these, so a value is written the way a person would write it in `data/sites/*.yaml` and
reads back to an equal record.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pathways.model.inventory import DAYS, Hours, Inventory, Point, Referral, Service, Site


def hours_value(hours: Hours) -> str | dict[str, str]:
    """`"24/7"`, `"unknown"` or a day -> ranges mapping that `parse_hours` reads back equal."""
    if not hours.known:
        return "unknown"
    if hours.is_24_7:
        return "24/7"
    out: dict[str, str] = {}
    for day, ranges in zip(DAYS, hours.week, strict=True):
        if ranges:  # a day left out is closed
            out[day] = ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in ranges)
    return out


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _plain(value: Any) -> Any:
    """Dates as ISO strings, tuples as lists, recursively."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def site_record(site: Site) -> dict[str, Any]:
    """The site block, without the defaults but always with its data status."""
    data = site.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    keys = list(data)
    data["data_status"] = site.data_status
    if "data_status" not in keys:
        keys.insert(min(len(keys), 5), "data_status")
    return _plain({k: data[k] for k in keys})


def relocated_site_record(inventory: Inventory, folder: Path) -> dict[str, Any]:
    """The site block with its boundary and areas paths made relative to another folder.

    Paths in an inventory are relative to its own file; a copy written elsewhere must still
    find the same boundary files.
    """
    record = site_record(inventory.site)
    site = inventory.site
    if site.boundary:
        record["boundary"] = _relative(inventory.resolve_path(site.boundary), folder)
    if site.areas:
        record["areas"]["path"] = _relative(inventory.resolve_path(site.areas.path), folder)
    return record


def _relative(target: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(target, folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return target.as_posix()


def point_record(point: Point) -> dict[str, Any]:
    """A location or intake point, without the empty address and area."""
    return point.model_dump(mode="json", exclude_none=True)


def service_record(service: Service) -> dict[str, Any]:
    """One service with its *true* location: only for files that stay inside the program.

    Exports that leave it use `pathways.io.export.public.public_record` instead.
    """
    data = service.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, exclude={"hours"}
    )  # JSON mode: dates as ISO texts, tuples as lists (no `_plain` walk: 3x faster)
    data["location"] = point_record(service.location)
    if service.intake is not None:
        data["intake"] = point_record(service.intake)
    if service.hours.known:
        data["hours"] = hours_value(service.hours)
    return {k: data[k] for k in _order(sorted(data, key=_SERVICE_KEYS.__getitem__))}


_SERVICE_KEYS = {f.alias or n: i for i, (n, f) in enumerate(Service.model_fields.items())}
"""The position of each key of a service record in the model (the file's order)."""


def _order(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    first = ["id", "name", "organisation", "description", "categories", "entry_point", "location"]
    return [k for k in first if k in keys] + [k for k in keys if k not in first]


def referral_record(referral: Referral) -> dict[str, Any]:
    """One referral route with `from`, `to` and `for` keys, without the defaults."""
    data = referral.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["from"], data["to"] = referral.source_id, referral.target_id
    keys = ["from", "to", "for", "mode", "consent", "delay_hours", "source", "last_tested", "notes"]
    return {k: data[k] for k in keys if k in data}


def inventory_record(inventory: Inventory) -> dict[str, Any]:
    """A whole inventory, true locations included: what `pathways import` writes as YAML."""
    return {
        "site": site_record(inventory.site),
        "services": [service_record(s) for s in inventory.services],
        "referrals": [referral_record(r) for r in inventory.referrals],
    }
