"""The loader: good files load, each kind of bad input gives its problem with the right line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pathways.io.load import find_inventories, load_site, load_sites, read_site
from pathways.model.errors import InventoryError, ValidationError
from pathways.model.inventory import DEFAULT_DELAY_HOURS, Hours, parse_hours

DATA = Path(__file__).parent / "data"
TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")
SITES = Path(__file__).parents[1] / "data" / "sites"


def write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the last line containing `needle`."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert found, f"{needle!r} not in text"
    return found[-1]


def problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_site(path)
    return [str(p) for p in info.value.problems]


def replace(old: str, new: str) -> str:
    assert old in TINY, old
    return TINY.replace(old, new, 1)


def test_tiny_loads_with_defaults():
    inv = load_site(DATA / "tiny.yaml")
    assert inv.site.id == "tiny"
    assert [s.id for s in inv.services] == ["hospital", "police", "ngo", "shelter", "lawyer"]
    hospital = inv.service("hospital")
    assert hospital.entry_point and hospital.hours.is_24_7
    lawyer = inv.service("lawyer")
    # documented defaults
    assert lawyer.entry_point is False and lawyer.confidential is False
    assert lawyer.interpretation is False and lawyer.languages == ()
    assert set(lawyer.serves) == {"women", "men", "girls", "boys", "nonbinary"}
    assert lawyer.age_min == 0 and lawyer.age_max is None and lawyer.legal_status == "any"
    assert inv.service("shelter").tier == "area"
    ngo_to_shelter = inv.referrals[2]
    assert ngo_to_shelter.needs == () and inv.referral_targets(ngo_to_shelter) == (
        "safety.shelter",
    )
    assert inv.referrals[0].delay == 24
    assert inv.referrals[2].delay == 4
    assert DEFAULT_DELAY_HOURS["phone"] == 24


@pytest.mark.skipif(not SITES.is_dir(), reason="no shipped inventories")
def test_shipped_sites_are_valid():
    inventories = load_sites([SITES])
    ids = {inv.site.id for inv in inventories}
    assert {"brussels", "zagreb", "kutina", "rome", "sofia", "harmanli", "koro", "douentza"} <= ids
    for inv in inventories:
        assert inv.site.data_status == "illustrative"
        assert 15 <= len(inv.services) <= 40, inv.site.id
        assert any(s.confidential for s in inv.services), inv.site.id
        for s in inv.services:
            phone = (s.contact.phone if s.contact else None) or ""
            digits = [c for c in phone if c.isdigit()]
            # clearly fake: after the country code, zeros but the last two digits
            assert not phone or set("".join(digits)[-6:-2]) == {"0"}, (s.id, phone)


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "    categories: [safety.police]",
            "    categories: [safety.polise]",
            "safety.polise",
            "services[1].categories[0]",
            "did you mean 'safety.police'",
        ),
        (
            "    languages: [fr, ar]",
            "    languages: [fr, xx]",
            "[fr, xx]",
            "services[2].languages[1]",
            "'xx' is not an ISO 639",
        ),
        (
            "    interpretation: true",
            "    interpretation: true\n    colour: red",
            "colour:",
            "services[0].colour",
            "unknown key 'colour'",
        ),
        (
            "  - id: police\n",
            "  - id: hospital\n",
            "id: hospital",
            "services[1].id",
            "duplicate id",
        ),
        (
            "{from: ngo, to: shelter",
            "{from: ngo, to: shelterr",
            "to: shelterr",
            "referrals[2].to",
            "did you mean 'shelter'",
        ),
        (
            "{from: ngo, to: shelter",
            "{from: ngo, to: ngo",
            "from: ngo, to: ngo",
            "referrals[2].to",
            "refers to itself",
        ),
        (
            'hours: {mon: "13:00-17:00"}',
            'hours: {mon: "1pm-5pm"}',
            "1pm-5pm",
            "services[4].hours",
            "not a time range",
        ),
        (
            'hours: {mon: "13:00-17:00"}',
            'hours: {lundi: "13:00-17:00"}',
            "lundi",
            "services[4].hours",
            "'lundi' is not a day",
        ),
        ("    name: Legal clinic\n", "", "id: lawyer", "services[4]", "'name' is required"),
        ("  country: BE", "  country: XX", "country: XX", "site.country", "ISO 3166-1"),
        (
            "  timezone: Europe/Brussels",
            "  timezone: Europe/Bruxelles",
            "Europe/Bruxelles",
            "site.timezone",
            "IANA",
        ),
        (
            "lat: 50.8500, lon: 4.3600",
            "lat: 4.3600, lon: 50.8500",
            "lat: 4.3600",
            "services[4].location",
            "swapped",
        ),
        (
            "lat: 50.8500, lon: 4.3600",
            "lat: 48.8566, lon: 2.3522",
            "lat: 48.8566",
            "services[4].location",
            "outside BE",
        ),
        (
            "lat: 50.8500, lon: 4.3600",
            "lat: 95.0, lon: 4.3600",
            "lat: 95.0",
            "services[4].location.lat",
            "less than or equal to 90",
        ),
        (
            "    entry_point: true\n    location: {lat: 50.8466",
            "    entry_point: maybe\n    location: {lat: 50.8466",
            "entry_point: maybe",
            "services[1].entry_point",
            "boolean",
        ),
        (
            "{from: hospital, to: ngo, for: [case_management]",
            "{from: hospital, to: ngo, for: [mhpss]",
            "for: [mhpss]",
            "referrals[0].for[0]",
            "not a category of 'ngo'",
        ),
    ],
)
def test_each_kind_of_error_names_file_line_and_field(tmp_path, old, new, needle, field, message):
    text = replace(old, new)
    path = write(tmp_path, text)
    found = problems(path)
    expected_line = line_of(text, needle)
    matching = [p for p in found if f":{expected_line}: {field}: " in p and message in p]
    assert matching, found
    assert all(
        p.startswith(str(path)) or p.startswith("site.yaml") or "site.yaml:" in p for p in found
    )


def test_every_problem_is_reported_at_once(tmp_path):
    text = replace("    categories: [safety.police]", "    categories: [safety.polise]")
    text = text.replace("{from: ngo, to: shelter", "{from: ngo, to: nowhere")
    text = text.replace("  country: BE", "  country: be")
    assert len(problems(write(tmp_path, text))) == 3


def test_yaml_syntax_error_has_its_line(tmp_path):
    text = replace('    hours: "24/7"\n    languages: [fr, nl]\n', '    hours: ["24/7"\n')
    found = problems(write(tmp_path, text))
    assert len(found) == 1 and "not valid YAML" in found[0]
    assert ":" in found[0].split(": ")[0]


def test_tags_are_refused(tmp_path):
    text = replace("  name: Tiny Town", "  name: !!python/object/apply:os.system ['echo hi']")
    found = problems(write(tmp_path, text))
    assert "not valid YAML" in found[0]


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    found = problems(write(tmp_path, "\n".join(lines) + "\n"))
    assert "alias" in found[0]


def test_recursive_alias_is_refused(tmp_path):
    found = problems(write(tmp_path, "site: &s\n  id: x\n  self: *s\n"))
    assert "recursive alias" in found[0]


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
def test_deep_nesting_is_refused_without_crashing(tmp_path, depth):
    # (libyaml's composer segfaults near 100,000 levels: the loader must refuse first)
    found = problems(write(tmp_path, "site: " + "[" * depth + "]" * depth + "\n"))
    assert "deep" in found[0]
    block = "".join(" " * i + "a:\n" for i in range(min(depth, 20_000))) + "b: 1\n"
    assert "deep" in problems(write(tmp_path, block))[0]


def test_anchors_and_aliases_are_allowed_when_small(tmp_path):
    text = TINY.replace(
        '    hours: "24/7"\n    languages: [fr, nl, en]',
        '    hours: &always "24/7"\n    languages: [fr, nl, en]',
        1,
    )
    text = text.replace(
        '    hours: "24/7"\n    languages: [fr, nl]',
        "    hours: *always\n    languages: [fr, nl]",
        1,
    )
    assert "*always" in text
    inv = load_site(write(tmp_path, text))
    assert inv.service("police").hours.is_24_7


def test_non_utf8_is_refused_with_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(TINY.replace("Tiny Town", "Tiny Téwn").encode("latin-1"))
    found = problems(path)
    assert "not UTF-8" in found[0] and ":4:" in found[0]


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode("utf-8"))
    assert load_site(path).site.id == "tiny"


def test_empty_and_wrong_shape(tmp_path):
    assert "empty" in problems(write(tmp_path, ""))[0]
    assert "mapping" in problems(write(tmp_path, "- a\n- b\n"))[0]
    assert "'site' is missing" in problems(write(tmp_path, "services: []\n"))[0]


def test_missing_path_is_one_line_error(tmp_path):
    with pytest.raises(InventoryError, match="no such file"):
        find_inventories([tmp_path / "nope.yaml"])


def test_two_files_with_one_site_id(tmp_path):
    write(tmp_path, TINY, "a.yaml")
    write(tmp_path, TINY, "b.yaml")
    with pytest.raises(ValidationError, match="also the id of"):
        load_sites([tmp_path])


def test_geojson_inventory_loads_like_yaml(tmp_path):
    yaml_inv = read_site(DATA / "tiny.yaml")
    features = []
    for s in yaml_inv.services:
        props = s.model_dump(mode="json", exclude_defaults=True, exclude={"location", "hours"})
        if s.hours.known:
            props["hours"] = "24/7" if s.hours.is_24_7 else {"mon": "13:00-17:00"}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.location.lon, s.location.lat]},
                "properties": props,
            }
        )
    doc = {
        "type": "FeatureCollection",
        "site": yaml_inv.site.model_dump(mode="json", exclude_defaults=True),
        "features": features,
        "referrals": [
            r.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for r in yaml_inv.referrals
        ],
    }
    path = write(tmp_path, json.dumps(doc, indent=2), "tiny.geojson")
    inv = read_site(path)
    assert [s.id for s in inv.services] == [s.id for s in yaml_inv.services]
    assert inv.service("shelter").location == yaml_inv.service("shelter").location
    assert inv.referrals == yaml_inv.referrals
    # a problem in a feature points at that feature's line
    doc["features"][1]["properties"]["categories"] = ["nope"]
    text = json.dumps(doc, indent=2)
    bad = write(tmp_path, text, "bad.geojson")
    found = problems(bad)
    assert any(
        f":{line_of(text, chr(34) + 'nope' + chr(34))}: services[1].categories[0]" in p
        for p in found
    ), found


def test_hours_parsing():
    h = parse_hours({"mon": "08:00-12:00,13:00-17:00", "fri": "20:00-02:00"})
    assert h.week[0] == ((480, 720), (780, 1020))
    assert h.week[4] == ((1200, 1440),) and h.week[5] == ((0, 120),)
    assert h.is_open(0, 9 * 60) and not h.is_open(0, 12 * 60 + 30)
    assert h.wait_minutes(0, 12 * 60 + 30) == 30
    assert h.wait_minutes(0, 17 * 60) == 4 * 1440 + 1200 - 17 * 60  # Friday 20:00
    assert Hours.unknown().is_open(3, 3) and Hours.always().is_24_7
    with pytest.raises(ValueError, match="not a time range"):
        parse_hours({"mon": "25:00-26:00"})


# --- hostile input: dates, site files, confidential values, intake points ---------------------

SHELTER_LINE = "    location: {lat: 50.8200, lon: 4.3700}\n    confidential: true\n"
"""The tiny site's shelter: its true place must never be repeated in a message."""


def test_dates_load_as_dates_and_may_be_written_without_leading_zeros(tmp_path):
    import datetime as dt

    inv = read_site(DATA / "tiny.yaml")
    assert inv.site.updated == dt.date(2026, 11, 1)
    assert type(inv.service("hospital").last_verified) is dt.date
    text = replace("  updated: 2026-11-01", "  updated: 2026-1-5")
    text = text.replace("last_verified: 2026-10-15", "last_verified: !!timestamp 2026-10-15")
    inv = read_site(write(tmp_path, text))
    assert inv.site.updated == dt.date(2026, 1, 5)
    assert inv.service("hospital").last_verified == dt.date(2026, 10, 15)


@pytest.mark.parametrize("value", ["2026-02-30", "0000-01-01", "9999-99-99", "2026-13-01", "0"])
def test_impossible_dates_are_problems_in_yaml_and_geojson(tmp_path, value):
    text = replace("  updated: 2026-11-01", f"  updated: {value}")
    text = text.replace("last_verified: 2026-10-15", f"last_verified: {value}")
    text = text.replace("delay_hours: 24}", f"delay_hours: 24, last_tested: {value}}}")
    found = problems(write(tmp_path, text))
    for field in ("site.updated", "services[0].last_verified", "referrals[0].last_tested"):
        line = line_of(text, "updated:" if field == "site.updated" else field.split(".")[-1])
        assert any(
            f":{line}: {field}: " in p and "not a real date (YYYY-MM-DD)" in p for p in found
        )
    site = read_site(DATA / "tiny.yaml")
    doc = {
        "type": "FeatureCollection",
        "site": {"id": "g", "name": "G", "country": "BE", "updated": value},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.location.lon, s.location.lat]},
                "properties": {"id": s.id, "name": s.name, "categories": list(s.categories)}
                | ({"last_verified": value} if s.id == "hospital" else {}),
            }
            for s in site.services
        ],
        "referrals": [{"from": "hospital", "to": "ngo", "last_tested": value}],
    }
    found = problems(write(tmp_path, json.dumps(doc, indent=1), "g.geojson"))
    assert len(found) == 3 and all("not a real date (YYYY-MM-DD)" in p for p in found), found


def test_an_intake_point_within_1_km_is_refused_without_either_place(tmp_path):
    near = SHELTER_LINE + "    intake: {lat: 50.8230, lon: 4.3740, address: 9 Secret Street}\n"
    text = replace(SHELTER_LINE, near)
    found = problems(write(tmp_path, text))
    line = line_of(text, "intake:")
    assert found == [
        f"{tmp_path / 'site.yaml'}:{line}: services[3].intake: the public intake point is less "
        "than 1 km from the service's location; a shelter's intake point must be at least 1 km "
        "away (or drop it)"
    ] or [p.split(": ", 1)[1] for p in found] == [
        "services[3].intake: the public intake point is less than 1 km from the service's "
        "location; a shelter's intake point must be at least 1 km away (or drop it)"
    ]
    far = SHELTER_LINE + "    intake: {lat: 50.8350, lon: 4.3480}\n"  # about 2 km away
    assert read_site(write(tmp_path, replace(SHELTER_LINE, far))).service("shelter").intake


def _site_file(tmp_path: Path, boundary: str, *, folder: str = "inv") -> list[str]:
    path = tmp_path / folder / "site.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace("  timezone:", f"  boundary: {boundary}\n  timezone:"), "utf-8")
    try:
        read_site(path)
    except ValidationError as e:
        return [str(p) for p in e.problems]
    return []


POLYGONS = Path(__file__).parents[1] / "data" / "boundaries" / "brussels"
REGION = POLYGONS / "region_brussels_capital_statbel.geojson"


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("/etc/passwd", "leads outside the inventory's folder"),
        ("../../../../../../../../etc/passwd", "leads outside the inventory's folder"),
        ("../outside.geojson", "leads outside the inventory's folder"),
        ("link.geojson", "leads outside the inventory's folder"),
        ("nowhere.geojson", "does not exist"),
        ("sub", "is not a file"),
        ("points.geojson", "(it has no polygon)"),
        ("deep.geojson", "(not UTF-8 JSON)"),
        ("list.geojson", "is not a GeoJSON FeatureCollection of polygons"),
        ("huge.geojson", "the limit is 32 MiB"),
    ],
)
def test_a_site_file_must_be_polygons_inside_the_inventorys_folder(tmp_path, boundary, message):
    folder = tmp_path / "inv"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "outside.geojson").write_bytes(REGION.read_bytes())
    (folder / "link.geojson").symlink_to(tmp_path / "outside.geojson")
    point = {"type": "Point", "coordinates": [4.35, 50.84]}
    (folder / "points.geojson").write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": point}]}
        )
    )
    (folder / "deep.geojson").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "list.geojson").write_text("[1, 2]")
    with (folder / "huge.geojson").open("wb") as f:
        f.truncate(33 * 2**20)
    found = _site_file(tmp_path, boundary)
    assert len(found) == 1 and "site.boundary: " in found[0] and message in found[0], found
    assert "root:" not in found[0]  # nothing of the file's content


def test_site_files_may_be_beside_the_inventory_or_in_the_shipped_data(tmp_path):
    (tmp_path / "inv" / "shapes").mkdir(parents=True)
    (tmp_path / "inv" / "shapes" / "region.geojson").write_bytes(REGION.read_bytes())
    assert _site_file(tmp_path, "shapes/region.geojson") == []
    assert _site_file(tmp_path, str(REGION)) == []  # the shipped data/ folder
    # the layout of data/: sites/ beside boundaries/
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "boundaries" / "region.geojson").write_bytes(REGION.read_bytes())
    assert _site_file(tmp_path, "../boundaries/region.geojson", folder="sites") == []
    assert _site_file(tmp_path, "../boundaries/region.geojson", folder="other")
    # ... but not through a symlink named boundaries
    (tmp_path / "pkg" / "sites").mkdir(parents=True)
    (tmp_path / "pkg" / "boundaries").symlink_to(tmp_path / "inv" / "shapes")
    assert _site_file(tmp_path, "../boundaries/region.geojson", folder="pkg/sites")


CONFIDENTIAL_EDITS = {
    "age_min": ("    confidential: true\n", "    confidential: true\n    age_min: 50.82 4.37\n"),
    "hours": ("    confidential: true\n", '    confidential: true\n    hours: "50.82, 4.37"\n'),
    "hours day": (
        "    confidential: true\n",
        '    confidential: true\n    hours: {mon: "50.82"}\n',
    ),
    "id": ("  - id: shelter\n", '  - id: "50.82, 4.37"\n'),
    "languages": (
        "    confidential: true\n",
        "    confidential: true\n    languages: [50.82, 4.37]\n",
    ),
    "categories": ("[safety.shelter]", '[safety.shelter, "50.82 4.37"]'),
    "serves": ("    serves: [women, girls]\n", "    serves: [50.82]\n"),
    "key": ("    confidential: true\n", '    confidential: true\n    "50.82, 4.37": x\n'),
    "location key": ("lon: 4.3700}", 'lon: 4.3700, "50.82": 4.37}'),
    "misspelt key": ("    confidential: true\n", "    confidental: true\n    confidential: true\n"),
    "confidential": ("    confidential: true\n", "    confidential: 50.82 4.37\n"),
    "cost": ("    confidential: true\n", "    confidential: true\n    cost: 50.82\n"),
    "date": ("    confidential: true\n", "    confidential: true\n    last_verified: 50.82\n"),
    "ages": (
        "    confidential: true\n",
        "    confidential: true\n    age_min: 50\n    age_max: 4\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIDENTIAL_EDITS))
def test_no_value_of_a_confidential_record_is_repeated(tmp_path, name):
    old, new = CONFIDENTIAL_EDITS[name]
    shelter, end = TINY.index("  - id: shelter"), TINY.index("  - id: lawyer")
    assert old in TINY[shelter:end], name
    text = TINY[:shelter] + TINY[shelter:end].replace(old, new, 1) + TINY[end:]
    found = problems(write(tmp_path, text))
    mine = [p for p in found if "services[3]" in p]
    assert mine, found
    for p in mine:
        message = p.split(": ", 1)[1]
        for secret in ("50.82", "4.37", "50", "did you mean", "confidental"):
            assert secret not in message.replace("services[3]", ""), p
        assert "confidential service" in message or "is required" in message, p


def test_a_confidential_duplicate_id_is_not_repeated(tmp_path):
    text = replace("  - id: lawyer\n", "  - id: shelter\n")
    found = problems(write(tmp_path, text))
    assert len(found) == 1 and "a duplicate id (first at line" in found[0], found
    assert "'shelter'" not in found[0]
    text = replace("  - id: lawyer\n", "  - id: ngo\n")
    assert "'ngo' is a duplicate id" in problems(write(tmp_path, text))[0]


def test_a_far_service_is_no_error_inside_the_country(tmp_path):
    """No limit on how far services lie from each other: a whole country is one inventory
    (issue #19). A place abroad is named without a distance, a place or a coordinate."""
    fr = TINY.replace("country: BE", "country: FR").replace("Europe/Brussels", "Europe/Paris")
    for (lat, lon), (flat, flon) in {
        ("50.8350", "4.3480"): ("48.8566", "2.3522"),
        ("50.8466", "4.3528"): ("48.8606", "2.3376"),
        ("50.8400", "4.3300"): ("48.8530", "2.3499"),
        ("50.8500", "4.3600"): ("48.8600", "2.3600"),
    }.items():
        fr = fr.replace(f"lat: {lat}, lon: {lon}", f"lat: {flat}, lon: {flon}")
    shelter_far = fr.replace("lat: 50.8200, lon: 4.3700", "lat: 43.2965, lon: 5.3698")
    inv = load_site(write(tmp_path, shelter_far))  # Marseille, 660 km from Paris
    assert inv.by_id["shelter"].confidential
    abroad = fr.replace("lat: 50.8200, lon: 4.3700", "lat: 45.4642, lon: 9.1900")  # Milan
    found = problems(write(tmp_path, abroad))
    assert [p.split(": ", 1)[1] for p in found] == [
        "services[3].location: lies outside FR (more than 10 km); check latitude and longitude"
    ]


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ({}, False),
        ({"confidential": None}, False),
        ({"confidential": False}, False),
        ({"confidential": 0}, False),
        ({"confidential": "false"}, False),
        ({"confidential": " No "}, False),
        ({"confidential": True}, True),
        ({"confidential": "yes"}, True),
        ({"confidential": "50.82 4.37"}, True),
        ({"confidential": [1]}, True),
        ("a string", False),
    ],
)
def test_what_counts_as_confidential_when_reporting(raw, secret):
    from pathways.io.load import _is_confidential

    assert _is_confidential(raw) is secret


def test_control_characters_are_escaped_in_messages(tmp_path):
    text = replace("[safety.police]", '["\\e[31mred\\e[0m", "\\u202elegal"]')
    found = problems(write(tmp_path, text))
    assert found and all(p.isprintable() for p in found), found
    assert any("\\x1b[31mred" in p for p in found) and any("\\u202e" in p for p in found)


def test_swapped_coordinates_are_named_for_each_service_in_one_run(tmp_path):
    text = TINY
    for lat, lon in (("50.8350", "4.3480"), ("50.8500", "4.3600")):
        text = text.replace(f"lat: {lat}, lon: {lon}", f"lat: {lon}, lon: {lat}")
    path = write(tmp_path, text)
    found = problems(path)
    lines = [line_of(text, "lat: 4.3480"), line_of(text, "lat: 4.3600")]
    assert found == [
        f"{path}:{lines[0]}: services[0].location: latitude and longitude look swapped",
        f"{path}:{lines[1]}: services[4].location: latitude and longitude look swapped",
    ]


def test_a_whole_country_is_one_inventory(tmp_path):
    """Aosta to Catania (1,119 km): it validates, and route travel is the geodesic distance
    through the site's one travel model."""
    from pathways.analysis.graph import build_referral_graph
    from pathways.analysis.travel import geodesic_km, travel_model

    it = TINY.replace("country: BE", "country: IT").replace("Europe/Brussels", "Europe/Rome")
    towns = [("45.7372", "7.3206"), ("41.9028", "12.4964"), ("37.5079", "15.0830")]
    for (lat, lon), (tlat, tlon) in zip(
        [("50.8350", "4.3480"), ("50.8466", "4.3528"), ("50.8400", "4.3300")], towns, strict=True
    ):
        it = it.replace(f"lat: {lat}, lon: {lon}", f"lat: {tlat}, lon: {tlon}")
    it = it.replace("lat: 50.8500, lon: 4.3600", "lat: 40.8518, lon: 14.2681")  # Naples
    it = it.replace("lat: 50.8200, lon: 4.3700", "lat: 45.4642, lon: 9.1900")  # Milan
    inv = load_site(write(tmp_path, it))
    a, b = inv.by_id["hospital"].location, inv.by_id["ngo"].location
    km = geodesic_km(a.lat, a.lon, b.lat, b.lon)
    assert 1110 < km < 1125  # Aosta - Catania on the ellipsoid (1,119 km)
    G = build_referral_graph(inv)
    for u, v, data in G.edges(data=True):
        s, t = inv.by_id[u].location, inv.by_id[v].location
        expected = travel_model(inv).hours(geodesic_km(s.lat, s.lon, t.lat, t.lon))
        assert data["travel"] == pytest.approx(expected, rel=1e-12) or data["travel"] == 0.0
    assert G.graph["travel"]["network"] == "straight line"


def test_the_content_key_follows_the_content(tmp_path):
    """What the app's caches key analyses on: equal content, equal key; a change, a new one
    (also through `model_copy`, which must not keep the old digest)."""
    a, b = load_site(DATA / "tiny.yaml"), load_site(write(tmp_path, TINY))
    assert a.content_key == b.content_key
    changed = a.model_copy(update={"services": a.services[:-1]})
    assert changed.content_key != a.content_key
    assert (
        load_site(write(tmp_path, replace("name: Legal clinic", "name: Law clinic"))).content_key
        != a.content_key
    )
