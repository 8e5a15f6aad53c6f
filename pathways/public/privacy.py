"""The privacy gate: the public view of an inventory, the only thing any output reads.

A confidential service (a shelter, a safe house) is known to the program at its true location;
nothing the program shows, writes, logs or computes for others may depend on it beyond its
*public place*. `public_view(inventory)` replaces each confidential service's location by its
public place (and drops its own address and area), so that every figure derived downstream
(travel times, routes, coverage, nearest entry points, the order of alternatives) is computed
from the public place only. `pathways.io.load.load_site` returns this view; only validation
(`pathways.io.load.read_site`) reads the true location, and its messages never repeat it.

The public place of a confidential service, by tier (`Service.tier`):

- `intake`: its public intake point, with the intake's address (validation refuses an intake
  closer than `MIN_DISTANCE_M` to the service).
- `area` (the default): a point that depends only on the *region* the service lies in:
  - if the site names admin areas and every one of them holds a core (`Area.holds_a_core`:
    big enough, see below), the area holding the service: its centre, or, for a service in
    the area's core (the disc of `CORE_RADIUS_M` around the centre), the area's alternate point
    (at least 2 km from the centre, inside the area). Named after the area.
  - otherwise a `GRID_DEGREES` grid cell (about 5 km): its centre, or, for a service in the
    cell's core, the centre of a neighbouring cell fixed by a hash of the cell.
- `hidden`: not shown at all. For computations (travel times) it stands at the site's
  reference point: the median of the site's public services, which does not depend on it.

So every public place is an area at least 2 km across (a whole admin area or grid cell minus its
core, or a core disc), a service may be moved anywhere inside it without changing any output
(the non-interference test, `tests/test_non_interference.py`), and the point shown is never
closer than `MIN_DISTANCE_M` to the true location, so that inferring the point from travel
times (trilateration, `bench/trilaterate.py`) lands at least that far away. Everything is
deterministic: never random jitter, which averages out over repeated renderings.

The areas are used only when all of a site's areas hold a core: a rule that switched to the grid
for small areas alone would make the intersection of a small area with a grid cell (a sliver)
a public place.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Geod

from pathways.model.areas import CORE_RADIUS_M, Area, site_areas
from pathways.model.inventory import Inventory, Point, Service
from pathways.model.memo import InventoryMemo
from pathways.model.public import (
    Precision,
    PublicInventory,
    PublicPlace,
    place_label,
    shown_place,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "Precision",
    "PublicInventory",
    "PublicPlace",
    "public_place",
    "public_view",
    "rounds_times",
    "shown_address",
]

GRID_DEGREES = 0.05
"""Size of the snapping grid for area-level places without admin areas (about 5 km)."""

MIN_DISTANCE_M = CORE_RADIUS_M
"""A shown place of a confidential service is never closer than this to its true location."""

_GEOD = Geod(ellps="WGS84")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres on the WGS84 ellipsoid."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


# --- the gate ----------------------------------------------------------------------------------


def public_view(inventory: Inventory) -> PublicInventory:
    """The inventory with each confidential service at its public place (idempotent).

    A confidential service keeps every field but its location: that becomes the public place
    (the intake point with its address; the area's point with the area's name; the grid point;
    or, hidden, the site's reference point), and its `intake` is the same public point or
    None. Other services and the referrals are the same objects.
    """
    if isinstance(inventory, PublicInventory):
        return inventory
    services: list[Service] = []
    reference: Point | None = None
    for s in inventory.services:
        if not s.confidential:
            services.append(s)
            continue
        place = _place(s, inventory)
        if place is None:
            reference = reference or reference_point(inventory)
            services.append(s.model_copy(update={"location": reference}))
            continue
        if place.precision == "intake":  # the intake point, public by design, as it is
            services.append(s.model_copy(update={"location": s.intake}))
            continue
        shown = Point(lat=place.lat, lon=place.lon, area=place.area)
        services.append(s.model_copy(update={"location": shown}))
    return PublicInventory.model_construct(
        site=inventory.site,
        services=tuple(services),
        referrals=inventory.referrals,
        path=inventory.path,
    )


def public_place(service: Service, inventory: Inventory) -> PublicPlace | None:
    """Where `service` may be shown, or None if it must not be drawn (tier `hidden`).

    On a public view this reads the service's (public) record; on a record as loaded by
    validation it applies the rule, giving the same answer.
    """
    if not isinstance(inventory, PublicInventory):
        return _place(service, inventory)
    return shown_place(service)


def shown_address(service: Service, place: PublicPlace | None) -> str | None:
    """The address an output may print for a service: a public service's own, a confidential
    one's public intake's (when that is its place), else none (never its own)."""
    if not service.confidential:
        return service.location.address
    if place is not None and place.precision == "intake" and service.intake is not None:
        return service.intake.address
    return None


def rounds_times(service: Service | None) -> bool:
    """True when a route's times must be shown to the hour from this stop on: a confidential
    stop, whose exact times would turn back into a distance to it."""
    return bool(service and service.confidential)


def public_places(inventory: Inventory) -> Mapping[str, PublicPlace | None]:
    """`public_place` of every service, by service id (in inventory order); read-only, worked
    out once per inventory (a page draws several layers of the same one)."""
    return _PLACES.get(
        inventory,
        None,
        lambda: MappingProxyType({s.id: public_place(s, inventory) for s in inventory.services}),
    )


_PLACES: InventoryMemo[Mapping[str, PublicPlace | None]] = InventoryMemo()


def reference_point(inventory: Inventory) -> Point:
    """Where a hidden service stands for computations: the median of the public services.

    It depends on the services that are not confidential only (failing those, on the public
    places of the others), never on where a hidden service is.
    """
    points = [(s.location.lat, s.location.lon) for s in inventory.services if not s.confidential]
    if not points:
        places = (_place(s, inventory) for s in inventory.services if s.confidential)
        points = [(p.lat, p.lon) for p in places if p is not None]
    if not points:
        return Point(lat=0.0, lon=0.0)
    lat, lon = np.median(np.array(points), axis=0)
    return Point(lat=round(float(lat), 6), lon=round(float(lon), 6))


# --- the rule ----------------------------------------------------------------------------------


def _place(service: Service, inventory: Inventory) -> PublicPlace | None:
    """The public place of a record (true location known): the rule of the module docstring."""
    loc = service.location
    tier = service.tier
    if tier == "exact":
        return PublicPlace(loc.lat, loc.lon, "exact", place_label("exact", None))
    if tier == "intake":
        assert service.intake is not None
        return PublicPlace(
            service.intake.lat, service.intake.lon, "intake", place_label("intake", None)
        )
    if tier == "hidden":
        return None
    areas = placing_areas(inventory)
    area = _containing(areas, loc.lat, loc.lon)
    if area is not None:
        lat, lon = area_point(area, loc.lat, loc.lon)
        return PublicPlace(lat, lon, "area", place_label("area", area.name), area.name)
    lat, lon = snap_to_grid(loc.lat, loc.lon)
    return PublicPlace(lat, lon, "area", place_label("area", None))


def placing_areas(inventory: Inventory) -> tuple[Area, ...]:
    """The site's admin areas if every one holds a core (so they may place services), else ()."""
    areas = site_areas(inventory)
    return areas if areas and all(a.holds_a_core for a in areas) else ()


def _containing(areas: tuple[Area, ...], lat: float, lon: float) -> Area | None:
    if not areas:
        return None
    point = shapely.Point(lon, lat)
    return next((a for a in areas if a.geometry.covers(point)), None)


def area_point(area: Area, lat: float, lon: float) -> tuple[float, float]:
    """The area's centre, or its alternate point for a location in the area's core."""
    if distance_m(lat, lon, area.lat, area.lon) >= CORE_RADIUS_M:
        return area.lat, area.lon
    assert area.alternate is not None
    return area.alternate


def snap_to_grid(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the grid cell holding (lat, lon), at least `MIN_DISTANCE_M` away from it.

    A location in the cell's core (within `MIN_DISTANCE_M` of the centre) is shown at a
    neighbouring cell's centre instead; which neighbour is fixed by a hash of the cell, so the
    answer depends on the cell and on being in its core, never on where in either: the same
    shelter listed in two inventories (or under two ids) is shown at the same point, and
    repeated or combined exports cannot be averaged or intersected towards it.
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
    # 2 km from the centre is 1 km from every point of the core (near the poles, where cells
    # narrow, the east and west neighbours may be closer: they are not used)
    far = [c for c in neighbours if distance_m(*centre, *c) >= 2 * MIN_DISTANCE_M]
    digest = int(hashlib.sha256(f"{i},{j}".encode()).hexdigest(), 16)
    return far[digest % len(far)]


def _cell_centre(i: int, j: int) -> tuple[float, float]:
    lat = round((i + 0.5) * GRID_DEGREES, 6)
    lon = round(((j + 0.5) * GRID_DEGREES + 180) % 360 - 180, 6)
    return lat, lon


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
