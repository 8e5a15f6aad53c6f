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
```yaml
source: "Village census 2009, points"
units: points                # village points: CSV (latitude, longitude) or GeoJSON points
path: villages.csv
population_field: pop_2009
missing: {en: "nomadic camps are not counted", fr: "les campements nomades ne sont pas comptés"}
total: {value: 361944, year: 2009, source: "RGPH 2009 census (INSTAT), cercle total"}
```
```yaml
source: "WorldPop 2020, 100 m"
units: raster                # a GeoTIFF of people per cell (WorldPop, GHS-POP): cells as points
path: worldpop_2020.tif
block: 4                     # sum 4 x 4 cells into one point (fewer points, same people)
```
`total` is the site's known population, with its own `source` and `year`: a number
(`value`), one labelled row of a CSV (`path`, `row`), or the sum of a CSV column (`path`,
`column`, optional `where: {column: value}`). Coverage compares what it counted with it
(`pathways.analysis.coverage`): a count far below the total is flagged, and `missing` says what is
left out. Texts (`source`, `missing`, `total.source`) may be `{en: ..., fr: ...}`.

An area is represented by a point inside it (its centroid when that lies inside). A
container place keeps its figure less the parts listed separately (`parts: all`: every other
place), so nobody is counted twice. With a `total`, the places are scaled down when they add
up to more than it; with `remainder: spread`, what they add up to less is spread over a grid.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from shapely.geometry import shape

from pathways.analysis.travel import FloatArray, local_crs, project
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory

MANIFEST = "population.yaml"

UnitKind = Literal["area", "place", "point", "cell", "dispersed"]

Text = str | dict[str, str]
"""A manifest text: one string, or one per language (`{en: ..., fr: ...}`)."""


@dataclass(frozen=True)
class PopulationUnit:
    """One counted group of people at a point: an admin area, a place, or a spread share."""

    name: str
    lat: float
    lon: float
    population: float
    kind: UnitKind = "place"


@dataclass(frozen=True)
class KnownTotal:
    """The site's known population (a census or official estimate), with its own source."""

    people: float
    source: dict[str, str]
    year: int | None = None

    def source_in(self, lang: str = "en") -> str:
        """The source in `lang` (English, else the first given, when `lang` is missing)."""
        return _text_in(self.source, lang)


@dataclass(frozen=True)
class Population:
    """The people of one site, as units, with the source that counted them.

    `known_total` is the site's population from an independent figure (census, official
    estimate), against which coverage checks how much it counted; `missing` (per language)
    says what the units leave out.
    """

    site: str
    source: str
    units: tuple[PopulationUnit, ...]
    kind: Literal["areas", "places", "points", "raster"]
    method: str = ""
    known_total: KnownTotal | None = None
    missing: dict[str, str] = field(default_factory=dict)
    source_texts: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The people counted (the sum of the units), not the site's known total."""
        return float(sum(u.population for u in self.units))

    @property
    def spread(self) -> float:
        """People counted with no known place, spread evenly over the area."""
        return float(sum(u.population for u in self.units if u.kind == "dispersed"))

    def source_in(self, lang: str = "en") -> str:
        """The population source in `lang` (as given when the manifest has one text)."""
        return _text_in(self.source_texts, lang) if self.source_texts else self.source

    def missing_in(self, lang: str = "en") -> str | None:
        """What the units leave out, in `lang`; None when the manifest does not say."""
        return _text_in(self.missing, lang) if self.missing else None

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(lat, lon, population) of the units as arrays."""
        lat = np.array([u.lat for u in self.units], dtype=float)
        lon = np.array([u.lon for u in self.units], dtype=float)
        pop = np.array([u.population for u in self.units], dtype=float)
        return lat, lon, pop


# --- the manifest ---------------------------------------------------------------------------


class _Total(BaseModel):
    """The site's known population: a `value`, a CSV `row`, or the sum of a CSV `column`."""

    model_config = ConfigDict(extra="forbid")
    value: float | None = Field(default=None, gt=0)
    path: str | None = None
    row: str | None = None
    label_column: int = Field(default=0, ge=0)
    value_column: int = Field(default=1, ge=0)
    column: str | None = None
    where: dict[str, str] = Field(default_factory=dict)
    source: Text | None = None
    year: int | None = Field(default=None, ge=1800, le=2100)

    @model_validator(mode="after")
    def _one_way(self) -> _Total:
        if (self.value is None) == (self.path is None):
            raise ValueError("give either 'value' or 'path' (with 'row' or 'column')")
        if self.path is not None and (self.row is None) == (self.column is None):
            raise ValueError("with 'path', give either 'row' or 'column'")
        return self


class _Container(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    parts: Literal["all"] | list[str] = "all"


class Manifest(BaseModel):
    """The schema of `population.yaml` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    source: Text
    units: Literal["areas", "places", "points", "raster"]
    path: str
    name_field: str = "name"
    population_field: str = "population"
    within: str | None = None
    container: _Container | None = None
    total: _Total | int | None = None
    remainder: Literal["spread", "ignore"] = "ignore"
    spacing_km: float = Field(default=2.0, gt=0.1, le=50)
    missing: Text | None = None
    latitude_field: str = "latitude"
    longitude_field: str = "longitude"
    band: int = Field(default=1, ge=1)
    block: int = Field(default=1, ge=1, le=100)

    @field_validator("source", "missing")
    @classmethod
    def _texts(cls, v: Text | None) -> Text | None:
        return _check_text(v)


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
        field = ".".join(str(x) for x in first["loc"] if _is_field(x)) or "(file)"
        raise InventoryError(f"{where}: {field}: {first['msg']}") from None
    folder = path.parent
    total_path = manifest.total.path if isinstance(manifest.total, _Total) else None
    for rel in (manifest.path, manifest.within, total_path):
        if rel is not None:
            _inside(folder, rel, where)
    known = _known_total(folder, manifest, where)
    within = folder / manifest.within if manifest.within else boundary
    if manifest.units == "areas":
        units, method = _areas(folder / manifest.path, manifest)
    elif manifest.units == "places":
        units, method = _places(folder, manifest, within, known)
    else:
        area = _union(within) if within else None
        if manifest.units == "points":
            units, note = _points(folder / manifest.path, manifest, area)
        else:
            units, note = _raster(folder / manifest.path, manifest, area)
        units, notes = _fit_total(units, manifest, area, known)
        method = "; ".join([note, *notes])
    texts = _texts(manifest.source)
    return Population(
        site,
        texts["en"],
        tuple(units),
        manifest.units,
        method,
        known,
        _texts(manifest.missing) if manifest.missing is not None else {},
        texts if len(texts) > 1 else {},
    )


def _is_field(part: int | str) -> bool:
    """A part of a pydantic error location that names a field or an index (not a type tag
    of a union, such as `str` or `function-after[...]`)."""
    return isinstance(part, int) or (
        part.isidentifier() and part not in {"str", "int", "float", "bool", "dict", "list"}
    )


def _check_text(v: Text | None) -> Text | None:
    """A text is non-empty; per language, it has English (the default language)."""
    if v is None:
        return v
    if isinstance(v, str):
        if not v.strip():
            raise ValueError("must not be empty")
        return v
    if "en" not in v or not all(isinstance(x, str) and x.strip() for x in v.values()):
        raise ValueError("a text per language needs a non-empty 'en' (and e.g. 'fr')")
    return v


def _texts(v: Text) -> dict[str, str]:
    return {"en": v} if isinstance(v, str) else dict(v)


def _text_in(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


def _known_total(folder: Path, manifest: Manifest, where: str) -> KnownTotal | None:
    """The site's known population from the manifest's `total` (None when it gives none)."""
    total = manifest.total
    if total is None:
        return None
    if isinstance(total, int):
        return KnownTotal(float(total), _texts(manifest.source))
    people = float(total.value) if total.value is not None else _total_from_csv(folder, total)
    source = _texts(_check_text(total.source) or manifest.source)
    return KnownTotal(people, source, total.year)


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


def _points(
    path: Path, manifest: Manifest, area: shapely.Geometry | None
) -> tuple[list[PopulationUnit], str]:
    """Village points with a population: a CSV with coordinates, or GeoJSON points."""
    if path.suffix.lower() in {".geojson", ".json"}:
        rows = _point_features(path, manifest)
    else:
        rows = _point_rows(path, manifest)
    units = [
        PopulationUnit(name, lat, lon, people, "point")
        for name, lat, lon, people in rows
        if people > 0 and (area is None or area.covers(shapely.Point(lon, lat)))
    ]
    if not units:
        raise InventoryError(f"{display_path(path)}: no populated point inside the site's area")
    return units, f"{len(units)} point{'' if len(units) == 1 else 's'} from {path.name}"


def _point_rows(path: Path, manifest: Manifest) -> list[tuple[str, float, float, float]]:
    where = display_path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            lat_f, lon_f = manifest.latitude_field, manifest.longitude_field
            if lat_f not in fields and (lat_f, lon_f) == ("latitude", "longitude"):
                lat_f, lon_f = "lat", "lon"
            for name, key in (
                (lat_f, "latitude_field"),
                (lon_f, "longitude_field"),
                (manifest.population_field, "population_field"),
            ):
                if name not in fields:
                    raise InventoryError(f"{where}: no column '{name}' (set {key} in {MANIFEST})")
            out = []
            for line, r in enumerate(reader, start=2):
                lat = _number_in(r[lat_f], f"{where}:{line}: {lat_f}", -90, 90)
                lon = _number_in(r[lon_f], f"{where}:{line}: {lon_f}", -180, 180)
                field_name = manifest.population_field
                people = _number(r[field_name] or "0", f"{where}:{line}: {field_name}")
                out.append(
                    (str(r.get(manifest.name_field) or f"point {line - 1}"), lat, lon, people)
                )
    except OSError as e:
        raise InventoryError(f"{where}: cannot read ({e.strerror})") from None
    return out


def _point_features(path: Path, manifest: Manifest) -> list[tuple[str, float, float, float]]:
    where = display_path(path)
    out = []
    for i, feature in enumerate(_features(path)):
        props = feature.get("properties") or {}
        at = f"{where}: features[{i}]"
        if not feature.get("geometry"):
            raise InventoryError(f"{at}.geometry: missing")
        if manifest.population_field not in props:
            raise InventoryError(
                f"{at}.properties: no '{manifest.population_field}' "
                f"(set population_field in {MANIFEST})"
            )
        people = _number(
            str(props[manifest.population_field]), f"{at}.properties.{manifest.population_field}"
        )
        point = _inside_point(shape(feature["geometry"]))
        name = str(props.get(manifest.name_field) or f"point {i + 1}")
        out.append((name, float(point.y), float(point.x), people))
    return out


def _number_in(text: str, where: str, low: float, high: float) -> float:
    value = _number(text, where) if not text.startswith("-") else -_number(text[1:], where)
    if not low <= value <= high:
        raise InventoryError(f"{where}: {text} is out of range ({low:g} to {high:g})")
    return value


def _raster(
    path: Path, manifest: Manifest, area: shapely.Geometry | None
) -> tuple[list[PopulationUnit], str]:
    """People per cell of a GeoTIFF (WorldPop, GHS-POP): each cell (or block of `block` x
    `block` cells) becomes a point at its centre weighted by its people, kept inside the area."""
    where = display_path(path)
    try:
        import rasterio
    except ImportError:
        raise InventoryError(
            f"{where}: reading a population raster needs rasterio (pip install rasterio)"
        ) from None
    try:
        with rasterio.open(path) as src:
            if manifest.band > src.count:
                raise InventoryError(f"{where}: band: the raster has {src.count} band(s)")
            values = src.read(manifest.band, masked=True).astype(float).filled(0.0)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioIOError as e:
        raise InventoryError(f"{where}: not a readable raster ({e})") from None
    if crs is None:
        raise InventoryError(f"{where}: the raster has no CRS (WorldPop and GHS-POP do)")
    values[~np.isfinite(values)] = 0.0
    if (values < 0).any():
        raise InventoryError(f"{where}: negative people in some cells (set the raster's nodata)")
    b = manifest.block
    rows, cols = values.shape
    padded = np.zeros((-(-rows // b) * b, -(-cols // b) * b))
    padded[:rows, :cols] = values
    blocks = padded.reshape(padded.shape[0] // b, b, padded.shape[1] // b, b).sum(axis=(1, 3))
    r, c = np.nonzero(blocks > 0)
    col, row = c * b + b / 2, r * b + b / 2  # the block's centre, in cell units
    tf = transform
    x = tf.a * col + tf.b * row + tf.c
    y = tf.d * col + tf.e * row + tf.f
    if crs.to_epsg() != 4326:
        from pyproj import Transformer

        x, y = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    people = blocks[r, c]
    keep = shapely.contains_xy(area, x, y) if area is not None else np.ones(len(x), dtype=bool)
    units = [
        PopulationUnit("cell", round(float(la), 6), round(float(lo), 6), float(n), "cell")
        for la, lo, n in zip(y[keep], x[keep], people[keep], strict=True)
    ]
    if not units:
        raise InventoryError(f"{where}: no populated cell inside the site's area")
    size = f"{b} x {b} cells" if b > 1 else "cell"
    return units, f"{len(units)} raster points (one per {size}) from {path.name}"


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
    folder: Path, manifest: Manifest, within: Path | None, known: KnownTotal | None
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
    units, fitted = _fit_total(units, manifest, area, known)
    return units, "; ".join(notes + fitted)


def _fit_total(
    units: list[PopulationUnit],
    manifest: Manifest,
    area: shapely.Geometry | None,
    known: KnownTotal | None,
) -> tuple[list[PopulationUnit], list[str]]:
    """Scale the units down to the known total when they add up to more; with
    `remainder: spread`, spread what they add up to less evenly over the area."""
    if known is None:
        return units, []
    total = known.people
    counted = sum(u.population for u in units)
    if counted > total and counted > 0:
        scale = total / counted
        return [_scaled(u, scale) for u in units], [f"scaled to the total of {total:,.0f}"]
    if total > counted and manifest.remainder == "spread" and area is not None:
        spread = _spread(area, total - counted, manifest.spacing_km)
        return units + spread, [
            f"the other {total - counted:,.0f} people spread evenly inside on a "
            f"{manifest.spacing_km:g} km grid ({len(spread)} points)"
        ]
    return units, []


def _name(rows: list[dict[str, str]], geonameid: str) -> str:
    return next(r["name"] for r in rows if r["geonameid"] == geonameid)


def _scaled(u: PopulationUnit, scale: float) -> PopulationUnit:
    return PopulationUnit(u.name, u.lat, u.lon, u.population * scale, u.kind)


def _union(path: Path) -> shapely.Geometry:
    geoms = [shape(f["geometry"]) for f in _features(path) if f.get("geometry")]
    area = shapely.union_all(geoms)
    shapely.prepare(area)
    return area


def _total_from_csv(folder: Path, total: _Total) -> float:
    """One labelled row of a CSV (`row`), or the sum of a column (`column`, `where`)."""
    assert total.path is not None
    path = folder / total.path
    where = display_path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InventoryError(f"{where}: cannot read the total ({e.strerror})") from None
    if total.row is not None:
        for line, row in enumerate(rows, start=1):
            if len(row) > total.value_column and row[total.label_column].strip() == total.row:
                return _number(row[total.value_column], f"{where}:{line}: total.row")
        raise InventoryError(f"{where}: total.row: no row '{total.row}'")
    header = [h.strip() for h in rows[0]] if rows else []
    for name in (str(total.column), *total.where):
        if name not in header:
            raise InventoryError(f"{where}: total.column: no column '{name}'")
    col = header.index(str(total.column))
    tests = [(header.index(k), v) for k, v in total.where.items()]
    value, matched = 0.0, 0
    for line, row in enumerate(rows[1:], start=2):
        if len(row) == len(header) and all(row[i] == v for i, v in tests):
            value += _number(row[col], f"{where}:{line}: {total.column}")
            matched += 1
    if not matched:
        raise InventoryError(f"{where}: total.where: no row matches {total.where}")
    return value


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InventoryError(f"{where}: '{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise InventoryError(f"{where}: '{text}' is not a count of people")
    return value


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
