"""Where a site's people live: population units (admin areas or populated places) with counts.

Each site's boundary folder holds a `population.yaml` that says which file counts its people and
how, and who counted them (the source is printed with every coverage figure):

```yaml
source: "Statbel, legal population on 1 January 2020, per commune"
units: areas                 # polygons with a population field
path: communes_brussels_statbel.geojson
name_field: name_fr
population_field: population_2020
```
```yaml
source: "DZS county estimate, over GeoNames places"
units: places                # a CSV: geonameid, name, latitude, longitude, population
path: places_geonames.csv
within: county_zagreb_naturalearth.geojson   # keep the places inside (default: site boundary)
container: {id: 3186886, parts: [6618983]}   # this place's figure already counts these parts
total: {path: county_population_by_age.csv, row: Ukupno}   # the official total
remainder: spread            # people the places do not account for, spread evenly inside
spacing_km: 2
```
An area is represented by a point inside it (its centroid when that lies inside). A
container place keeps its figure less the parts listed separately (`parts: all`: every other
place), so nobody is counted twice. With a `total`, the places are scaled down when they add
up to more than it; with `remainder: spread`, what they add up to less is spread over a grid.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry import shape

from mapping.travel import FloatArray, local_crs, project
from pathways.errors import InventoryError, display_path
from pathways.inventory import Inventory

MANIFEST = "population.yaml"

UnitKind = Literal["area", "place", "dispersed"]


@dataclass(frozen=True)
class PopulationUnit:
    """One counted group of people at a point: an admin area, a place, or a spread share."""

    name: str
    lat: float
    lon: float
    population: float
    kind: UnitKind = "place"


@dataclass(frozen=True)
class Population:
    """The people of one site, as units, with the source that counted them."""

    site: str
    source: str
    units: tuple[PopulationUnit, ...]
    kind: Literal["areas", "places"]
    method: str = ""

    @property
    def total(self) -> float:
        return float(sum(u.population for u in self.units))

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(lat, lon, population) of the units as arrays."""
        lat = np.array([u.lat for u in self.units], dtype=float)
        lon = np.array([u.lon for u in self.units], dtype=float)
        pop = np.array([u.population for u in self.units], dtype=float)
        return lat, lon, pop


# --- the manifest ---------------------------------------------------------------------------


class _Total(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    row: str = "Ukupno"
    label_column: int = 0
    value_column: int = 1


class _Container(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    parts: Literal["all"] | list[str] = "all"


class Manifest(BaseModel):
    """The schema of `population.yaml` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1)
    units: Literal["areas", "places"]
    path: str
    name_field: str = "name"
    population_field: str = "population"
    within: str | None = None
    container: _Container | None = None
    total: _Total | int | None = None
    remainder: Literal["spread", "ignore"] = "ignore"
    spacing_km: float = Field(default=2.0, gt=0.1, le=50)


def find_manifest(inventory: Inventory) -> Path | None:
    """The `population.yaml` beside the site's areas file or boundary file, if any."""
    site = inventory.site
    for rel in (site.areas.path if site.areas else None, site.boundary):
        if rel:
            candidate = inventory.resolve_path(rel).parent / MANIFEST
            if candidate.is_file():
                return candidate
    return None


def load_population(inventory: Inventory, path: str | Path | None = None) -> Population | None:
    """The site's population from its manifest (or the one at `path`); None if it has none."""
    manifest_path = Path(path) if path is not None else find_manifest(inventory)
    if manifest_path is None:
        return None
    return _load(manifest_path.resolve(), _boundary(inventory), inventory.site.id)


def _boundary(inventory: Inventory) -> Path | None:
    return inventory.resolve_path(inventory.site.boundary) if inventory.site.boundary else None


@lru_cache(maxsize=32)
def _load(path: Path, boundary: Path | None, site: str) -> Population:
    where = display_path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(raw)
    except OSError as e:
        raise InventoryError(f"{where}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise InventoryError(f"{where}: not valid YAML ({e})") from None
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or "(file)"
        raise InventoryError(f"{where}: {field}: {first['msg']}") from None
    folder = path.parent
    total = manifest.total.path if isinstance(manifest.total, _Total) else None
    for rel in (manifest.path, manifest.within, total):
        if rel is not None:
            _inside(folder, rel, where)
    if manifest.units == "areas":
        units, method = _areas(folder / manifest.path, manifest)
    else:
        within = folder / manifest.within if manifest.within else boundary
        units, method = _places(folder, manifest, within)
    return Population(site, manifest.source, tuple(units), manifest.units, method)


def _inside(folder: Path, rel: str, where: str) -> None:
    """Refuse a file the manifest names outside its own folder (it is data, not a pointer to
    anything on the machine)."""
    if not (folder / rel).resolve().is_relative_to(folder.resolve()):
        raise InventoryError(f"{where}: '{rel}' leads outside the manifest's folder")


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InventoryError(f"{display_path(path)}: not readable GeoJSON ({e})") from None
    return data["features"] if data.get("type") == "FeatureCollection" else [data]


def _inside_point(geom: shapely.Geometry) -> shapely.Point:
    centre = geom.centroid
    return centre if geom.contains(centre) else geom.representative_point()


def _areas(path: Path, manifest: Manifest) -> tuple[list[PopulationUnit], str]:
    units = []
    for i, feature in enumerate(_features(path)):
        props = feature.get("properties") or {}
        value = props.get(manifest.population_field)
        if value is None or not feature.get("geometry"):
            continue
        point = _inside_point(shape(feature["geometry"]))
        name = str(props.get(manifest.name_field) or f"area {i + 1}")
        units.append(
            PopulationUnit(name, round(point.y, 6), round(point.x, 6), float(value), "area")
        )
    if not units:
        raise InventoryError(
            f"{display_path(path)}: no feature has the field '{manifest.population_field}'"
        )
    return units, f"{len(units)} areas, each at a point inside it"


def _read_places(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot read ({e.strerror})") from None
    need = {"geonameid", "name", "latitude", "longitude", "population"}
    if rows and not need <= set(rows[0]):
        raise InventoryError(f"{display_path(path)}: needs the columns {', '.join(sorted(need))}")
    return rows


def _places(
    folder: Path, manifest: Manifest, within: Path | None
) -> tuple[list[PopulationUnit], str]:
    rows = _read_places(folder / manifest.path)
    area = _union(within) if within else None
    if area is not None:
        rows = [
            r
            for r in rows
            if area.covers(shapely.Point(float(r["longitude"]), float(r["latitude"])))
        ]
    counts = {r["geonameid"]: float(r["population"] or 0) for r in rows}
    notes = [f"{len(rows)} GeoNames place{'' if len(rows) == 1 else 's'}"]
    if manifest.container and manifest.container.id in counts:
        cid = manifest.container.id
        parts = (
            [k for k in counts if k != cid]
            if manifest.container.parts == "all"
            else [k for k in manifest.container.parts if k in counts]
        )
        counts[cid] = max(counts[cid] - sum(counts[k] for k in parts), 0.0)
        notes.append(f"the figure of {_name(rows, cid)} less the {len(parts)} parts listed apart")
    units = [
        PopulationUnit(
            r["name"], float(r["latitude"]), float(r["longitude"]), counts[r["geonameid"]]
        )
        for r in rows
        if counts[r["geonameid"]] > 0
    ]
    total = _total(folder, manifest.total)
    if total is not None:
        counted = sum(u.population for u in units)
        if counted > total and counted > 0:
            scale = total / counted
            units = [_scaled(u, scale) for u in units]
            notes.append(f"scaled to the total of {total:,.0f}")
        elif total > counted and manifest.remainder == "spread" and area is not None:
            spread = _spread(area, total - counted, manifest.spacing_km)
            units += spread
            notes.append(
                f"the other {total - counted:,.0f} people spread evenly inside on a "
                f"{manifest.spacing_km:g} km grid ({len(spread)} points)"
            )
    return units, "; ".join(notes)


def _name(rows: list[dict[str, str]], geonameid: str) -> str:
    return next(r["name"] for r in rows if r["geonameid"] == geonameid)


def _scaled(u: PopulationUnit, scale: float) -> PopulationUnit:
    return PopulationUnit(u.name, u.lat, u.lon, u.population * scale, u.kind)


def _union(path: Path) -> shapely.Geometry:
    geoms = [shape(f["geometry"]) for f in _features(path) if f.get("geometry")]
    area = shapely.union_all(geoms)
    shapely.prepare(area)
    return area


def _total(folder: Path, total: _Total | int | None) -> float | None:
    if total is None or isinstance(total, int):
        return None if total is None else float(total)
    path = folder / total.path
    try:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                if len(row) > total.value_column and row[total.label_column].strip() == total.row:
                    return float(row[total.value_column])
    except (OSError, ValueError) as e:
        raise InventoryError(f"{display_path(path)}: cannot read the total ({e})") from None
    raise InventoryError(f"{display_path(path)}: no row '{total.row}'")


def _spread(area: shapely.Geometry, people: float, spacing_km: float) -> list[PopulationUnit]:
    """Grid points `spacing_km` apart inside `area` (in a local metric CRS), sharing `people`."""
    west, south, east, north = area.bounds
    crs = local_crs([south, north], [west, east])
    corner_x, corner_y = project([south, north, south, north], [west, west, east, east], crs)
    step = spacing_km * 1000.0
    gx = np.arange(corner_x.min() + step / 2, corner_x.max(), step)
    gy = np.arange(corner_y.min() + step / 2, corner_y.max(), step)
    xx, yy = np.meshgrid(gx, gy)
    from pyproj import Transformer

    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = back.transform(xx.ravel(), yy.ravel())
    keep = shapely.contains_xy(area, lon, lat)
    lat, lon = np.asarray(lat)[keep], np.asarray(lon)[keep]
    if not len(lat):
        point = _inside_point(area)
        lat, lon = np.array([point.y]), np.array([point.x])
    share = people / len(lat)
    return [
        PopulationUnit("dispersed", round(float(a), 6), round(float(o), 6), share, "dispersed")
        for a, o in zip(lat, lon, strict=True)
    ]
