"""The one place that decides what a confidential location becomes before anything shows it.

Shelters and safe houses are `confidential: true`. Their true location never leaves the program:
maps, the app and every export ask `public_place(service, inventory)` and draw what it returns.

- Not confidential: the exact location.
- Confidential with a public `intake` point at least `MIN_DISTANCE_M` away: the intake point.
- Confidential, precision `area` (the default): the centre of the site's admin area that contains
  the service, when the site has areas and that centre is at least `MIN_DISTANCE_M` away;
  otherwise the centre of a `GRID_DEGREES` grid cell (about 5 km), moved to a neighbouring cell
  when the cell's own centre is closer than `MIN_DISTANCE_M`.
- Confidential, precision `hidden`: no place at all (listed, never drawn).

Every rule is deterministic (the same inventory always gives the same places; never random
jitter, which averages out over repeated renderings).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import shapely
from pyproj import Geod
from shapely.geometry import shape

from pathways.errors import InventoryError, display_path
from pathways.inventory import Inventory, Service

if TYPE_CHECKING:
    import geopandas as gpd

GRID_DEGREES = 0.05
"""Size of the snapping grid for area-level places without an admin area (about 5 km)."""

MIN_DISTANCE_M = 1000.0
"""A shown place of a confidential service is never closer than this to its true location."""

Precision = Literal["exact", "area", "intake"]

_GEOD = Geod(ellps="WGS84")

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "exact": "exact location",
        "intake": "public intake point (service location withheld)",
        "area": "area level (exact location withheld)",
        "area_named": "area level: {area} (exact location withheld)",
    },
    "fr": {
        "exact": "adresse exacte",
        "intake": "point d'accueil public (adresse du service masquée)",
        "area": "niveau zone (adresse exacte masquée)",
        "area_named": "niveau zone : {area} (adresse exacte masquée)",
    },
}


@dataclass(frozen=True)
class PublicPlace:
    """Where a service may be shown, how precisely, and the words that say so."""

    lat: float
    lon: float
    precision: Precision
    label: str
    area: str | None = None

    @property
    def withheld(self) -> bool:
        """True when this is not the service's own location (area level or intake point)."""
        return self.precision != "exact"

    def describe(self, lang: str = "en") -> str:
        """The label in English or French."""
        return _label(self.precision, self.area, lang)


def _label(precision: str, area: str | None, lang: str = "en") -> str:
    texts = _LABELS.get(lang, _LABELS["en"])
    if precision == "area" and area:
        return texts["area_named"].format(area=area)
    return texts[precision]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres on the WGS84 ellipsoid."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def public_place(service: Service, inventory: Inventory) -> PublicPlace | None:
    """Where `service` may be shown, or None if it must not be drawn (precision `hidden`)."""
    loc = service.location
    if not service.confidential:
        return PublicPlace(loc.lat, loc.lon, "exact", _label("exact", None))
    intake = service.intake
    if (
        intake is not None
        and distance_m(loc.lat, loc.lon, intake.lat, intake.lon) >= MIN_DISTANCE_M
    ):
        return PublicPlace(intake.lat, intake.lon, "intake", _label("intake", None))
    if service.precision == "hidden":
        return None
    area = _containing_area(inventory, loc.lat, loc.lon)
    if area is not None and distance_m(loc.lat, loc.lon, area.lat, area.lon) >= MIN_DISTANCE_M:
        return PublicPlace(area.lat, area.lon, "area", _label("area", area.name), area.name)
    lat, lon = snap_to_grid(loc.lat, loc.lon)
    return PublicPlace(lat, lon, "area", _label("area", None))


def public_places(inventory: Inventory) -> dict[str, PublicPlace | None]:
    """`public_place` of every service, by service id (in inventory order)."""
    return {s.id: public_place(s, inventory) for s in inventory.services}


def snap_to_grid(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the grid cell holding (lat, lon), at least `MIN_DISTANCE_M` away from it.

    When the cell's own centre is too close, a neighbouring cell's centre is taken; which
    neighbour is fixed by a hash of the cell, so the answer depends on the place alone: the
    same shelter listed in two inventories (or under two ids) is shown at the same point,
    and repeated or combined exports cannot be averaged or intersected towards it.
    """
    i, j = math.floor(lat / GRID_DEGREES), math.floor(lon / GRID_DEGREES)
    centre = _cell_centre(i, j)
    if distance_m(lat, lon, *centre) >= MIN_DISTANCE_M:
        return centre
    neighbours = [
        _cell_centre(i + di, j + dj)
        for di, dj in ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
        if -90 <= (i + di + 0.5) * GRID_DEGREES <= 90
    ]
    far = [c for c in neighbours if distance_m(lat, lon, *c) >= MIN_DISTANCE_M]
    digest = int(hashlib.sha256(f"{i},{j}".encode()).hexdigest(), 16)
    return far[digest % len(far)]


def _cell_centre(i: int, j: int) -> tuple[float, float]:
    lat = round((i + 0.5) * GRID_DEGREES, 6)
    lon = round(((j + 0.5) * GRID_DEGREES + 180) % 360 - 180, 6)
    return lat, lon


# --- admin areas -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """One admin area of a site: its name, its polygon (lon/lat) and the point shown for it."""

    name: str
    geometry: shapely.Geometry
    lat: float
    lon: float


@lru_cache(maxsize=64)
def load_areas(path: Path, name_field: str = "name") -> tuple[Area, ...]:
    """The polygons of an admin-area GeoJSON file (cached by path and name field)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    except (OSError, ValueError, KeyError, AttributeError) as e:
        raise InventoryError(
            f"{display_path(path)}: not a readable GeoJSON FeatureCollection ({e})"
        ) from None
    areas = []
    for feature in features:
        geom = shape(feature["geometry"]) if feature.get("geometry") else None
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        shapely.prepare(geom)
        centre = geom.centroid
        if not geom.contains(centre):  # a C-shaped area: take a point that lies inside it
            centre = geom.representative_point()
        name = str((feature.get("properties") or {}).get(name_field) or "")
        areas.append(Area(name, geom, round(centre.y, 6), round(centre.x, 6)))
    return tuple(areas)


def site_areas(inventory: Inventory) -> tuple[Area, ...]:
    """The admin areas of an inventory's site (empty when it names none)."""
    if inventory.site.areas is None:
        return ()
    areas = inventory.site.areas
    return load_areas(inventory.resolve_path(areas.path), areas.name_field)


def _containing_area(inventory: Inventory, lat: float, lon: float) -> Area | None:
    point = shapely.Point(lon, lat)
    return next((a for a in site_areas(inventory) if a.geometry.covers(point)), None)


# --- tables ------------------------------------------------------------------------------------


def public_gdf(inventory: Inventory) -> gpd.GeoDataFrame:
    """Services at their public places (EPSG:4326); hidden ones have no geometry.

    Columns: site, id, name, confidential, precision (exact | area | intake | hidden), place
    (the words to show), geometry. Index: service id.
    """
    import geopandas as gpd

    rows, geoms = [], []
    for s in inventory.services:
        place = public_place(s, inventory)
        rows.append(
            {
                "site": inventory.site.id,
                "id": s.id,
                "name": s.name,
                "confidential": s.confidential,
                "precision": place.precision if place else "hidden",
                "place": place.label if place else "not shown (location hidden)",
            }
        )
        geoms.append(shapely.Point(place.lon, place.lat) if place else None)
    columns = ["site", "id", "name", "confidential", "precision", "place"]
    gdf = gpd.GeoDataFrame(rows, columns=columns, geometry=geoms, crs="EPSG:4326")
    return gdf.set_index("id", drop=False)
