"""Every output the program can produce, on a site with a confidential service of every tier:
no true location (within 1 km, in any encoding) and no secret address or area name, ever.

The site (tests/data/secret/) has a shelter shown by its admin area, one snapped to the grid, one
with a public intake point, a hidden one, one whose intake is too close to use, and a
confidential clinic that is an entry point. Each has an address and area name starting with
SECRET-. Every public coordinate of the fixture lies more than 1 km from every true location,
so the checker (tests/leaks.py) needs no exceptions; its self-test plants a leak in every
encoding and expects it found.

Outputs swept: interactive maps (online, offline, route, coverage, gaps, clustering on and off,
English and French), the static PNG (its metadata: pixels are pixels), every export format and
download, every command (`validate`, `gaps`, `route`, `compare`, `map`, `coverage`, `export`,
`import`, `diff`, text and JSON), error messages on a confidential service's line, every page of
the app (every element's proto, dataframes and the map component's arguments), and everything
logged at DEBUG meanwhile.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pathways.cli import main
from pathways.io.load import load_site, read_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_places
from tests.leaks import Secrets, bytes_leaks, text_leaks

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "data" / "secret"
SITE = FIXTURE / "sites" / "secret.yaml"
AS_OF = dt.date(2026, 11, 20)
CONFIDENTIAL = (
    "shelter-area",
    "shelter-grid",
    "shelter-intake",
    "shelter-hidden",
    "shelter-close",
    "safe-clinic",
)
ENTRIES = ("hospital", "police", "ngo", "safe-clinic")
NEEDS = (
    ["health.cmr"],
    ["safety.shelter"],
    ["health.cmr", "safety.shelter", "case_management", "legal"],
    ["mhpss", "legal"],
)


# --- the fixture and its secrets ---------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tests/data/secret (so outputs written beside it stay in a temporary folder)."""
    folder = tmp_path_factory.mktemp("secret")
    shutil.copytree(FIXTURE, folder, dirs_exist_ok=True)
    return folder / "sites" / "secret.yaml"


@pytest.fixture(scope="module")
def inv(site: Path) -> Inventory:
    return load_site(site)


def secrets_of(inv: Inventory) -> Secrets:
    """The true locations and secret words of the confidential services; public coordinates.

    `inv` is the inventory as validation reads it (`read_site`): with the true locations."""
    points, words = [], []
    for s in inv.services:
        if s.confidential:
            points.append((s.location.lat, s.location.lon))
            words += [w for w in (s.location.address, s.location.area) if w]
    secrets = Secrets(points, [*sorted(set(words)), "SECRET-"])
    places = public_places(inv)
    public = [(p.lat, p.lon) for p in places.values() if p is not None]
    public += [(s.location.lat, s.location.lon) for s in inv.services if not s.confidential]
    for rel in (inv.site.boundary, inv.site.areas.path if inv.site.areas else None):
        if rel:
            data = json.loads(inv.resolve_path(rel).read_text(encoding="utf-8"))
            for f in data["features"]:
                public += [(y, x) for ring in f["geometry"]["coordinates"] for x, y in ring]
    secrets.add_public(public)
    return secrets


@pytest.fixture(scope="module")
def secrets(site: Path) -> Secrets:
    return secrets_of(read_site(site))


def assert_clean(label: str, payload: str | bytes, secrets: Secrets) -> None:
    found = (
        bytes_leaks(payload, secrets)
        if isinstance(payload, bytes)
        else text_leaks(payload, secrets)
    )
    assert not found, f"{label}: {found[:5]}"


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator:
    """Whatever is logged at DEBUG during a test carries no secret either."""
    caplog.set_level(logging.DEBUG)
    yield
    if "secrets" in request.fixturenames:
        secrets = request.getfixturevalue("secrets")
        text = "\n".join(r.getMessage() for r in caplog.records)
        assert_clean("logs", text, secrets)


def test_the_fixture_hides_every_tier(inv: Inventory, secrets: Secrets) -> None:
    from pathways.public.privacy import distance_m

    places = public_places(inv)
    tiers = {sid: (p.precision if p else "hidden") for sid, p in places.items()}
    assert {tiers[s] for s in CONFIDENTIAL} == {"area", "intake", "hidden"}
    assert places["shelter-area"].area == "West Commune"  # by admin area
    assert places["shelter-grid"].area is None  # by grid
    # in East Commune's core: shown at the commune's alternate point, not its centre
    assert places["shelter-close"].area == "East Commune"
    assert (places["shelter-close"].lat, places["shelter-close"].lon) != (
        places["safe-clinic"].lat,
        places["safe-clinic"].lon,
    )
    assert len(secrets.points) == len(CONFIDENTIAL)
    for lat, lon in secrets.points:
        assert round(lat, 5) not in secrets.public_values
        assert round(lon, 5) not in secrets.public_values
        for p in places.values():
            if p is not None:
                assert distance_m(lat, lon, p.lat, p.lon) >= 1000


# --- the checker catches a planted leak, in every encoding -------------------------------------


def _planted(lat: float, lon: float) -> dict[str, str | bytes]:
    import shapely

    wkb = shapely.to_wkb(shapely.Point(lon + 0.001, lat - 0.001))
    e7 = (round(lat * 1e7), round(lon * 1e7))
    return {
        "2 digits": f"at {lat:.2f}, {lon:.2f} tonight",
        "8 digits lon,lat": f"[{lon:.8f},{lat:.8f}]",
        "geojson": json.dumps({"type": "Point", "coordinates": [lon + 0.004, lat - 0.003]}),
        "json floats": json.dumps({"lat": lat, "precision": "exact", "lon": lon}),
        "escaped string": json.dumps(json.dumps({"lat": lat, "lon": lon})),
        "unicode escapes": "".join(f"\\u{ord(c):04x}" for c in f"{lat},{lon}"),
        "html entities": "".join(f"&#{ord(c)};" for c in f"{lat} {lon}"),
        "url": f"https://maps.example.org/?q={lat}%2C{lon}",
        "markdown": f"{lat:.4f}".replace(".", "\\.") + " \\- " + f"{lon:.4f}".replace(".", "\\."),
        "decimal comma": f"{lat:.3f};{lon:.3f}".replace(".", ","),
        "E7": f"lat_e7={e7[0]} lon_e7={e7[1]}",
        "xml": f'<node lat="{lat:.5f}" id="7" lon="{lon:.5f}"/>',
        "wkb": b"GP\x00\x01" + wkb,
        "packed doubles, big-endian": b"\x00" * 3 + struct.pack(">dd", lat, lon),
        "envelope": struct.pack("<dddd", lon, lon, lat, lat),
        "float32": struct.pack("<ff", lon, lat),
    }


def test_the_checker_catches_a_planted_leak_in_every_encoding(secrets: Secrets) -> None:
    lat, lon = secrets.points[0]
    for name, payload in _planted(lat, lon).items():
        found = (
            bytes_leaks(payload, secrets)
            if isinstance(payload, bytes)
            else text_leaks(payload, secrets)
        )
        assert found, f"the checker missed a leak written as {name}: {payload!r}"
    assert text_leaks("Rue: SECRET\\-ADDRESS\\-1 12", secrets)  # Markdown-escaped
    assert bytes_leaks("Quartier SECRET-AREA-1".encode("utf-16-le"), secrets)


def test_the_checker_lets_public_places_through(inv: Inventory, secrets: Secrets) -> None:
    places = [p for p in public_places(inv).values() if p is not None]
    text = " ".join(f"[{p.lon}, {p.lat}] {p.lat},{p.lon}" for p in places)
    assert text_leaks(text, secrets) == []
    assert bytes_leaks(b"".join(struct.pack("<dd", p.lon, p.lat) for p in places), secrets) == []
    a, b = secrets.points[0]
    assert text_leaks(f"{a + 0.0095:.4f} {b:.4f}", secrets) == []  # 1.06 km north: allowed


# --- maps --------------------------------------------------------------------------------------


def _routes(inv: Inventory) -> list[Any]:
    from pathways.analysis.graph import build_referral_graph
    from pathways.analysis.routes import Profile, route

    out = []
    G = build_referral_graph(inv)
    for entry in ENTRIES:
        for needs in NEEDS:
            out.append(route(G, Profile(entry=entry, weekday=5, hour=23.0), need=needs))
    for lat, lon in [(50.8800, 4.4080), (50.8150, 4.3150), (50.84, 4.36)]:
        out.append(route(G, Profile(location=(lat, lon)), need=["health.cmr", "safety.shelter"]))
    return out


def test_interactive_maps(inv: Inventory, secrets: Secrets) -> None:
    from mapping.assets import standalone_html, use_served_assets
    from mapping.build import build_map
    from pathways.analysis.coverage import site_coverage
    from pathways.analysis.gaps import find_gaps

    gaps = find_gaps(inv, as_of=AS_OF)
    cov = site_coverage(inv)
    maps = {}
    for tiles in ("OpenStreetMap", None):
        for lang in ("en", "fr"):
            maps[f"{tiles}-{lang}"] = build_map(inv, tiles=tiles, lang=lang)
    maps["gaps"] = build_map(inv, gaps=gaps, tiles=None)
    maps["no-cluster"] = build_map(inv, gaps=gaps, tiles=None, cluster=False)
    maps["shelters"] = build_map(inv, categories=["safety.shelter"], tiles=None)
    for category in ("health.cmr", "safety.shelter", "mhpss"):
        maps[f"coverage-{category}"] = build_map(
            inv, coverage=cov, coverage_category=category, tiles=None
        )
    for i, r in enumerate(_routes(inv)):
        maps[f"route-{i}"] = build_map(inv, route=r, tiles=None, lang="fr" if i % 2 else "en")
    for name, m in maps.items():  # the standalone file adds Leaflet, the same for every map
        html = standalone_html(m) if name in ("None-en", "gaps") else m.get_root().render()
        assert_clean(f"map {name}", html, secrets)
    served = use_served_assets(build_map(inv, gaps=gaps))
    assert_clean("map with served assets", served.get_root().render(), secrets)


def _png_text(blob: bytes) -> str:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG."""
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    i, out = 8, []
    while i < len(blob):
        n = struct.unpack(">I", blob[i : i + 4])[0]
        kind, data = blob[i + 4 : i + 8], blob[i + 8 : i + 8 + n]
        if kind == b"tEXt":
            out.append(data.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = data.partition(b"\x00")
            out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            out.append(data.decode("utf-8", "replace"))
        i += 12 + n
    return "\n".join(out)


def test_static_png_metadata(inv: Inventory, secrets: Secrets, tmp_path: Path) -> None:
    from mapping.static import save_png
    from pathways.analysis.coverage import site_coverage
    from pathways.analysis.gaps import find_gaps

    every = save_png(  # every layer at once: gaps, a route through shelters, coverage
        inv,
        tmp_path / "all.png",
        gaps=find_gaps(inv, as_of=AS_OF),
        route=_routes(inv)[-4],
        coverage=site_coverage(inv),
        lang="fr",
    )
    assert main(["map", str(inv.path), "--out", str(tmp_path / "cli.png")]) == 0
    pngs = [every]
    for path in [*pngs, tmp_path / "cli.png"]:
        text = _png_text(path.read_bytes())
        assert "Software" in text  # the chunks were found and read
        assert_clean(f"png metadata {path.name}", text, secrets)


# --- exports and downloads ---------------------------------------------------------------------

TEXT_EXPORTS = {
    "geojson": ".geojson",
    "csv": ".csv",
    "hxl": ".csv",
    "graphml": ".graphml",
    "gexf": ".gexf",
    "hsds": ".json",
    "protocol": ".html",
}


def _zip_members(blob: bytes) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        for name in z.namelist():
            yield name, z.read(name)


def test_every_export_format(inv: Inventory, secrets: Secrets, tmp_path: Path) -> None:
    import geopandas as gpd
    import pypdf
    import shapely

    for fmt, suffix in TEXT_EXPORTS.items():
        for lang in ("en", "fr") if fmt in ("geojson", "csv", "protocol") else ("en",):
            out = tmp_path / f"{fmt}-{lang}{suffix}"
            args = ["export", str(inv.path), "--format", fmt, "--out", str(out), "--lang", lang]
            assert main([*args, "--as-of", AS_OF.isoformat()]) == 0
            assert_clean(f"export {fmt} {lang}", out.read_text(encoding="utf-8-sig"), secrets)
    assert (
        main(
            [
                "export",
                str(inv.path),
                "--format",
                "geojson",
                "--no-lines",
                "--out",
                str(tmp_path / "nolines.geojson"),
            ]
        )
        == 0
    )
    assert_clean("geojson --no-lines", (tmp_path / "nolines.geojson").read_text(), secrets)

    zipped = tmp_path / "hsds.zip"
    assert main(["export", str(inv.path), "--format", "hsds", "--out", str(zipped)]) == 0
    for name, data in _zip_members(zipped.read_bytes()):
        assert_clean(f"hsds zip {name}", data.decode("utf-8-sig"), secrets)
    folder = tmp_path / "hsds-folder"
    assert main(["export", str(inv.path), "--format", "hsds", "--out", str(folder)]) == 0
    for f in folder.rglob("*"):
        if f.is_file():
            assert_clean(f"hsds folder {f.name}", f.read_text(encoding="utf-8-sig"), secrets)

    pdf = tmp_path / "protocol.pdf"
    assert main(["export", str(inv.path), "--format", "protocol", "--out", str(pdf)]) == 0
    reader = pypdf.PdfReader(pdf)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Safe house West" in text  # the protocol lists the shelter, without its address
    assert_clean("protocol pdf text", text, secrets)
    assert_clean(
        "protocol pdf metadata", json.dumps(dict(reader.metadata or {}), default=str), secrets
    )

    for lang in ("en", "fr"):  # the pocket guide: phones and hours, never a place
        pocket = tmp_path / f"pocket-{lang}.pdf"
        args = ["export", str(inv.path), "--format", "pocket", "--out", str(pocket)]
        assert main([*args, "--lang", lang]) == 0
        reader = pypdf.PdfReader(pocket)
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert_clean(f"pocket pdf text {lang}", text, secrets)
        metadata = json.dumps(dict(reader.metadata or {}), default=str)
        assert_clean(f"pocket pdf metadata {lang}", metadata, secrets)

    gpkg = tmp_path / "out.gpkg"
    assert main(["export", str(inv.path), "--format", "gpkg", "--out", str(gpkg)]) == 0
    import pyogrio

    for layer, _ in pyogrio.list_layers(gpkg):
        gdf = gpd.read_file(gpkg, layer=layer)
        if "geometry" in gdf and len(gdf):
            coords = shapely.get_coordinates(gdf.geometry.dropna().values)
            assert_clean(
                f"gpkg {layer} geometries", " ".join(f"{y} {x}" for x, y in coords), secrets
            )
        assert_clean(
            f"gpkg {layer} attributes",
            gdf.drop(columns="geometry", errors="ignore").to_csv(),
            secrets,
        )
    assert_clean("gpkg bytes", gpkg.read_bytes(), secrets)


def test_every_download_of_the_app(inv: Inventory, secrets: Secrets) -> None:
    from pathways.analysis.gaps import find_gaps
    from views.viewmodels.downloads import EXPORT_FORMATS, OWN_FORMATS, available, download_bytes

    gaps = find_gaps(inv, as_of=AS_OF)
    for fmt in (*OWN_FORMATS, *EXPORT_FORMATS):
        if available(fmt):
            continue
        for lang in ("en", "fr") if fmt.name.startswith("protocol") else ("en",):
            data = download_bytes([inv], fmt, gaps=gaps, lang=lang)
            assert_clean(f"download {fmt.name} {lang}", data, secrets)
            if fmt.suffix == ".zip":
                for name, member in _zip_members(data):
                    assert_clean(f"download {fmt.name}/{name}", member.decode("utf-8-sig"), secrets)
            elif not fmt.binary:
                assert_clean(f"download {fmt.name} {lang} text", data.decode("utf-8-sig"), secrets)


# --- the command line --------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code in (0, 1), (argv, code)
    return f"{out.out}\n{out.err}"


def test_command_line_text_and_json(
    inv: Inventory, secrets: Secrets, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(inv.path)
    outputs: dict[str, str] = {}
    outputs["validate"] = _run(capsys, "validate", path)
    for extra in ([], ["--json"], ["--lang", "fr"], ["--as-of", "2030-01-01"]):
        outputs[f"gaps {extra}"] = _run(capsys, "gaps", path, *extra)
    for sid in CONFIDENTIAL:
        for extra in ([], ["--json"]):
            outputs[f"gaps --close {sid} {extra}"] = _run(
                capsys, "gaps", path, "--close", sid, *extra
            )
    outputs["gaps what-if"] = _run(
        capsys, "gaps", path, "--close", *CONFIDENTIAL, "--without-interpretation"
    )
    for entry in ENTRIES:
        for needs in NEEDS:
            for extra in ([], ["--json"], ["--day", "sat", "--hour", "23"]):
                argv = ["route", path, "--from", entry, "--need", ",".join(needs), *extra]
                outputs[" ".join(argv)] = _run(capsys, *argv)
    for lat, lon in secrets.points:
        for extra in ([], ["--json"]):
            argv = ["route", path, "--at", f"{lat},{lon}", "--need", "health.cmr,safety.shelter"]
            outputs[" ".join(argv + extra)] = _run(capsys, *argv, *extra)
    for extra in ([], ["--json"], ["--csv"]):
        outputs[f"compare {extra}"] = _run(capsys, "compare", path, *extra)
    for extra in ([], ["--json"], ["--units"], ["--category", "safety.shelter", "--units"]):
        outputs[f"coverage {extra}"] = _run(capsys, "coverage", path, *extra)
    outputs["map"] = _run(capsys, "map", path, "--out", str(tmp_path / "m.html"))
    outputs["map file"] = (tmp_path / "m.html").read_text(encoding="utf-8")
    outputs["map --offline"] = _run(
        capsys, "map", path, "--offline", "--out", str(tmp_path / "o.html")
    )
    outputs["map --offline file"] = (tmp_path / "o.html").read_text(encoding="utf-8")
    for label, text in outputs.items():
        assert_clean(label, text, secrets)
    assert "Safe house West" in outputs["gaps --close shelter-area []"] or outputs


def _moved(site: Path, folder: Path) -> Path:
    """A later version of the site: every shelter moved (true location, address and area)."""
    text = site.read_text(encoding="utf-8")
    text = text.replace("lat: 50.8150, lon: 4.3150", "lat: 50.8170, lon: 4.3190")
    text = text.replace("SECRET-ADDRESS-1 12 Rue Secrète", "SECRET-ADDRESS-1b 14 Rue Secrète")
    text = text.replace("lat: 50.7800, lon: 4.2700", "lat: 50.7820, lon: 4.2650")
    text = text.replace("SECRET-AREA-3 Clos-Discret", "SECRET-AREA-3b Clos")
    text = text.replace("location_precision: hidden", "location_precision: area")
    text = text.replace("confidential: true\n    serves: [women]\n", "confidential: true\n")
    out = folder / "sites" / "secret.yaml"
    out.parent.mkdir(parents=True)
    out.write_text(text, encoding="utf-8")
    shutil.copytree(site.parent.parent / "boundaries", folder / "boundaries")
    return out


def test_diff_of_two_versions(
    site: Path, secrets: Secrets, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    later = _moved(site, tmp_path)
    new = read_site(later)
    every = Secrets(secrets.points + secrets_of(new).points, secrets.words + secrets_of(new).words)
    every.public_values = secrets.public_values | secrets_of(new).public_values
    for old, new_path in ((site, later), (later, site)):
        for extra in ([], ["--json"], ["--lang", "fr"]):
            out = _run(capsys, "diff", str(old), str(new_path), "--as-of", "2026-11-20", *extra)
            assert "withheld" in out or "location" not in out
            assert_clean(f"diff {extra}", out, every)


def test_import_of_an_export_reports_nothing_secret(
    inv: Inventory, secrets: Secrets, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for fmt, name in (
        ("csv", "s.csv"),
        ("hxl", "h.csv"),
        ("hsds", "p.zip"),
        ("geojson", "g.geojson"),
    ):
        exported = tmp_path / name
        assert main(["export", str(inv.path), "--format", fmt, "--out", str(exported)]) == 0
        out = tmp_path / f"imported-{fmt}.yaml"
        text = _run(
            capsys, "import", str(exported), "--site", "again", "--country", "BE", "--out", str(out)
        )
        assert_clean(f"import {fmt} report", text, secrets)
        if out.exists():
            assert_clean(f"import {fmt} yaml", out.read_text(encoding="utf-8"), secrets)


# --- error messages ----------------------------------------------------------------------------

BROKEN = {
    # a typo on the shelter's own line: the problem names the line, never the place
    "unknown key": ('address: "SECRET-ADDRESS-1', 'adress: "SECRET-ADDRESS-1'),
    "swapped": ("lat: 50.8150, lon: 4.3150", "lat: 4.3150, lon: 50.8150"),
    "abroad": ("lat: 50.8150, lon: 4.3150", "lat: 48.8150, lon: 2.3150"),
    "in the sea": ("lat: 50.7800, lon: 4.2700", "lat: 51.7800, lon: 2.2700"),
    "out of range": ("lat: 50.8150, lon: 4.3150", "lat: 150.8150, lon: 4.3150"),
    "bad precision": ("location_precision: hidden", "location_precision: secret"),
    "number address": ('address: "SECRET-ADDRESS-2 Chemin Caché 3"', "address: 2"),
    "list area": ('area: "SECRET-AREA-3 Clos-Discret"', 'area: ["SECRET-AREA-3 Clos-Discret"]'),
    "intake as text": (
        'intake: {lat: 50.8466, lon: 4.3600, address: "Public intake desk, 5 Open Street", '
        "area: West Commune}",
        'intake: "50.8150, 4.4000"',
    ),
    "intake too close": (
        "intake: {lat: 50.8466, lon: 4.3600,",
        "intake: {lat: 50.8155, lon: 4.4005,",
    ),
    "duplicate id": ("id: shelter-grid", "id: shelter-area"),
    "bad referral": ("to: shelter-hidden", "to: shelter-hiden"),
}
VALUE_ECHO = {
    # pasted "lat, lon" into one field: the loader repeats the value in its message
    "pasted pair": ("lat: 50.8150, lon: 4.3150", 'lat: "50.8150 4.3150", lon: 4.3150'),
    "pasted pair in intake": ("intake: {lat: 50.8466,", 'intake: {lat: "50.8150,4.4000",'),
}


def _broken(site: Path, folder: Path, old: str, new: str, *, name: str = "secret.yaml") -> Path:
    """The site with one change, written to folder/sites/ (folder/boundaries/ beside it)."""
    text = site.read_text(encoding="utf-8")
    assert old in text, old
    out = folder / "sites" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    if not (folder / "boundaries").exists():
        shutil.copytree(site.parent.parent / "boundaries", folder / "boundaries")
    return out


def _errors(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(InventoryError) as e:
        load_site(path)
    text = str(e.value) + "\n" + _run(capsys, "validate", str(path))
    for command in (["gaps"], ["map", "--out", str(path.with_suffix(".html"))], ["coverage"]):
        text += _run(capsys, command[0], str(path), *command[1:])
    assert not path.with_suffix(".html").exists()
    return text


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_error_messages_on_a_confidential_line(
    site: Path, secrets: Secrets, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    old, new = BROKEN[name]
    path = _broken(site, tmp_path, old, new)
    assert_clean(f"errors ({name})", _errors(path, capsys), secrets)


@pytest.mark.parametrize("name", sorted(VALUE_ECHO))
def test_a_pasted_coordinate_pair_is_not_repeated(
    site: Path, secrets: Secrets, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    old, new = VALUE_ECHO[name]
    path = _broken(site, tmp_path, old, new)
    assert_clean(f"errors ({name})", _errors(path, capsys), secrets)


# --- the app -----------------------------------------------------------------------------------


def _keys() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("app_keys_sweep", ROOT / "views" / "keys.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def app_texts(at: Any) -> list[tuple[str, str | bytes]]:
    """Every element of the app's tree as text (proto JSON, dataframe CSV) and raw bytes."""
    from google.protobuf.json_format import MessageToDict

    out: list[tuple[str, str | bytes]] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            out.append((kind, json.dumps(MessageToDict(proto), ensure_ascii=False)))
            data = getattr(proto, "data", None) or getattr(
                getattr(proto, "arrow_data", None), "data", None
            )
            if isinstance(data, bytes) and data:
                out.append((f"{kind} arrow bytes", data))
            if getattr(proto, "json_args", None):
                out.append((f"{kind} json_args", proto.json_args))
        if kind in ("Dataframe", "Table"):
            try:
                out.append((f"{kind} value", node.value.to_csv()))
            except Exception as e:  # pragma: no cover - report, do not hide
                out.append((f"{kind} value unreadable", repr(e)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


@pytest.fixture
def app_folder(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sites"
    old, new = BROKEN["swapped"]
    _broken(site, tmp_path, "id: secret", "id: broken", name="broken.yaml")
    _broken(folder / "broken.yaml", tmp_path, old, new, name="broken.yaml")
    shutil.copy(site, folder / "secret.yaml")
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(folder))
    return folder


def _app(page: str | None = None) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _sweep(at: Any, label: str, secrets: Secrets) -> list[tuple[str, str | bytes]]:
    assert not at.exception, (label, at.exception)
    elements = app_texts(at)
    for kind, payload in elements:
        assert_clean(f"app {label}: {kind}", payload, secrets)
    return elements


def test_app_explore(app_folder: Path, secrets: Secrets) -> None:
    from views.viewmodels.explore import Selection

    keys = _keys()
    at = _app()
    elements = _sweep(at, "explore", secrets)
    maps = [p for kind, p in elements if kind.endswith("json_args")]
    assert len(maps) == 1 and "Safe house West" in maps[0]  # the map was read, shelters and all
    assert any(isinstance(p, bytes) for _, p in elements)  # and the dataframes' Arrow bytes
    assert any("could not" in e.value.lower() or "broken" in e.value for e in at.error)
    at.toggle(key=keys.MAP_GAPS).set_value(True).run()
    _sweep(at, "explore gaps", secrets)
    at.toggle(key=keys.OFFLINE).set_value(True).run()
    at.multiselect(key=keys.CATEGORIES).set_value(["safety.shelter"]).run()
    _sweep(at, "explore shelters offline", secrets)
    for sid in CONFIDENTIAL:
        at.session_state[keys.PICKED] = Selection(f"secret/{sid}")
        at.run()
        _sweep(at, f"explore card {sid}", secrets)
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    at.text_input(key=keys.QUERY).set_value("Safe").run()
    _sweep(at, "explore fr", secrets)


def test_app_workshop(app_folder: Path, secrets: Secrets) -> None:
    keys = _keys()
    at = _app("views/workshop.py")
    _sweep(at, "workshop", secrets)
    for entry in ENTRIES:
        at.selectbox(key=keys.WS_ENTRY).set_value(entry)
        at.multiselect(key=keys.WS_NEEDS).set_value(NEEDS[2]).run()
        _sweep(at, f"workshop {entry}", secrets)
    at.selectbox(key=keys.WS_DAY).set_value(5)
    at.selectbox(key=keys.WS_TIME).set_value(23 * 60).run()
    for closed in (["shelter-area"], ["safe-clinic", "shelter-intake"], list(CONFIDENTIAL[:3])):
        at.multiselect(key=keys.WS_CLOSED).set_value(closed).run()
        _sweep(at, f"workshop closed {closed}", secrets)
    at.toggle(key=keys.WS_INTERP).set_value(False).run()
    at.toggle(key=keys.WS_PRESENT).set_value(True).run()
    _sweep(at, "workshop presentation", secrets)
    for _ in range(3):
        if at.button(key=keys.WS_NEXT).disabled:
            break
        at.button(key=keys.WS_NEXT).click().run()
        _sweep(at, "workshop next gap", secrets)
    at.radio(key=keys.LANG).set_value("fr").run()  # on the page: presenting hides the sidebar
    _sweep(at, "workshop fr", secrets)


@pytest.mark.parametrize("page", ["views/gaps.py", "views/compare.py", "views/sites.py"])
def test_app_gaps_compare_sites(app_folder: Path, secrets: Secrets, page: str) -> None:
    keys = _keys()
    at = _app(page)
    _sweep(at, page, secrets)
    if page.endswith("compare.py") and at.selectbox(key=keys.COVERAGE_CATEGORY):
        at.selectbox(key=keys.COVERAGE_CATEGORY).set_value("safety.shelter").run()
        _sweep(at, f"{page} shelters", secrets)
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    _sweep(at, f"{page} fr", secrets)


def test_app_export_previews(app_folder: Path, secrets: Secrets) -> None:
    keys = _keys()
    at = _app("views/export.py")
    _sweep(at, "export", secrets)
    box = at.selectbox(key=keys.PREVIEW)
    for i in range(len(box.options)):
        at.selectbox(key=keys.PREVIEW).select_index(i).run()
        _sweep(at, f"export preview {at.selectbox(key=keys.PREVIEW).options[i]}", secrets)


# --- the same inventory with the shelters moved: outputs must not change ------------------------


def _twin(site: Path, folder: Path) -> Path:
    """The site with every confidential service moved ~300-500 m, each to the same public place."""
    moves = {
        "lat: 50.8150, lon: 4.3150": "lat: 50.8180, lon: 4.3200",
        "lat: 50.7800, lon: 4.2700": "lat: 50.7790, lon: 4.2660",
        "lat: 50.8150, lon: 4.4000": "lat: 50.8120, lon: 4.4040",
        "lat: 50.8700, lon: 4.4500": "lat: 50.8730, lon: 4.4460",
        "lat: 50.8330, lon: 4.3960": "lat: 50.8310, lon: 4.3930",
        "lat: 50.8800, lon: 4.4080": "lat: 50.8830, lon: 4.4060",
    }
    text = site.read_text(encoding="utf-8")
    for old, new in moves.items():
        assert old in text
        text = text.replace(old, new)
    out = folder / "sites" / site.name
    out.parent.mkdir(parents=True)
    out.write_text(text, encoding="utf-8")
    shutil.copytree(site.parent.parent / "boundaries", folder / "boundaries")
    return out


def _ids(html: str) -> str:
    """Folium's random element ids made equal."""
    return re.sub(r"_[0-9a-f]{32}", "_ID", html)


TWIN_COMMANDS: list[list[str]] = [
    ["gaps", "--json", "--as-of", "2026-11-20"],
    ["gaps", "--close", "shelter-area", "safe-clinic", "--json", "--as-of", "2026-11-20"],
    ["coverage", "--json", "--units"],
    ["compare", "--json"],
    *[
        ["route", "--from", entry, "--need", ",".join(needs), "--json"]
        for entry in ENTRIES
        for needs in NEEDS
    ],
]


def test_moving_a_shelter_within_its_public_place_changes_no_map_or_export(
    site: Path, tmp_path: Path
) -> None:
    """Outputs are a function of public places only: a shelter moved a few hundred metres
    (same admin area, grid cell or intake) gives byte-identical maps and exports."""
    from mapping.assets import standalone_html
    from mapping.build import build_map
    from pathways.io.export import ExportOptions, export

    twin = _twin(site, tmp_path / "twin")
    a, b = load_site(site), load_site(twin)
    out_a, out_b = site.parent.parent / "out-a", twin.parent.parent / "out-a"
    out_a.mkdir(exist_ok=True)
    out_b.mkdir()
    assert public_places(a) == public_places(b)
    for kw in ({"tiles": None}, {"tiles": None, "cluster": False, "lang": "fr"}):
        x, y = (_ids(standalone_html(build_map(inv, **kw))) for inv in (a, b))
        assert x == y, kw
    for fmt, suffix in TEXT_EXPORTS.items():
        opts = ExportOptions(as_of=AS_OF)
        x = export(a, out_a / f"{fmt}{suffix}", format=fmt, options=opts).read_text()
        y = export(b, out_b / f"{fmt}{suffix}", format=fmt, options=opts).read_text()
        assert x == y, fmt


@pytest.mark.parametrize("argv", TWIN_COMMANDS, ids=lambda a: " ".join(a))
def test_moving_a_shelter_within_its_public_place_changes_no_command_output(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    twin = _twin(site, tmp_path / "twin")
    a = _run(capsys, argv[0], str(site), *argv[1:])
    b = _run(capsys, argv[0], str(twin), *argv[1:])
    assert a.replace(str(site), "SITE") == b.replace(str(twin), "SITE")


def test_route_from_a_place_does_not_depend_on_a_confidential_entry_points_true_location(
    site: Path, tmp_path: Path
) -> None:
    from pathways.analysis.graph import build_referral_graph
    from pathways.analysis.routes import Profile, route

    a, b = load_site(site), load_site(_twin(site, tmp_path / "twin"))
    Ga, Gb = build_referral_graph(a), build_referral_graph(b)
    for lat in (50.805, 50.815, 50.82):
        for lon in (4.335, 4.35, 4.36):
            here = Profile(location=(lat, lon))
            ra = route(Ga, here, need=["health.cmr"]).to_dict()
            rb = route(Gb, here, need=["health.cmr"]).to_dict()
            assert ra == rb, (lat, lon, ra["steps"][0]["service"], rb["steps"][0]["service"])
