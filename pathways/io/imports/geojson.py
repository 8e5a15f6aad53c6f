"""GeoJSON inventories (as `pathways export --format geojson` writes them) into YAML records.

The referral lines are drawings of the `referrals` member, so they are dropped; each service
feature's properties are its record and its point is its location. A hidden service (null
geometry) has no place to come back to, so it and its routes are left out, and reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pathways.io.imports.limits import check_size
from pathways.io.imports.records import Imported, ImportReport, Origin, SiteOptions, ordered
from pathways.io.imports.site import resolve_site_files, site_block
from pathways.model.errors import Problem, ValidationError, display_path


def read_geojson(path: Path, site: SiteOptions) -> Imported:
    """Read a FeatureCollection of services (+ `site`, `referrals`) into inventory records."""
    name = display_path(path)
    check_size(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValidationError([Problem(name, 0, "", f"not a readable GeoJSON file: {e}")]) from None
    except RecursionError:
        raise ValidationError([Problem(name, 1, "", "arrays nested too deeply")]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationError([Problem(name, 1, "", "not a GeoJSON FeatureCollection")])
    report = ImportReport(name)
    services: list[dict[str, Any]] = []
    origins: list[Origin] = []
    features = data.get("features")
    for i, feature in enumerate(features if isinstance(features, list) else []):
        feature = feature if isinstance(feature, dict) else {}
        given = feature.get("geometry")
        geometry: dict[str, Any] = given if isinstance(given, dict) else {}
        given = feature.get("properties")
        props: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
        if geometry.get("type") == "LineString" and props.get("feature") == "referral":
            continue
        coords = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            report.left_out.append(f"feature {i} ({props.get('id', '?')}): no point to place it")
            continue
        lon, lat = coords[:2]
        location = props.get("location")
        props["location"] = {
            "lat": lat,
            "lon": lon,
            **(location if isinstance(location, dict) else {}),
        }
        services.append(ordered(props))
        origins.append(Origin(name, "features", i, {"location": "geometry"}))
    ids = {sid for s in services if isinstance(sid := s.get("id"), str)}
    referrals = []
    listed = data.get("referrals")
    for r in listed if isinstance(listed, list) else []:
        if isinstance(r, dict) and not (_known(r.get("from"), ids) and _known(r.get("to"), ids)):
            report.left_out.append(
                f"referral {r.get('from')} -> {r.get('to')}: an end has no place"
            )
            continue
        referrals.append(r)
    found = dict(data["site"]) if isinstance(data.get("site"), dict) else {}
    resolve_site_files(found, path.resolve().parent, report)
    block = site_block(site, found=found, source=name, report=report)
    report.services, report.referrals = len(services), len(referrals)
    return Imported({"site": block, "services": services, "referrals": referrals}, report, origins)


def _known(value: Any, ids: set[Any]) -> bool:
    """True if `value` is one of the imported services' ids (any type may come in)."""
    try:
        return value in ids
    except TypeError:  # a list or an object is not an id
        return False
