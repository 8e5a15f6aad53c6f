"""Population layers a site can supply: village points (CSV, GeoJSON) and a WorldPop-style raster,
the site's known total in its three forms, and one-line errors for bad population files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pathways.analysis.coverage import site_coverage
from pathways.analysis.population import load_population
from pathways.cli import main
from pathways.model.errors import InventoryError
from tests.factories import make_inventory, service

rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402  (rasterio's own dependency)

TINY = Path(__file__).parent / "data" / "tiny.yaml"

# A 0.2 x 0.2 degree square boundary around a clinic at (50.1, 4.1).
SQUARE = [[[4.0, 50.0], [4.2, 50.0], [4.2, 50.2], [4.0, 50.2], [4.0, 50.0]]]


def site_in(tmp_path: Path, manifest: str):
    """An inventory whose boundary (the square) and population.yaml are in `tmp_path`."""
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    (tmp_path / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    (tmp_path / "population.yaml").write_text(manifest, encoding="utf-8")
    inv = make_inventory(
        [service("clinic", ["health.cmr"], entry=True, location={"lat": 50.1, "lon": 4.1})],
        travel={"mode": "car", "speed_kmh": 60, "circuity": 1.0},
    )
    return inv.model_copy(
        update={
            "site": inv.site.model_copy(update={"boundary": "boundary.geojson"}),
            "path": tmp_path / "site.yaml",
        }
    )


# --- raster -------------------------------------------------------------------------------------


def write_raster(
    path: Path,
    values: np.ndarray,
    *,
    west: float,
    north: float,
    size: float,
    crs: str = "EPSG:4326",
    nodata: float | None = -99.0,
) -> None:
    """A one-band GeoTIFF of people per cell, written by hand."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(size, 0.0, west, 0.0, -size, north),
        nodata=nodata,
    ) as dst:
        dst.write(values.astype("float32"), 1)


# 4 x 4 cells of 0.1 degree from (3.9 W edge, 50.3 N edge): the columns at 3.95 and the row at
# 50.25 lie outside the square (4.0-4.2, 50.0-50.2); one cell is nodata.
GRID = np.array(
    [
        [1000, 1000, 1000, 1000],  # centres at lat 50.25: outside
        [7, 10, 20, -99],  # lat 50.15; lon 3.95 (outside), 4.05, 4.15, 4.25 (outside, nodata)
        [5, 30, 40, 9],  # lat 50.05
        [8, 8, 8, 8],  # lat 49.95: outside
    ],
    dtype=float,
)


def test_raster_cells_become_weighted_points_clipped_to_the_boundary(tmp_path):
    write_raster(tmp_path / "pop.tif", GRID, west=3.9, north=50.3, size=0.1)
    inv = site_in(tmp_path, "source: hand-made raster\nunits: raster\npath: pop.tif\n")
    pop = load_population(inv)
    assert pop is not None and pop.kind == "raster"
    cells = {(round(u.lat, 2), round(u.lon, 2)): u.population for u in pop.units}
    assert cells == {(50.15, 4.05): 10, (50.15, 4.15): 20, (50.05, 4.05): 30, (50.05, 4.15): 40}
    assert pop.total == 100 and all(u.kind == "cell" for u in pop.units)
    result = site_coverage(inv, population=pop, categories=["health.cmr"])
    # the clinic sits at a corner shared by the four cells: each is ~5.5 km (lat) by ~3.6 km
    # (lon) away, i.e. about 6.6 min at 60 km/h: everybody within 30 min
    assert result.category("health.cmr").within[30] == 1.0
    assert [u.name for u in result.units] == ["raster cells (4 points)"]


def test_a_raster_in_another_crs_and_in_blocks(tmp_path):
    from pyproj import Transformer

    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    west, north = to_merc.transform(4.0, 50.2)
    size = 2000.0  # metres: 4 x 4 cells cover about 0.07 degrees of longitude, inside the square
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    write_raster(tmp_path / "pop.tif", values, west=west, north=north, size=size, crs="EPSG:3857")
    inv = site_in(tmp_path, "source: s\nunits: raster\npath: pop.tif\nblock: 2\n")
    pop = load_population(inv)
    assert pop is not None and len(pop.units) == 4  # 2 x 2 blocks of 2 x 2 cells
    assert sorted(u.population for u in pop.units) == [14, 22, 46, 54]  # e.g. 1+2+5+6
    top_left = max(pop.units, key=lambda u: (u.lat, -u.lon))
    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(
        west + size, north - size
    )  # the block's centre is the shared corner of its four cells
    assert (top_left.lat, top_left.lon) == pytest.approx((lat, lon), abs=1e-6)
    assert top_left.population == 14


def test_a_raster_is_scaled_down_to_the_known_total(tmp_path):
    write_raster(tmp_path / "pop.tif", GRID, west=3.9, north=50.3, size=0.1)
    manifest = (
        "source: s\nunits: raster\npath: pop.tif\ntotal: {value: 50, year: 2020, source: census}\n"
    )
    pop = load_population(site_in(tmp_path, manifest))
    assert pop is not None and pop.total == pytest.approx(50)
    assert pop.known_total is not None and pop.known_total.year == 2020
    assert "scaled" in pop.method


def test_a_raster_without_crs_or_with_negative_cells_is_refused(tmp_path):
    write_raster(tmp_path / "pop.tif", -GRID, west=3.9, north=50.3, size=0.1, nodata=None)
    inv = site_in(tmp_path, "source: s\nunits: raster\npath: pop.tif\n")
    with pytest.raises(InventoryError, match=r"pop\.tif: negative people"):
        load_population(inv)
    (tmp_path / "pop.tif").write_text("not a tiff", encoding="utf-8")
    with pytest.raises(InventoryError, match=r"pop\.tif: not a readable raster"):
        load_population(site_in(tmp_path, "source: s2\nunits: raster\npath: pop.tif\n"))


# --- village points ----------------------------------------------------------------------------

VILLAGES = """name,lat,lon,pop_2009
Near,50.11,4.10,300
Far,50.19,4.19,700
Outside,51.00,5.00,9000
Empty,50.05,4.05,
"""


def test_village_points_from_a_csv(tmp_path):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    manifest = (
        "source: village census\nunits: points\npath: villages.csv\npopulation_field: pop_2009\n"
        "total: {value: 1000, year: 2009, source: census}\n"
    )
    inv = site_in(tmp_path, manifest)
    pop = load_population(inv)
    assert pop is not None
    assert {u.name: u.population for u in pop.units} == {"Near": 300, "Far": 700}
    result = site_coverage(inv, population=pop, categories=["health.cmr"])
    assert result.complete is True and result.population_counted == 1000
    minutes = {u.name: u.minutes["health.cmr"] for u in result.units}
    assert minutes["Near"] == pytest.approx(1.1, abs=0.05)  # 0.01 degree of latitude, 60 km/h
    assert result.category("health.cmr").within[30] == 1.0


def test_village_points_from_geojson(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"name": n, "people": p},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for n, lat, lon, p in [("A", 50.12, 4.12, 120), ("B", 50.02, 4.02, 80), ("C", 52, 6, 5)]
    ]
    (tmp_path / "v.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    inv = site_in(tmp_path, "source: s\nunits: points\npath: v.geojson\npopulation_field: people\n")
    pop = load_population(inv)
    assert pop is not None and {u.name: u.population for u in pop.units} == {"A": 120, "B": 80}


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (
            "name,lat,lon,pop_2009\nA,50.1,4.1,many\n",
            r"villages\.csv:2: pop_2009: 'many' is not a number",
        ),
        (
            "name,lat,lon,people\nA,50.1,4.1,5\n",
            r"villages\.csv: no column 'pop_2009' \(set population_field",
        ),
        ("name,lat,lon,pop_2009\nA,95,4.1,5\n", r"villages\.csv:2: lat: 95 is out of range"),
    ],
)
def test_a_bad_village_file_names_file_line_and_field(tmp_path, csv_text, message):
    (tmp_path / "villages.csv").write_text(csv_text, encoding="utf-8")
    inv = site_in(
        tmp_path, "source: s\nunits: points\npath: villages.csv\npopulation_field: pop_2009\n"
    )
    with pytest.raises(InventoryError, match=message) as err:
        load_population(inv)
    assert "\n" not in str(err.value)


# --- the known total ---------------------------------------------------------------------------


def test_a_total_from_a_csv_column_with_a_filter(tmp_path):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    (tmp_path / "table.csv").write_text(
        "municipality,population\nA1,600\nA1,900\nB2,5000\n", encoding="utf-8"
    )
    manifest = (
        "source: s\nunits: points\npath: villages.csv\npopulation_field: pop_2009\n"
        "total:\n  path: table.csv\n  column: population\n  where: {municipality: A1}\n"
        "  year: 2013\n  source: {en: national table, fr: table nationale}\n"
    )
    inv = site_in(tmp_path, manifest)
    pop = load_population(inv)
    assert pop is not None and pop.known_total is not None
    assert pop.known_total.people == 1500 and pop.known_total.source_in("fr") == "table nationale"
    result = site_coverage(inv, population=pop, categories=["health.cmr"])
    assert result.counted_share == pytest.approx(1000 / 1500) and result.complete is False
    assert result.total_source_in("en") == "national table (2013)"


@pytest.mark.parametrize(
    ("total", "message"),
    [
        (
            "{value: 10, path: table.csv, row: x}",
            r"population\.yaml: total: .*either 'value' or 'path'",
        ),
        ("{path: table.csv, column: people}", r"table\.csv: total\.column: no column 'people'"),
        (
            "{path: table.csv, column: population, where: {municipality: Z9}}",
            r"table\.csv: total\.where: no row",
        ),
        ("{path: table.csv, row: Total}", r"table\.csv: total\.row: no row 'Total'"),
        ("{value: 10, year: 20}", r"population\.yaml: total\.year: "),
    ],
)
def test_a_bad_total_names_file_and_field(tmp_path, total, message):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    (tmp_path / "table.csv").write_text("municipality,population\nA1,600\n", encoding="utf-8")
    manifest = "source: s\nunits: points\npath: villages.csv\npopulation_field: pop_2009\n"
    manifest += f"total: {total}\n"
    with pytest.raises(InventoryError, match=message) as err:
        load_population(site_in(tmp_path, manifest))
    assert "\n" not in str(err.value)


def test_the_command_reports_a_bad_population_file_in_one_line(tmp_path, capsys):
    site = TINY.read_text(encoding="utf-8").replace(
        "  travel:", "  boundary: boundary.geojson\n  travel:", 1
    )
    (tmp_path / "tiny.yaml").write_text(site, encoding="utf-8")
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[4.2, 50.7], [4.5, 50.7], [4.5, 51.0], [4.2, 51.0], [4.2, 50.7]]],
        },
    }
    (tmp_path / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    (tmp_path / "villages.csv").write_text("name,lat,lon,pop\nA,50.85,4.35,ten\n", encoding="utf-8")
    (tmp_path / "population.yaml").write_text(
        "source: s\nunits: points\npath: villages.csv\npopulation_field: pop\n", encoding="utf-8"
    )
    assert main(["coverage", str(tmp_path / "tiny.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "villages.csv:2: pop: 'ten' is not a number" in err
