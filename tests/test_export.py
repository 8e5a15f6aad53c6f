"""Every export format opened in its real reader: GDAL/pyogrio, networkx, libhxl, the official
HSDS schemas, pypdf; plus the protocol's content and escaping, atomic writes and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import json
import shutil
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import networkx as nx
import pyogrio
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from pathways.analysis.gaps import find_gaps
from pathways.cli import main
from pathways.i18n import catalogs
from pathways.io.export import ExportOptions, export
from pathways.io.export._write import atomic_output
from pathways.io.export.hsds import CSV_FILES, TABLES
from pathways.io.export.sheet import COLUMNS, HXL_TAGS
from pathways.io.load import load_site, read_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY, Inventory

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.yaml"
SITES = Path(__file__).parents[1] / "data" / "sites"
HSDS_SCHEMA = DATA / "hsds-3" / "tabular.json"
AS_OF = dt.date(2026, 11, 20)
OPTS = ExportOptions(as_of=AS_OF)


@pytest.fixture(scope="module")
def tiny() -> Inventory:
    return load_site(TINY)


@pytest.fixture(scope="module")
def brussels() -> Inventory:
    return load_site(SITES / "brussels.yaml")


def without_confidential(inv: Inventory) -> Inventory:
    """The inventory minus its confidential services and the routes that touch them."""
    keep = [s for s in inv.services if not s.confidential]
    ids = {s.id for s in keep}
    refs = [r for r in inv.referrals if r.source_id in ids and r.target_id in ids]
    return Inventory(site=inv.site, services=tuple(keep), referrals=tuple(refs), path=inv.path)


# --- GeoJSON -----------------------------------------------------------------------------------


def test_geojson_is_rfc7946_and_gdal_reads_it(tmp_path, tiny):
    out = export(tiny, tmp_path / "tiny.geojson", format="geojson", options=OPTS)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    points = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    lines = [f for f in data["features"] if f["geometry"]["type"] == "LineString"]
    assert len(points) == 5 and len(lines) == 3
    for f in points:
        lon, lat = f["geometry"]["coordinates"]
        assert 4 < lon < 5 and 50 < lat < 51  # [lon, lat], RFC 7946 §3.1.1
    gdf = pyogrio.read_dataframe(out)
    assert len(gdf) == 8 and gdf.crs.to_epsg() == 4326
    assert pyogrio.read_info(out)["driver"] == "GeoJSON"


def test_geojson_hidden_service_is_listed_not_placed(tmp_path, brussels):
    data = json.loads(
        export(brussels, tmp_path / "b.geojson", format="geojson", options=OPTS).read_text()
    )
    by_id = {f["id"]: f for f in data["features"]}
    hidden = by_id["bxl-shelter-trafficking"]
    assert hidden["geometry"] is None and "location" not in hidden["properties"]
    for f in data["features"]:
        if f["geometry"] and f["geometry"]["type"] == "LineString":
            assert "bxl-shelter-trafficking" not in (f["properties"]["from"], f["properties"]["to"])


@pytest.mark.parametrize("path", [TINY, *sorted(SITES.glob("*.yaml"))], ids=lambda p: p.stem)
def test_geojson_round_trip_keeps_services_and_referrals(tmp_path, path):
    """YAML -> GeoJSON (no lines) -> load_site: equal for a non-confidential inventory."""
    inv = without_confidential(load_site(path))
    out = tmp_path / f"{inv.site.id}.geojson"
    export(inv, out, format="geojson", options=ExportOptions(lines=False))
    back = load_site(out)
    assert back.services == inv.services
    assert back.referrals == inv.referrals
    assert back.site.model_copy(update={"boundary": None, "areas": None}) == inv.site.model_copy(
        update={"boundary": None, "areas": None}
    )
    if inv.site.boundary:  # paths are rewritten so they still find the same files
        assert back.resolve_path(back.site.boundary) == inv.resolve_path(inv.site.boundary)


def test_geojson_round_trip_confidential_comes_back_at_its_public_place(tmp_path, tiny):
    """Dropped by design: a confidential service's true location (and its intake point)."""
    from pathways.public.privacy import public_place

    out = export(tiny, tmp_path / "t.geojson", format="geojson", options=ExportOptions(lines=False))
    back = read_site(out)  # the file as written: the shelter at its public place
    shelter, again = tiny.by_id["shelter"], back.by_id["shelter"]
    place = public_place(shelter, tiny)
    assert (again.location.lat, again.location.lon) == (place.lat, place.lon)
    assert again.model_copy(update={"location": shelter.location}) == shelter
    assert [s for s in back.services if s.id != "shelter"] == [
        s for s in tiny.services if s.id != "shelter"
    ]


# --- GeoPackage --------------------------------------------------------------------------------


def test_gpkg_has_four_layers_for_qgis(tmp_path, brussels):
    import geopandas as gpd

    out = export(brussels, tmp_path / "b.gpkg", format="gpkg", options=OPTS)
    layers = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert layers == {
        "services": "Point",
        "referrals": "LineString",
        "boundaries": "MultiPolygon",
        "gaps": "MultiPoint",
    }
    services = gpd.read_file(out, layer="services")
    assert len(services) == len(brussels.services) and services.crs.to_epsg() == 4326
    hidden = services.set_index("id").loc["bxl-shelter-trafficking"]
    assert hidden.geometry is None and hidden["precision"] == "hidden"
    referrals = gpd.read_file(out, layer="referrals")
    assert len(referrals) == len(brussels.referrals)
    assert len(gpd.read_file(out, layer="boundaries")) > 0
    gaps = gpd.read_file(out, layer="gaps")
    assert len(gaps) == len(find_gaps(brussels, as_of=AS_OF))
    assert set(gaps["severity"]) <= {"critical", "major", "minor"}
    assert gaps["action"].notna().all() and gaps["owner"].notna().all()  # what to do, who


# --- CSV and HXL -------------------------------------------------------------------------------


def test_csv_one_row_per_service(tmp_path, tiny):
    out = export(tiny, tmp_path / "t.csv", format="csv", options=OPTS)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [s.id for s in tiny.services]
    assert tuple(rows[0]) == COLUMNS
    by_id = {r["id"]: r for r in rows}
    assert by_id["hospital"]["categories"] == "health.cmr, mhpss"
    assert by_id["hospital"]["lat"] == "50.835" and by_id["hospital"]["entry_point"] == "yes"
    assert by_id["shelter"]["precision"] == "area" and by_id["shelter"]["address"] == ""
    assert by_id["ngo"]["hours"].startswith("mon 09:00-17:00")


def test_hxl_reads_in_libhxl(tmp_path, tiny):
    import hxl

    out = export(tiny, tmp_path / "t.csv", format="hxl", options=OPTS)
    with out.open("rb") as f:
        source = hxl.data(hxl.input.make_input(f, hxl.InputOptions(allow_local=True)))
        rows = list(source)
        tags = [c.display_tag for c in source.columns]
    assert tags == list(HXL_TAGS.values())
    for tag in ("#org+name", "#meta+id", "#geo+lat", "#geo+lon", "#contact+phone", "#sector"):
        assert tag in tags
    assert [r.get("#meta+id") for r in rows] == [s.id for s in tiny.services]
    hospital = rows[0]
    assert hospital.get("#loc+name") == "Hospital care centre"
    assert hospital.get("#org") == "Public hospital"  # libhxl matches #org to #org+name
    assert float(hospital.get("#geo+lat")) == 50.835
    assert hospital.get("#service+type+code") == "health.cmr, mhpss"
    assert hospital.get("#adm1+name") == "Tiny Town"
    assert "Health" in hospital.get("#sector")


# --- networks ----------------------------------------------------------------------------------


def test_graphml_and_gexf_read_in_networkx(tmp_path, tiny):
    G = nx.read_graphml(export(tiny, tmp_path / "t.graphml", format="graphml", options=OPTS))
    assert G.number_of_nodes() == 5 and G.number_of_edges() == 3
    assert G.nodes["hospital"]["categories"] == "health.cmr, mhpss"
    assert G.nodes["hospital"]["entry_point"] is True
    assert G.edges["police", "hospital"]["delay_hours"] == 1.0
    assert G.edges["police", "hospital"]["mode"] == "escorted"
    assert G.nodes["shelter"]["precision"] == "area"
    H = nx.read_gexf(export(tiny, tmp_path / "t.gexf", format="gexf", options=OPTS))
    assert set(H.nodes) == set(G.nodes) and H.number_of_edges() == 3
    assert H.nodes["hospital"]["viz"]["position"]["x"] == pytest.approx(4.348)


def test_network_of_several_sites_prefixes_ids(tmp_path, tiny, brussels):
    G = nx.read_graphml(export([tiny, brussels], tmp_path / "two.graphml", format="graphml"))
    assert "tiny:hospital" in G and "brussels:bxl-cpvs-centre" in G
    assert G.number_of_nodes() == len(tiny.services) + len(brussels.services)


# --- HSDS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hsds_schema() -> dict:
    return json.loads(HSDS_SCHEMA.read_text(encoding="utf-8"))


def _validator(schema: dict) -> jsonschema.Validator:
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _check_tables(tables: dict, schema: dict) -> None:
    """Every row valid for its table (required + tabular_required) and every link resolves."""
    for table in TABLES:
        item = schema["properties"][table]["items"]
        row_schema = {**item, "required": item["required"] + item.get("tabular_required", [])}
        validator = _validator(row_schema)
        for row in tables[table]:
            errors = [e.message for e in validator.iter_errors(row)]
            assert not errors, (table, row, errors)
    ids = {t: {r["id"] for r in tables[t]} for t in TABLES}
    for s in tables["service"]:
        assert s["organization_id"] in ids["organization"]
    for sal in tables["service_at_location"]:
        assert sal["service_id"] in ids["service"] and sal["location_id"] in ids["location"]
    for t in ("phone", "schedule", "language"):
        assert all(r["service_id"] in ids["service"] for r in tables[t])
    for a in tables["attribute"]:
        assert a["link_id"] in ids["service"] and a["taxonomy_term_id"] in ids["taxonomy_term"]
    codes = {t["code"] for t in tables["taxonomy_term"]}
    assert set(TAXONOMY) <= codes


def test_hsds_json_is_valid_against_the_official_schema(tmp_path, brussels, hsds_schema):
    out = export(brussels, tmp_path / "b.json", format="hsds", options=OPTS)
    data = json.loads(out.read_text(encoding="utf-8"))
    errors = [e.message for e in _validator(hsds_schema).iter_errors(data)]
    assert not errors
    _check_tables(data, hsds_schema)
    assert len(data["service"]) == len(brussels.services)
    assert data["referral_atlas"]["site"]["id"] == "brussels"


def _typed(value: str, spec: dict):
    return float(value) if spec.get("type") == "number" else value


def test_hsds_csv_datapackage_is_valid(tmp_path, brussels, hsds_schema):
    out = export(brussels, tmp_path / "b.zip", format="hsds", options=OPTS)
    with zipfile.ZipFile(out) as z:
        package = json.loads(z.read("datapackage.json"))
        tables = {}
        for res in package["resources"]:
            assert res["path"] == CSV_FILES[res["name"]]
            fields = {f["name"]: f for f in res["schema"]["fields"]}
            with z.open(res["path"]) as f:
                reader = csv.DictReader(f.read().decode("utf-8").splitlines())
                assert reader.fieldnames == list(fields)
                tables[res["name"]] = [
                    {k: _typed(v, fields[k]) for k, v in row.items() if v != ""} for row in reader
                ]
    assert package["profile"] == "tabular-data-package"
    _check_tables(tables, hsds_schema)
    as_json = json.loads(export(brussels, tmp_path / "b.json", format="hsds").read_text())
    assert {t: len(tables[t]) for t in TABLES} == {t: len(as_json[t]) for t in TABLES}


def test_hsds_folder_is_replaced_only_when_it_is_a_package(tmp_path, tiny):
    folder = tmp_path / "pkg"
    export(tiny, folder, format="hsds")
    export(tiny, folder, format="hsds")  # a package folder: replaced whole
    assert (folder / "datapackage.json").is_file()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InventoryError, match="not a data package folder"):
        export(tiny, other, format="hsds")
    assert (other / "notes.txt").read_text() == "keep me"


# --- protocol ----------------------------------------------------------------------------------


def _hostile(tmp_path: Path) -> Path:
    text = TINY.read_text(encoding="utf-8").replace(
        "name: Hospital care centre", "name: \"<script>alert('x')</script> & Co\""
    )
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_protocol_html_escapes_inventory_text_and_shows_the_pathway(tmp_path):
    inv = load_site(_hostile(tmp_path))
    html = export(inv, tmp_path / "p.html", format="protocol", options=OPTS).read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    for text in (
        "ILLUSTRATIVE DATA",
        "72 hours",
        "120 hours",
        "Where survivors can arrive directly",
        "Police station",
        "+32 2 000 00 01",
        "Known gaps",
        "2026-11-20",
    ):
        assert text in html, text
    assert "area level" in html  # the shelter: withheld, and it says so


def test_protocol_in_french(tmp_path, tiny):
    html = export(
        tiny, tmp_path / "p.html", format="protocol", options=ExportOptions(lang="fr", as_of=AS_OF)
    ).read_text()
    for text in (
        "DONNÉES ILLUSTRATIVES",
        "72 heures",
        "Horaires",
        "lun–jeu 09:00–17:00",
        "Français",
    ):
        assert text in html, text


def test_protocol_words_come_from_the_catalogs(tmp_path, tiny, monkeypatch):
    """A language's catalog gives its protocol, English for what it leaves out: no code."""
    folder = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, folder)
    po = folder / "ar" / "LC_MESSAGES" / "atlas.po"
    with po.open("rb") as fp:
        catalog = read_po(fp, locale="ar")
    catalog["protocol_entry_title"].string = "حيث يمكن للناجيات الوصول مباشرة"
    with (po.parent / "atlas.mo").open("wb") as fp:
        write_mo(fp, catalog)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", folder)
    catalogs.clear_caches()
    try:
        html = export(
            tiny, tmp_path / "p.html", format="protocol", options=ExportOptions(lang="ar")
        ).read_text(encoding="utf-8")
    finally:
        catalogs.clear_caches()
    assert '<html lang="ar" dir="rtl">' in html
    assert "<h2>حيث يمكن للناجيات الوصول مباشرة</h2>" in html
    assert "Where survivors can arrive directly" not in html
    assert "Steps for each need" in html  # not translated: English


def test_protocol_field_verified_says_so(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace("illustrative", "field-verified")
    (tmp_path / "v.yaml").write_text(text, encoding="utf-8")
    html = export(
        load_site(tmp_path / "v.yaml"), tmp_path / "p.html", format="protocol"
    ).read_text()
    assert "Field-verified data" in html and "ILLUSTRATIVE DATA" not in html


def test_protocol_pdf_reads_in_pypdf(tmp_path, tiny):
    import pypdf

    for lang, words in (("en", ("ILLUSTRATIVE DATA", "72 hours")), ("fr", ("72 heures",))):
        out = export(
            tiny, tmp_path / f"p-{lang}.pdf", format="protocol", options=ExportOptions(lang=lang)
        )
        reader = pypdf.PdfReader(out)
        first = reader.pages[0].extract_text()
        assert "Tiny Town" in first
        for w in words:
            assert w in first
        everything = " ".join(p.extract_text() for p in reader.pages)
        assert "Women's NGO" in everything and "+32 2 000 00 01" in everything


def test_protocol_template_ships_with_the_package():
    """The HTML template is package data: a wheel without it writes no protocol."""
    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["pathways"]
    template = "io/export/templates/protocol.html.j2"
    assert (root / "pathways" / template).is_file()
    assert any(fnmatch.fnmatch(template, g) for g in globs), globs


# --- writing whole or not at all; the command line ---------------------------------------------


def test_atomic_output_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_export_to_a_missing_folder_is_a_user_error(tmp_path, tiny):
    with pytest.raises(InventoryError, match="does not exist"):
        export(tiny, tmp_path / "no" / "such.csv", format="csv")


def test_cli_export_writes_and_reports(tmp_path, capsys):
    out = tmp_path / "t.geojson"
    assert main(["export", str(TINY), "--format", "geojson", "--out", str(out)]) == 0
    assert out.is_file() and f"wrote {out}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([str(SITES), "--format", "geojson", "--out", "x.geojson"], "writes one site per file"),
        (["--format", "protocol", "--out", "x.txt"], "written as .html or .pdf"),
        (["--format", "hsds", "--out", "x.xml"], "written as .json, .zip or a folder"),
        (["--format", "csv", "--out", "no/such/x.csv"], "does not exist"),
    ],
)
def test_cli_export_mistakes_are_one_line(tmp_path, capsys, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    code = main(["export", str(TINY), *args])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and expected in err
    assert not any(tmp_path.iterdir())
