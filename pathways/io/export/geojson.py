"""GeoJSON (RFC 7946): services as points, referral routes as lines, for GIS and web maps.

The file is also an inventory: each service feature's properties are its inventory record (the
location's coordinates move into the geometry), and the `site` and `referrals` foreign members
carry the rest. Without the lines (`lines=False`), `pathways.io.load.load_site` reads it back.

Privacy: a service is drawn at its public place; a hidden one is a feature with a null geometry
(RFC 7946 §3.2: listed, not located), and no line touches it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions, one_site
from pathways.io.export.public import PublicService, public_record, public_services
from pathways.io.export.records import referral_record, relocated_site_record, site_record
from pathways.model.inventory import Inventory

COORD_DECIMALS = 6
"""RFC 7946 §11.2: six decimals (about 10 cm) are plenty."""


def _point(ps: PublicService) -> dict[str, Any] | None:
    if ps.place is None:
        return None
    lon, lat = round(ps.place.lon, COORD_DECIMALS), round(ps.place.lat, COORD_DECIMALS)
    return {"type": "Point", "coordinates": [lon, lat]}


def service_feature(ps: PublicService) -> dict[str, Any]:
    """A service as a Feature: geometry at its public place, properties its public record."""
    props = public_record(ps)
    location = props.pop("location", None) or {}
    location.pop("lat", None)
    location.pop("lon", None)
    if location:
        props["location"] = location
    return {"type": "Feature", "id": ps.service.id, "geometry": _point(ps), "properties": props}


def to_geojson(
    inventory: Inventory, *, lines: bool = True, folder: Path | None = None
) -> dict[str, Any]:
    """One site as a FeatureCollection with `site` and `referrals` members.

    `folder` is where the file will live, so the site's boundary paths still resolve.
    """
    public = public_services(inventory)
    features = [service_feature(ps) for ps in public]
    if lines:
        by_id = {ps.service.id: ps for ps in public}
        for r in inventory.referrals:
            a, b = _point(by_id[r.source_id]), _point(by_id[r.target_id])
            if a is None or b is None:  # a hidden service is never placed, not even as an end
                continue
            props = {"feature": "referral", **referral_record(r), "delay_hours": r.delay}
            geometry = {"type": "LineString", "coordinates": [a["coordinates"], b["coordinates"]]}
            features.append(
                {
                    "type": "Feature",
                    "id": f"{r.source_id}->{r.target_id}",
                    "geometry": geometry,
                    "properties": props,
                }
            )
    return {
        "type": "FeatureCollection",
        "site": relocated_site_record(inventory, folder) if folder else site_record(inventory.site),
        "referrals": [referral_record(r) for r in inventory.referrals],
        "features": features,
    }


def write_geojson(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write one site's GeoJSON (UTF-8, RFC 7946)."""
    inventory = one_site(inventories, "geojson")
    folder = Path(path).parent if options.relocate else None
    data = to_geojson(inventory, lines=options.lines, folder=folder)
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        # streamed to the file: one joined string of a national inventory held 4 GB at once
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
