"""GeoPackage for QGIS: layers `services`, `referrals`, `boundaries` and `gaps` (EPSG:4326).

Services sit at their public places (a hidden one has no geometry); a referral is a line
between the public places of its ends (none when an end is hidden); a gap is a multipoint of
the public places of the services it involves. Lists are comma-separated text so every column
is a plain field QGIS can filter on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pathways.analysis.gaps import find_gaps
from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions
from pathways.io.export.public import PublicService, join, public_services, service_row
from pathways.model.inventory import Inventory

if TYPE_CHECKING:
    import geopandas as gpd

CRS = "EPSG:4326"
LAYERS = ("services", "referrals", "boundaries", "gaps")


def _gdf(rows: list[dict[str, Any]], geoms: list[Any], columns: Sequence[str]) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(columns))
    for col in df.columns:  # whole-number columns with gaps stay integers, not floats
        if col in ("age_min", "age_max"):
            df[col] = df[col].astype("Int64")
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def services_layer(inventories: Sequence[Inventory], *, lang: str = "en") -> gpd.GeoDataFrame:
    """One row per service, at its public place."""
    import shapely

    rows, geoms = [], []
    for inv in inventories:
        for ps in public_services(inv):
            row = service_row(ps, inv, lang=lang)
            rows.append({k: v for k, v in row.items() if k not in ("lat", "lon")})
            geoms.append(None if ps.place is None else shapely.Point(ps.place.lon, ps.place.lat))
    columns = list(rows[0]) if rows else ["site", "id", "name"]
    return _gdf(rows, geoms, columns)


def referrals_layer(inventories: Sequence[Inventory]) -> gpd.GeoDataFrame:
    """One row per referral route, a line between the public places of its ends."""
    import shapely

    columns = [
        "site",
        "from",
        "to",
        "from_name",
        "to_name",
        "for",
        "mode",
        "consent",
        "delay_hours",
        "source",
        "last_tested",
        "notes",
    ]
    rows, geoms = [], []
    for inv in inventories:
        by_id: dict[str, PublicService] = {ps.service.id: ps for ps in public_services(inv)}
        for r in inv.referrals:
            a, b = by_id[r.source_id].place, by_id[r.target_id].place
            rows.append(
                {
                    "site": inv.site.id,
                    "from": r.source_id,
                    "to": r.target_id,
                    "from_name": inv.by_id[r.source_id].name,
                    "to_name": inv.by_id[r.target_id].name,
                    "for": join(inv.referral_targets(r)),
                    "mode": r.mode,
                    "consent": r.consent,
                    "delay_hours": r.delay,
                    "source": r.source,
                    "last_tested": r.last_tested.isoformat() if r.last_tested else None,
                    "notes": r.notes,
                }
            )
            line = (
                None
                if a is None or b is None
                else shapely.LineString([(a.lon, a.lat), (b.lon, b.lat)])
            )
            geoms.append(line)
    return _gdf(rows, geoms, columns)


def boundaries_layer(inventories: Sequence[Inventory]) -> gpd.GeoDataFrame:
    """Each site's boundary and admin areas (the files its inventory names), as multipolygons."""
    import geopandas as gpd
    import pandas as pd

    frames = []
    for inv in inventories:
        sources: list[tuple[str, Path, str | None]] = []
        if inv.site.boundary:
            sources.append(("boundary", inv.resolve_path(inv.site.boundary), None))
        if inv.site.areas:
            areas = inv.site.areas
            sources.append(("area", inv.resolve_path(areas.path), areas.name_field))
        for kind, path, name_field in sources:
            gdf = gpd.read_file(path).to_crs(CRS)
            n = len(gdf)
            names = (
                gdf[name_field].astype(str).tolist()
                if name_field and name_field in gdf
                else [inv.site.name] * n
            )
            frames.append(
                gpd.GeoDataFrame(
                    {"site": [inv.site.id] * n, "kind": [kind] * n, "name": names},
                    geometry=gdf.geometry.values,
                    crs=CRS,
                )
            )
    if not frames:
        return _gdf([], [], ["site", "kind", "name"])
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)


def gaps_layer(
    inventories: Sequence[Inventory], *, as_of: dt.date | None = None
) -> gpd.GeoDataFrame:
    """One row per gap, a multipoint at the public places of the services involved."""
    import shapely

    columns = [
        "site",
        "kind",
        "severity",
        "services",
        "categories",
        "message",
        "message_fr",
        "action",
        "action_fr",
        "owner",
        "owner_fr",
        "policy",
        "languages",
        "groups",
        "entry_point",
        "hours",
    ]
    rows, geoms = [], []
    for inv in inventories:
        places = {ps.service.id: ps.place for ps in public_services(inv)}
        for g in find_gaps(inv, as_of=as_of):
            rows.append(
                {
                    "site": g.site,
                    "kind": g.kind,
                    "severity": g.severity,
                    "services": join(g.services),
                    "categories": join(g.categories),
                    "message": g.message,
                    "message_fr": g.message_fr,
                    "action": g.action,
                    "action_fr": g.action_fr,
                    "owner": g.owner,
                    "owner_fr": g.owner_fr,
                    "policy": g.policy or None,
                    "languages": join(g.languages),
                    "groups": join(g.groups),
                    "entry_point": g.entry_point,
                    "hours": join(g.hours),
                }
            )
            pts = [(p.lon, p.lat) for s in g.services if (p := places.get(s)) is not None]
            geoms.append(shapely.MultiPoint(pts) if pts else None)
    return _gdf(rows, geoms, columns)


def write_gpkg(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the four layers to one GeoPackage."""
    import pyogrio

    layers = {
        "services": (services_layer(inventories, lang=options.lang), "Point"),
        "referrals": (referrals_layer(inventories), "LineString"),
        "boundaries": (boundaries_layer(inventories), "MultiPolygon"),
        "gaps": (gaps_layer(inventories, as_of=options.as_of), "MultiPoint"),
    }
    with atomic_output(path) as tmp:
        for name, (gdf, geometry_type) in layers.items():
            pyogrio.write_dataframe(
                gdf,
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=geometry_type.startswith("Multi"),
                append=tmp.exists(),
            )
