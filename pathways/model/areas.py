"""A site's admin areas (communes, cercles, municipi): polygons, names and the points shown.

Areas are public geography: maps draw them, coverage counts people by them, and the privacy
gate (`pathways.public.privacy`) may place a confidential service at its area. For that, each area
carries two points that depend on the polygon alone: its *centre* (the centroid, or the point
inside farthest from the border when the centroid is near it) and an *alternate* point at least
`ALTERNATE_DISTANCE_M` from the centre, inside the area (see `pathways.public.privacy` for why).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import polylabel

from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory

CORE_RADIUS_M = 1000.0
"""Radius of an area's core: the disc around its centre (see `pathways.public.privacy`)."""

ALTERNATE_DISTANCE_M = 2 * CORE_RADIUS_M
"""An area's alternate point lies at least this far from its centre, so it is at least
`CORE_RADIUS_M` from every point of the core."""

_ALTERNATE_STEPS_M = (ALTERNATE_DISTANCE_M + 5.0, 2500.0, 3500.0, 5000.0, 8000.0)
"""Distances tried, nearest first (5 m over the minimum: rounding to 1e-6 degrees costs 0.1 m)."""
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
    """Centre, inradius and alternate point, measured in metres around the area.

    Distances near a point are measured in an equirectangular plane centred on it (exact to
    a millionth within a few kilometres, where the 1 km core and its border are); the alternate
    point is found along geodesics from the centre. No projection object is built: a pyproj
    transformer per area made loading a site with areas take most of a second.
    """
    c = geom.centroid
    g = _local(geom, c.y, c.x)
    # the centroid when it lies well inside (the centre people expect), else the pole of
    # inaccessibility (a C-shaped or thin area)
    lat, lon = c.y, c.x
    inradius = float(g.boundary.distance(_ORIGIN)) if g.contains(_ORIGIN) else 0.0
    if inradius < CORE_RADIUS_M:
        parts = list(getattr(g, "geoms", [g]))
        biggest = max((p for p in parts if p.geom_type == "Polygon"), key=lambda p: p.area)
        pole = polylabel(biggest, tolerance=5.0)
        lat, lon = _degrees(pole, c.y, c.x)
        inradius = float(_local(geom, lat, lon).boundary.distance(_ORIGIN))
    lat, lon = round(lat, 6), round(lon, 6)
    alternate = next(
        (
            (round(alat, 6), round(alon, 6))
            for step in _ALTERNATE_STEPS_M
            for bearing in _BEARINGS
            for alon, alat, _ in [_GEOD.fwd(lon, lat, bearing, step)]
            if geom.contains(shapely.Point(alon, alat))
        ),
        None,
    )
    return Area(name, geom, lat, lon, inradius, alternate)


_EARTH_RADIUS_M = 6_371_008.8
_ORIGIN = shapely.Point(0.0, 0.0)
_GEOD = Geod(ellps="WGS84")


def _local(geom: shapely.Geometry, lat0: float, lon0: float) -> shapely.Geometry:
    """`geom` in metres, in the equirectangular plane centred on (lat0, lon0)."""
    kx = math.radians(1) * _EARTH_RADIUS_M * math.cos(math.radians(lat0))
    ky = math.radians(1) * _EARTH_RADIUS_M
    return shapely.transform(geom, lambda xy: (xy - (lon0, lat0)) * (kx, ky))


def _degrees(point: shapely.Point, lat0: float, lon0: float) -> tuple[float, float]:
    """(lat, lon) of a point of the plane of `_local(..., lat0, lon0)`."""
    kx = math.radians(1) * _EARTH_RADIUS_M * math.cos(math.radians(lat0))
    ky = math.radians(1) * _EARTH_RADIUS_M
    return lat0 + point.y / ky, lon0 + point.x / kx


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
