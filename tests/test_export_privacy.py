"""No export, in any format, puts a confidential service within 1 km of where it really is.

For tests/data/tiny.yaml, a variant of it whose shelter has an address, an admin area and a
public intake point, and every shipped site (each read with its true locations, `read_site`;
`export` writes the public view): every format is written once, then every
coordinate pair in the text outputs (numbers parsed, in either order) and every geometry in the
GeoPackage is checked against the true locations of the confidential services; their addresses
and area names must not appear at all.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
from pathlib import Path

import pytest

from pathways.io.export import ExportOptions, export
from pathways.io.load import read_site
from pathways.model.inventory import Inventory
from pathways.public.privacy import MIN_DISTANCE_M, distance_m, public_place

DATA = Path(__file__).parent / "data"
SITES = Path(__file__).parents[1] / "data" / "sites"
OPTS = ExportOptions(as_of=dt.date(2026, 11, 20))

TEXT_FORMATS = {
    "geojson": ".geojson",
    "csv": ".csv",
    "hxl": ".csv",
    "graphml": ".graphml",
    "gexf": ".gexf",
    "hsds": ".json",
}
PDF_SITES = ("tiny", "secret", "brussels", "rome")
"""Sites whose protocol is also checked as PDF (about 1.5 s each): the tiny fixtures and the two
sites with every kind of confidential place (hidden, hidden with intake, area by admin area, area
by grid). The PDF is laid out from the same `SiteProtocol` content as the HTML, which is checked
for every site."""
SECRET_ADDRESS = "12 Rue Secrète"
SECRET_AREA = "Quartier-Secret"

_NUMBER = re.compile(r"-?\d{1,3}\.\d+")
PAIR_GAP = 80
"""Characters between a latitude and its longitude in any format (XML attributes the most)."""


def _secret_tiny(folder: Path) -> Path:
    """tiny.yaml with an address, an area and a public intake (1.1 km away) on the shelter."""
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8").replace("id: tiny", "id: secret")
    text = text.replace(
        "location: {lat: 50.8200, lon: 4.3700}",
        f'location: {{lat: 50.8200, lon: 4.3700, address: "{SECRET_ADDRESS}", '
        f'area: "{SECRET_AREA}"}}\n    intake: {{lat: 50.8300, lon: 4.3710}}',
    )
    path = folder / "secret.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def inventories(tmp_path_factory) -> list[Inventory]:
    folder = tmp_path_factory.mktemp("secret")
    paths = [DATA / "tiny.yaml", _secret_tiny(folder), *sorted(SITES.glob("*.yaml"))]
    return [read_site(p) for p in paths]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, inventories) -> dict[str, list[tuple[str, str]]]:
    """site id -> [(format, text)] for every text-like output, GeoPackage and PDF apart."""
    import pypdf

    folder = tmp_path_factory.mktemp("exports")
    out: dict[str, list[tuple[str, str]]] = {}
    for inv in inventories:
        texts = []
        for fmt, suffix in TEXT_FORMATS.items():
            path = export(inv, folder / f"{inv.site.id}-{fmt}{suffix}", format=fmt, options=OPTS)
            texts.append((fmt, path.read_text(encoding="utf-8-sig")))
        path = export(inv, folder / f"{inv.site.id}.zip", format="hsds", options=OPTS)
        with zipfile.ZipFile(path) as z:
            texts += [(f"hsds-csv/{n}", z.read(n).decode("utf-8")) for n in z.namelist()]
        html = export(inv, folder / f"{inv.site.id}.html", format="protocol", options=OPTS)
        texts.append(("protocol-html", html.read_text(encoding="utf-8")))
        if inv.site.id in PDF_SITES:
            pdf = export(inv, folder / f"{inv.site.id}.pdf", format="protocol", options=OPTS)
            pages = pypdf.PdfReader(pdf).pages
            texts.append(("protocol-pdf", "\n".join(p.extract_text() for p in pages)))
        pocket = export(inv, folder / f"{inv.site.id}-pocket.pdf", format="pocket", options=OPTS)
        pages = pypdf.PdfReader(pocket).pages
        texts.append(("pocket-pdf", "\n".join(p.extract_text() for p in pages)))
        out[inv.site.id] = texts
    return out


def _secrets(inv: Inventory) -> list[tuple[float, float]]:
    return [(s.location.lat, s.location.lon) for s in inv.services if s.confidential]


def _public_points(inv: Inventory) -> set[tuple[float, float]]:
    """Places that may be written: every public place and non-confidential location."""
    points = {(s.location.lat, s.location.lon) for s in inv.services if not s.confidential}
    for s in inv.services:
        place = public_place(s, inv)
        if place is not None:
            points.add((place.lat, place.lon))
    return points


def _too_close(
    lat: float, lon: float, secrets: list[tuple[float, float]], public: set[tuple[float, float]]
) -> bool:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    # public places, and mixes of their numbers (a line's end and the next start), tell nothing
    values = {round(x, 5) for point in public for x in point}
    if round(lat, 5) in values and round(lon, 5) in values:
        return False
    return any(distance_m(lat, lon, a, b) < MIN_DISTANCE_M for a, b in secrets)


def _pairs(text: str) -> list[tuple[float, float]]:
    """Numbers written next to each other (at most `PAIR_GAP` characters apart)."""
    found = list(_NUMBER.finditer(text))
    return [
        (float(m.group()), float(n.group()))
        for m, n in itertools.pairwise(found)
        if n.start() - m.end() <= PAIR_GAP
    ]


def test_every_site_has_something_to_hide(inventories):
    assert all(_secrets(inv) for inv in inventories)


def test_no_text_output_places_a_confidential_service(inventories, outputs):
    for inv in inventories:
        secrets, public = _secrets(inv), _public_points(inv)
        for fmt, text in outputs[inv.site.id]:
            for a, b in _pairs(text):
                for lat, lon in ((a, b), (b, a)):
                    assert not _too_close(lat, lon, secrets, public), (inv.site.id, fmt, lat, lon)


def test_no_output_names_a_confidential_address_or_area(inventories, outputs):
    words = [SECRET_ADDRESS, SECRET_AREA]
    for inv in inventories:
        for s in inv.services:
            if s.confidential:
                words += [w for w in (s.location.address, s.location.area) if w]
    for site, texts in outputs.items():
        for fmt, text in texts:
            for w in words:
                assert w not in text, (site, fmt, w)


def test_the_secret_fixture_really_has_secrets(inventories, outputs):
    """The variant's shelter has an address and area, and is shown at its intake point."""
    secret = next(inv for inv in inventories if inv.path and inv.path.name == "secret.yaml")
    shelter = secret.by_id["shelter"]
    assert shelter.location.address == SECRET_ADDRESS
    assert public_place(shelter, secret).precision == "intake"


def test_geopackage_geometries_keep_their_distance(tmp_path, inventories):
    import geopandas as gpd
    import shapely

    for inv in inventories:
        path = export(inv, tmp_path / f"{inv.site.id}.gpkg", format="gpkg", options=OPTS)
        secrets, public = _secrets(inv), _public_points(inv)
        for layer in ("services", "referrals", "gaps"):
            gdf = gpd.read_file(path, layer=layer)
            coords = shapely.get_coordinates(gdf.geometry.dropna().values)
            for lon, lat in coords:
                assert not _too_close(lat, lon, secrets, public), (inv.site.id, layer, lat, lon)
            text = gdf.drop(columns="geometry").astype(str).to_csv()
            assert SECRET_ADDRESS not in text and SECRET_AREA not in text
        raw = path.read_bytes()
        assert SECRET_ADDRESS.encode() not in raw and SECRET_AREA.encode() not in raw


def test_the_checker_catches_a_leak(inventories):
    """A true location written anywhere (here, as CSV cells) is found."""
    inv = inventories[0]
    (lat, lon), public = _secrets(inv)[0], _public_points(inv)
    text = f"shelter,{lat:.6f},{lon:.6f},24/7"
    assert any(_too_close(a, b, _secrets(inv), public) for a, b in _pairs(text))
