"""Imports: field spreadsheets (XLSX/CSV, French headers, merged cells, HXL) and HSDS packages
become inventories that `load_site` accepts; bad input is one line per problem naming the file,
sheet, row and column, and nothing is written half."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from pathways.cli import main
from pathways.io.export import ExportOptions, export
from pathways.io.imports import SiteOptions, import_file, write_inventory
from pathways.io.imports.values import parse_hours_text, parse_languages
from pathways.io.load import load_site, read_site
from pathways.model.errors import InventoryError, ValidationError
from pathways.model.inventory import Inventory

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.yaml"
SITES = Path(__file__).parents[1] / "data" / "sites"
SITE = SiteOptions(id="tiny-field", country="BE", name="Tiny Town")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

HEADER = [
    "Nom du service",
    "Organisation",
    "Catégorie",
    "Latitude",
    "Longitude",
    "Commune",
    "Horaires",
    "Langues",
    "Point d'entrée",
    "Téléphone",
    "Nom du contact",
    "Remarques",
]
ROWS = [
    [
        "Centre de prise en charge",
        "Hôpital public",
        "Prise en charge clinique du viol, Santé mentale",
        50.835,
        4.348,
        "Bruxelles",
        "24h/24",
        "Français, Néerlandais, Anglais",
        "oui",
        "+32 2 000 00 01",
        "Dr Dupont",
        None,
    ],
    [
        "Commissariat",
        "Police locale",
        "Police",
        "50,8466",
        "4,3528",
        "Bruxelles",
        "24/7",
        "Français; néerlandais",
        "Oui",
        "+32 2 000 00 02",
        None,
        None,
    ],
    [
        "ONG femmes",
        "ONG",
        "Gestion de cas; Aide juridique",
        50.84,
        4.33,
        "Saint-Gilles",
        "lun-ven 9h-17h",
        "Français, Arabe",
        "non",
        "+32 2 000 00 03",
        None,
        "Permanence le vendredi",
    ],
    [
        "Maison d'accueil",
        "ONG",
        "Hébergement",
        50.82,
        4.37,
        "Forest",
        "sur rendez-vous",
        "Français",
        "non",
        None,
        None,
        None,
    ],
    [
        "Clinique juridique",
        None,
        "Aide juridique",
        50.85,
        4.36,
        None,
        "lun 13h-17h",
        "fr",
        None,
        None,
        None,
        None,
    ],
]


def field_workbook(path: Path, rows: list[list] = ROWS, *, referrals: bool = True) -> Path:
    """A sheet the way field teams make them: a merged title, merged group headers, French names."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Services"
    ws.append(["Cartographie des services VBG – Tiny Town (mars 2026)"])
    ws.merge_cells("A1:L1")
    groups = ["Service", None, None, "Localisation", None, None, "Accès", None, None, "Contact"]
    ws.append(groups)
    for rng in ("A2:C2", "D2:F2", "G2:I2", "J2:L2"):
        ws.merge_cells(rng)
    ws.append(HEADER)
    for row in rows[:4]:
        ws.append(row)
    ws.append([None] * len(HEADER))  # a blank line in the middle, as people leave them
    for row in rows[4:]:
        ws.append(row)
    if referrals:
        ws2 = wb.create_sheet("Référencements")
        ws2.append(["De", "Vers", "Pour", "Mode", "Délai (heures)"])
        ws2.append(
            [
                "Commissariat",
                "Centre de prise en charge",
                "Prise en charge clinique du viol",
                "accompagnement",
                1,
            ]
        )
        ws2.append(["Centre de prise en charge", "ONG femmes", "Gestion de cas", "téléphone", 24])
    wb.save(path)
    return path


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lun-ven 9h-17h", {d: "09:00-17:00" for d in WEEKDAYS}),
        ("du lundi au vendredi de 8h30 à 16h30", {d: "08:30-16:30" for d in WEEKDAYS}),
        (
            "Mon-Fri 08:00-16:00; Sat 09:00-12:00",
            {**{d: "08:00-16:00" for d in WEEKDAYS}, "sat": "09:00-12:00"},
        ),
        (
            "lun, mer 9h-12h, 14h-17h",
            {"mon": "09:00-12:00,14:00-17:00", "wed": "09:00-12:00,14:00-17:00"},
        ),
        ("24h/24", "24/7"),
        ("24h/24, 7j/7", "24/7"),
        (
            "tous les jours 8h-20h",
            {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        ),
        ("ven 22h-6h", {"fri": "22:00-06:00"}),
    ],
)
def test_free_text_hours(text, expected):
    assert parse_hours_text(text) == expected


@pytest.mark.parametrize("text", ["sur rendez-vous", "9h-17h", "lun-ven", "lun 25h-26h"])
def test_hours_that_cannot_be_read_are_refused(text):
    with pytest.raises(ValueError):
        parse_hours_text(text)


def test_language_names_in_french_and_english():
    assert parse_languages("Français, Arabe, anglais, Dari, Pachto, Tigrinya, ln, fra") == [
        "fr",
        "ar",
        "en",
        "prs",
        "ps",
        "ti",
        "ln",
    ]


# --- spreadsheets ------------------------------------------------------------------------------


def test_field_workbook_becomes_a_valid_inventory(tmp_path):
    src = field_workbook(tmp_path / "cartographie.xlsx")
    imported = import_file(src, SITE)
    out = tmp_path / "tiny-field.yaml"
    inv = write_inventory(imported, out)
    assert load_site(out) == inv
    assert [s.id for s in inv.services] == [
        "centre-de-prise-en-charge",
        "commissariat",
        "ong-femmes",
        "maison-d-accueil",
        "clinique-juridique",
    ]
    centre, police, ngo, shelter, lawyer = inv.services
    assert centre.categories == ("health.cmr", "mhpss") and centre.entry_point
    assert centre.hours.is_24_7 and centre.languages == ("fr", "nl", "en")
    assert centre.contact.phone == "+32 2 000 00 01" and centre.location.area == "Bruxelles"
    assert (police.location.lat, police.location.lon) == (50.8466, 4.3528)  # decimal commas
    assert ngo.hours.describe() == "; ".join(f"{d} 09:00-17:00" for d in WEEKDAYS)
    assert ngo.notes == "Permanence le vendredi" and not ngo.entry_point
    assert not shelter.hours.known and shelter.hours_note == "sur rendez-vous"
    assert lawyer.organisation is None and lawyer.languages == ("fr",)
    assert [(r.source_id, r.target_id, r.needs, r.mode, r.delay_hours) for r in inv.referrals] == [
        ("commissariat", "centre-de-prise-en-charge", ("health.cmr",), "escorted", 1.0),
        ("centre-de-prise-en-charge", "ong-femmes", ("case_management",), "phone", 24.0),
    ]
    site = inv.site
    assert (site.id, site.name, site.country, site.data_status) == (
        "tiny-field",
        "Tiny Town",
        "BE",
        "illustrative",
    )
    assert site.timezone == "Europe/Brussels"
    report = imported.report.text()
    assert "Services!C (Catégorie) -> categories" in report
    assert "Nom du contact (names a person: never imported)" in report
    assert "hours 'sur rendez-vous' not understood" in report
    assert "Dr Dupont" not in out.read_text(encoding="utf-8")


def test_csv_with_hxl_hashtags_semicolons(tmp_path):
    lines = [
        "Nom;Organisation;Type de service;Lat;Lon;Horaires;Langues",
        "#loc+name;#org+name;#service+type;#geo+lat;#geo+lon;#service+hours;#service+languages",
        "Hôpital;Public;Santé mentale;50,835;4,348;24/7;Français",
        "Police;Police;Police;50,8466;4,3528;lun-ven 8h-18h;Néerlandais",
    ]
    src = tmp_path / "mapping.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inv = write_inventory(import_file(src, SITE), tmp_path / "out.yaml")
    assert [s.categories for s in inv.services] == [("mhpss",), ("safety.police",)]
    assert inv.services[1].languages == ("nl",)


def test_our_hxl_export_imports_back(tmp_path):
    tiny = load_site(TINY)
    src = export(tiny, tmp_path / "tiny-hxl.csv", format="hxl", options=ExportOptions())
    imported = import_file(src, SiteOptions(id="tiny", country="BE"))
    inv = write_inventory(imported, tmp_path / "tiny.yaml")
    assert [s.id for s in inv.services] == [s.id for s in tiny.services]
    for a, b in zip(tiny.services, inv.services, strict=True):
        assert (a.name, a.categories, a.hours, a.languages, a.serves, a.contact) == (
            b.name,
            b.categories,
            b.hours,
            b.languages,
            b.serves,
            b.contact,
        )
    assert inv.by_id["shelter"].confidential  # at its public place: the export never had more
    assert "#sector" in imported.report.text()


# --- bad input -----------------------------------------------------------------------------


def _problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def test_bad_cells_name_file_sheet_row_and_column(tmp_path):
    rows = copy.deepcopy(ROWS)
    rows[1][2] = "Polise"  # row 5 of the sheet: title, groups, header, then the data
    rows[2][3] = "nord"
    rows[2][7] = "Martien"
    src = field_workbook(tmp_path / "bad.xlsx", rows)
    out = tmp_path / "out.yaml"
    with pytest.raises(ValidationError) as e:
        write_inventory(import_file(src, SITE), out)
    lines = _problems(e)
    assert lines[0].startswith(
        f"{src}:5: Services!C: Catégorie: 'Polise' is not a service category"
    )
    assert lines[1].startswith(f"{src}:6: Services!D: Latitude: 'nord' is not a number")
    assert lines[2].startswith(f"{src}:6: Services!H: Langues: 'Martien' is not a language")
    assert len(lines) == 3 and not out.exists()


def test_problem_found_by_the_loader_points_at_the_source_row(tmp_path):
    rows = copy.deepcopy(ROWS)
    rows[2][3], rows[2][4] = 4.33, 50.84  # latitude and longitude swapped
    src = field_workbook(tmp_path / "swapped.xlsx", rows)
    out = tmp_path / "out.yaml"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        write_inventory(import_file(src, SITE), out)
    (line,) = _problems(e)
    assert line == f"{src}:6: Services!D/E: latitude and longitude look swapped"
    assert out.read_text(encoding="utf-8") == "old"  # nothing written half
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "swapped.xlsx"]


def test_not_a_workbook(tmp_path):
    src = tmp_path / "fake.xlsx"
    src.write_text("name,lat\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable Excel workbook"):
        import_file(src, SITE)


def test_sheet_without_a_header(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["hello", "world"])
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(ValidationError, match="no header row found"):
        import_file(tmp_path / "empty.xlsx", SITE)


def test_missing_country_is_asked_for(tmp_path):
    src = field_workbook(tmp_path / "c.xlsx")
    with pytest.raises(InventoryError, match="give --country CC"):
        import_file(src, SiteOptions(id="x"))


def test_cli_import(tmp_path, capsys):
    src = field_workbook(tmp_path / "c.xlsx")
    out = tmp_path / "site.yaml"
    code = main(["import", str(src), "--site", "tiny-field", "--country", "BE", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and "5 service(s), 2 referral(s)" in captured.out
    assert f"wrote {out}: 5 services, 2 referrals (valid)" in captured.err
    assert main(["validate", str(out)]) == 0


def test_cli_import_bad_file_one_line_per_problem(tmp_path, capsys):
    rows = copy.deepcopy(ROWS)
    rows[0][2] = "???"
    rows[3][3] = None
    src = field_workbook(tmp_path / "bad.xlsx", rows)
    code = main(
        ["import", str(src), "--site", "x", "--country", "BE", "--out", str(tmp_path / "x.yaml")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 2
    assert err[0].startswith(f"{src}:4: Services!C:") and err[1].startswith(f"{src}:7: Services!D:")
    assert not (tmp_path / "x.yaml").exists()


# --- HSDS ------------------------------------------------------------------------------------


def _without_confidential(inv: Inventory) -> Inventory:
    keep = [s for s in inv.services if not s.confidential]
    ids = {s.id for s in keep}
    refs = [r for r in inv.referrals if r.source_id in ids and r.target_id in ids]
    return Inventory(site=inv.site, services=tuple(keep), referrals=tuple(refs), path=inv.path)


@pytest.mark.parametrize("suffix", [".json", ".zip", ""])
@pytest.mark.parametrize(
    "path", [TINY, SITES / "brussels.yaml", SITES / "koro.yaml"], ids=lambda p: p.stem
)
def test_hsds_round_trip(tmp_path, path, suffix):
    """YAML -> HSDS -> YAML keeps every service and route of a non-confidential inventory."""
    inv = _without_confidential(load_site(path))
    package = export(inv, tmp_path / f"pkg{suffix}", format="hsds")
    back = write_inventory(
        import_file(package, SiteOptions(id=inv.site.id)), tmp_path / "back.yaml"
    )
    assert back.services == inv.services
    assert back.referrals == inv.referrals
    drop = {"boundary", "areas", "sources"}
    assert back.site.model_dump(exclude=drop) == inv.site.model_dump(exclude=drop)
    assert back.site.sources[: len(inv.site.sources)] == inv.site.sources  # + "Imported from"
    if inv.site.areas:
        assert back.resolve_path(back.site.areas.path) == inv.resolve_path(inv.site.areas.path)


def test_hsds_round_trip_drops_what_must_not_travel(tmp_path):
    """A confidential service comes back at its public place; a hidden one without a public
    intake has no place at all, so it and its routes are left out (and the report says so)."""
    from pathways.public.privacy import public_place

    inv = load_site(SITES / "brussels.yaml")
    imported = import_file(
        export(inv, tmp_path / "b.json", format="hsds"), SiteOptions(id="brussels")
    )
    write_inventory(imported, tmp_path / "back.yaml")
    back = read_site(tmp_path / "back.yaml")  # as written: confidential ones at public places
    assert "bxl-shelter-trafficking" not in back.by_id
    assert "service 'Safe house for victims of trafficking" in imported.report.text() or any(
        "no location" in x for x in imported.report.left_out
    )
    for s in inv.services:
        if s.confidential and s.id in back.by_id:
            again, place = back.by_id[s.id], public_place(s, inv)
            assert (again.location.lat, again.location.lon) == (place.lat, place.lon)
            assert again.confidential and again.intake is None
    gone = {r for r in inv.referrals if "bxl-shelter-trafficking" in (r.source_id, r.target_id)}
    assert set(back.referrals) == set(inv.referrals) - gone


def _set_everywhere(obj, **values) -> None:
    """Set these keys wherever they occur in a nested JSON document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in values:
                obj[k] = values[k]
            else:
                _set_everywhere(v, **values)
    elif isinstance(obj, list):
        for item in obj:
            _set_everywhere(item, **values)


def test_official_hsds_example_service_imports(tmp_path):
    """The HSDS 3 example service (API form, nested objects), given a category and a place."""
    data = json.loads((DATA / "hsds-3" / "service_full.json").read_text(encoding="utf-8"))
    with pytest.raises(ValidationError) as e:  # as published: latitude 100, and no category
        src = tmp_path / "example.json"
        src.write_text(json.dumps(data), encoding="utf-8")
        import_file(src, SITE)
    assert any("location!latitude" in line or "service!attributes" in line for line in _problems(e))
    data["attributes"][0]["taxonomy_term"]["code"] = "mhpss"
    _set_everywhere(data, latitude=50.84, longitude=4.35)
    src.write_text(json.dumps(data), encoding="utf-8")
    imported = import_file(src, SITE)
    inv = write_inventory(imported, tmp_path / "example.yaml")
    (s,) = inv.services
    assert s.name == "Community Counselling" and s.categories == ("mhpss",)
    assert s.contact.phone and s.languages


def test_hsds_without_a_service_table(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "organizations.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no services table"):
        import_file(tmp_path / "pkg", SITE)


def test_import_date_is_today_for_a_spreadsheet(tmp_path):
    inv = write_inventory(
        import_file(field_workbook(tmp_path / "d.xlsx"), SITE), tmp_path / "d.yaml"
    )
    assert inv.site.updated == dt.date.today()


# --- GeoJSON -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TINY, SITES / "zagreb.yaml"], ids=lambda p: p.stem)
def test_geojson_with_lines_round_trip(tmp_path, path):
    """YAML -> GeoJSON (points and referral lines) -> `pathways import` -> YAML: equal for a
    non-confidential inventory (the lines are drawings of the `referrals` member)."""
    inv = _without_confidential(load_site(path))
    src = export(inv, tmp_path / "x.geojson", format="geojson")
    back = write_inventory(import_file(src, SiteOptions(id=inv.site.id)), tmp_path / "x.yaml")
    assert back.services == inv.services and back.referrals == inv.referrals


def test_geojson_hidden_service_is_left_out_and_reported(tmp_path):
    inv = load_site(SITES / "zagreb.yaml")
    imported = import_file(
        export(inv, tmp_path / "z.geojson", format="geojson"), SiteOptions(id="zagreb")
    )
    back = write_inventory(imported, tmp_path / "z.yaml")
    hidden = [s.id for s in inv.services if s.tier == "hidden"]
    assert hidden and not set(hidden) & set(back.by_id)
    assert any(hidden[0] in line for line in imported.report.left_out)
