"""A site's admin areas (communes, cercles, municipi): polygons, names and the points shown.

Areas are public geography: maps draw them, coverage counts people by them, and the privacy
gate (`pathways.privacy`) may place a confidential service at its area. For that, each area
carries two points that depend on the polygon alone: its *centre* (the centroid, or the point
inside farthest from the border when the centroid is near it) and an *alternate* point at least
`ALTERNATE_DISTANCE_M` from the centre, inside the area (see `pathways.privacy` for why).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.ops import polylabel

from pathways.errors import InventoryError, display_path
from pathways.inventory import Inventory

CORE_RADIUS_M = 1000.0
"""Radius of an area's core: the disc around its centre (see `pathways.privacy`)."""

ALTERNATE_DISTANCE_M = 2 * CORE_RADIUS_M
"""An area's alternate point lies at least this far from its centre, so it is at least
`CORE_RADIUS_M` from every point of the core."""

_ALTERNATE_STEPS_M = (2500.0, 3500.0, 5000.0, 8000.0)
_BEARINGS = (0, 90, 180, 270, 45, 135, 225, 315)


@dataclass(frozen=True)
class Area:
    """One admin area: its name, polygon (lon/lat), centre, and alternate point (or None).

    `lat`/`lon` is the centre: the centroid when it lies at least `CORE_RADIUS_M` inside,
    else the pole of inaccessibility (the point farthest inside), so that the core disc
    around it lies inside the area whenever the area is big enough (`holds_a_core`).
    """

    name: str
    geometry: shapely.Geometry
    lat: float
    lon: float
    inradius_m: float
    alternate: tuple[float, float] | None  # (lat, lon)

    @property
    def holds_a_core(self) -> bool:
        """True when the whole core disc lies inside the area and an alternate point exists."""
        return self.inradius_m >= CORE_RADIUS_M and self.alternate is not None


@lru_cache(maxsize=64)
def load_areas(path: Path, name_field: str = "name") -> tuple[Area, ...]:
    """The polygons of an admin-area GeoJSON file (cached by path and name field)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as e:
        raise InventoryError(
            f"{display_path(path)}: not a readable GeoJSON FeatureCollection ({e})"
        ) from None
    areas = []
    for feature in features:
        try:
            geom = shape(feature["geometry"]) if feature.get("geometry") else None
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError):
            continue
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        shapely.prepare(geom)
        name = str((feature.get("properties") or {}).get(name_field) or "")
        areas.append(_area(name, geom))
    return tuple(areas)


def _area(name: str, geom: shapely.Geometry) -> Area:
    """Centre, inradius and alternate point, measured in metres around the area."""
    c = geom.centroid
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
    to_m = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    to_deg = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))

    g = shapely.transform(geom, project)
    parts = list(getattr(g, "geoms", [g]))
    biggest = max((p for p in parts if p.geom_type == "Polygon"), key=lambda p: p.area)
    # the centroid when it lies well inside (the centre people expect), else the pole of
    # inaccessibility (a C-shaped or thin area)
    pole = shapely.Point(0.0, 0.0)  # the centroid, at the projection's origin
    inradius = float(g.boundary.distance(pole)) if g.contains(pole) else 0.0
    if inradius < CORE_RADIUS_M:
        pole = polylabel(biggest, tolerance=5.0)
        inradius = float(g.boundary.distance(pole))
    lon, lat = to_deg.transform(pole.x, pole.y)
    alternate = None
    for step in _ALTERNATE_STEPS_M:
        for bearing in _BEARINGS:
            x = pole.x + step * math.sin(math.radians(bearing))
            y = pole.y + step * math.cos(math.radians(bearing))
            if g.contains(shapely.Point(x, y)):
                alon, alat = to_deg.transform(x, y)
                alternate = (round(alat, 6), round(alon, 6))
                break
        if alternate is not None:
            break
    return Area(name, geom, round(lat, 6), round(lon, 6), inradius, alternate)


def site_areas(inventory: Inventory) -> tuple[Area, ...]:
    """The admin areas of an inventory's site (empty when it names none)."""
    if inventory.site.areas is None:
        return ()
    areas = inventory.site.areas
    return load_areas(inventory.resolve_path(areas.path), areas.name_field)


def containing_area(areas: tuple[Area, ...], lat: float, lon: float) -> Area | None:
    """The first area (in file order) that covers the point, or None."""
    point = shapely.Point(lon, lat)
    return next((a for a in areas if a.geometry.covers(point)), None)
