"""GeoJSON inventories (as `pathways export --format geojson` writes them) into YAML records.

The referral lines are drawings of the `referrals` member, so they are dropped; each service
feature's properties are its record and its point is its location. A hidden service (null
geometry) has no place to come back to, so it and its routes are left out, and reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pathways.errors import Problem, ValidationError, display_path
from pathways.imports import (
    Imported,
    ImportReport,
    Origin,
    SiteOptions,
    ordered,
    resolve_site_files,
    site_block,
)


def read_geojson(path: Path, site: SiteOptions) -> Imported:
    """Read a FeatureCollection of services (+ `site`, `referrals`) into inventory records."""
    name = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValidationError([Problem(name, 0, "", f"not a readable GeoJSON file: {e}")]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationError([Problem(name, 1, "", "not a GeoJSON FeatureCollection")])
    report = ImportReport(name)
    services: list[dict[str, Any]] = []
    origins: list[Origin] = []
    for i, feature in enumerate(data.get("features") or []):
        geometry = (feature or {}).get("geometry") or {}
        props = dict((feature or {}).get("properties") or {})
        if geometry.get("type") == "LineString" and props.get("feature") == "referral":
            continue
        if geometry.get("type") != "Point":
            report.left_out.append(f"feature {i} ({props.get('id', '?')}): no point to place it")
            continue
        lon, lat = geometry["coordinates"][:2]
        props["location"] = {"lat": lat, "lon": lon, **(props.get("location") or {})}
        services.append(ordered(props))
        origins.append(Origin(name, "features", i, {"location": "geometry"}))
    ids = {s.get("id") for s in services}
    referrals = []
    for r in data.get("referrals") or []:
        if isinstance(r, dict) and (r.get("from") not in ids or r.get("to") not in ids):
            report.left_out.append(
                f"referral {r.get('from')} -> {r.get('to')}: an end has no place"
            )
            continue
        referrals.append(r)
    found = dict(data.get("site") or {})
    resolve_site_files(found, path.resolve().parent, report)
    block = site_block(site, found=found, source=name, report=report)
    report.services, report.referrals = len(services), len(referrals)
    return Imported({"site": block, "services": services, "referrals": referrals}, report, origins)
