"""Population coverage: the nearest-service kernel, hand-made answers, sources, privacy, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from pathways.analysis import coverage as cov_mod
from pathways.analysis.coverage import (
    nearest,
    nearest_hours,
    shares_within,
    site_coverage,
    weighted_median,
)
from pathways.analysis.population import Population, PopulationUnit, load_population
from pathways.analysis.travel import TravelModel
from pathways.cli import main
from pathways.io.load import load_site, read_site
from pathways.model.errors import InventoryError
from pathways.public.privacy import public_view
from tests.factories import make_inventory, service
from tests.test_privacy import leaks, secrets_of

GEOD = Geod(ellps="WGS84")
SITES = sorted((Path(__file__).parent.parent / "data" / "sites").glob("*.yaml"))
TINY = Path(__file__).parent / "data" / "tiny.yaml"

# --- the kernel --------------------------------------------------------------------------------


def brute_force(px, py, tx, ty):
    d = np.hypot(px[:, None] - tx[None, :], py[:, None] - ty[None, :])
    return d.min(axis=1), d.argmin(axis=1)


@pytest.mark.parametrize("clustered", [False, True])
@pytest.mark.parametrize("m", [1, 2, 5, 37, 400])
def test_nearest_is_exact_with_cells(monkeypatch, clustered, m):
    monkeypatch.setattr(cov_mod, "PRUNE_FROM", 0)  # use the cell path even for few points
    rng = np.random.default_rng(m)
    px, py = rng.uniform(0, 50_000, 4000), rng.uniform(0, 30_000, 4000)
    if clustered:
        tx, ty = rng.normal(10_000, 800, m), rng.normal(8_000, 800, m)
    else:
        tx, ty = rng.uniform(-5_000, 55_000, m), rng.uniform(0, 30_000, m)
    d, i = nearest(px, py, tx, ty)
    bd, _ = brute_force(px, py, tx, ty)
    np.testing.assert_allclose(d, bd, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(px - tx[i], py - ty[i]), bd, atol=1e-6)


def test_nearest_with_no_targets_or_duplicate_points(monkeypatch):
    monkeypatch.setattr(cov_mod, "PRUNE_FROM", 0)
    px = np.array([0.0, 0.0, 10.0, 10.0])
    d, i = nearest(px, px, np.array([]), np.array([]))
    assert np.isinf(d).all() and (i == -1).all()
    d, i = nearest(px, px, np.array([0.0, 0.0, 10.0]), np.array([0.0, 0.0, 10.0]))
    np.testing.assert_allclose(d, 0.0)


def test_shares_and_weighted_median():
    hours = np.array([0.25, 0.75, 1.5, 3.0, math.inf])
    pop = np.array([10.0, 20.0, 30.0, 30.0, 10.0])
    assert shares_within(hours, pop) == {30: 0.1, 60: 0.3, 120: 0.6}
    assert weighted_median(hours, pop) == 1.5
    assert shares_within(hours, np.zeros(5)) == {30: 0.0, 60: 0.0, 120: 0.0}


# --- a hand-made grid with known answers --------------------------------------------------------

CENTRE = (14.5, -3.5)  # a service here


def north_of(km: float, east_km: float = 0.0) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(CENTRE[1], CENTRE[0], 0, km * 1000)
    if east_km:
        lon, lat, _ = GEOD.fwd(lon, lat, 90, east_km * 1000)
    return float(lat), float(lon)


def grid_population() -> Population:
    """Places 10, 25, 45, 70, 100 and 150 km north of CENTRE; 100 people each, times ten."""
    kms = [10, 25, 45, 70, 100, 150]
    units = tuple(
        PopulationUnit(f"p{km}", *north_of(km), 100.0 * (i + 1)) for i, km in enumerate(kms)
    )
    return Population("t", "hand-made test grid", units, "places", "6 places")


def grid_inventory(**extra_services):
    services = [
        service(
            "clinic",
            ["health.cmr"],
            entry=True,
            location=dict(zip(("lat", "lon"), CENTRE, strict=True)),
        ),
        service(
            "far-legal",
            ["legal"],
            location=dict(zip(("lat", "lon"), north_of(150), strict=True)),
        ),
        service("line", ["hotline"], location=dict(zip(("lat", "lon"), north_of(5), strict=True))),
        *extra_services.values(),
    ]
    return make_inventory(services, travel={"mode": "car", "speed_kmh": 60, "circuity": 1.0})


def test_coverage_on_a_hand_made_grid():
    """At 60 km/h and circuity 1, minutes equal kilometres: every answer is known."""
    inv = grid_inventory()
    result = site_coverage(inv, population=grid_population())
    cmr = result.category("health.cmr")
    total = 100 + 200 + 300 + 400 + 500 + 600
    assert cmr.within[30] == pytest.approx((100 + 200) / total)
    assert cmr.within[60] == pytest.approx((100 + 200 + 300) / total)
    assert cmr.within[120] == pytest.approx((100 + 200 + 300 + 400 + 500) / total)
    assert cmr.median_minutes == pytest.approx(100, abs=0.1)
    minutes = {u.name: u.minutes for u in result.units}
    for km in (10, 25, 45, 70, 100, 150):
        assert minutes[f"p{km}"]["health.cmr"] == pytest.approx(km, abs=0.05)
        assert minutes[f"p{km}"]["legal"] == pytest.approx(150 - km, abs=0.05)
    assert result.category("hotline").remote and result.category("hotline").within[30] == 1.0
    # minimum-package categories the site lacks: no service, nobody covered
    mhpss = result.category("mhpss")
    assert mhpss.services == 0 and mhpss.within[120] == 0 and mhpss.median_minutes is None
    assert minutes["p10"]["mhpss"] is None
    assert result.population == total and result.population_source == "hand-made test grid"


def test_coverage_uses_the_site_travel_mode():
    inv = grid_inventory()
    walk = inv.model_copy(
        update={"site": inv.site.model_copy(update={"travel": type(inv.site.travel)(mode="walk")})}
    )
    result = site_coverage(walk, population=grid_population(), categories=["health.cmr"])
    p10 = next(u for u in result.units if u.name == "p10")
    assert p10.minutes["health.cmr"] == pytest.approx(10 * 1.3 / 4.5 * 60, abs=0.06)


def test_confidential_services_count_at_their_public_place_and_hidden_ones_not_at_all():
    shelter_here = dict(zip(("lat", "lon"), north_of(10), strict=True))
    inv = grid_inventory(
        s1=service("shelter", ["safety.shelter"], confidential=True, location=shelter_here),
        s2=service(
            "hidden",
            ["safety.shelter"],
            confidential=True,
            location_precision="hidden",
            location=dict(zip(("lat", "lon"), north_of(70), strict=True)),
        ),
    )
    with pytest.raises(TypeError, match="public view"):  # the true places never reach it
        site_coverage(inv, population=grid_population(), categories=["safety.shelter"])
    result = site_coverage(
        public_view(inv), population=grid_population(), categories=["safety.shelter"]
    )
    p10 = next(u for u in result.units if u.name == "p10").minutes["safety.shelter"]
    assert p10 is not None and p10 > 1.0  # not at the true place (0 min): at its grid point
    assert result.category("safety.shelter").services == 1
    assert any("no public place" in n for n in result.notes)


def test_output_never_holds_a_service_location():
    shelter = service(
        "shelter",
        ["safety.shelter"],
        confidential=True,
        location=dict(zip(("lat", "lon"), north_of(30, 2), strict=True)),
    )
    inv = grid_inventory(s=shelter)
    text = json.dumps(site_coverage(public_view(inv), population=grid_population()).to_dict())
    assert leaks(text, secrets_of(inv)) == []
    for s in inv.services:
        assert f"{s.location.lat}" not in text and f"{s.location.lon}" not in text


def test_a_site_without_population_data_says_how_to_add_it():
    with pytest.raises(InventoryError, match=r"population\.yaml"):
        site_coverage(load_site(TINY))


def test_nearest_hours_vectorised_for_many_points():
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(50.7, 51.0, 50_000), rng.uniform(4.2, 4.5, 50_000)
    s_lat, s_lon = rng.uniform(50.7, 51.0, 300), rng.uniform(4.2, 4.5, 300)
    offers = {"a": rng.random(300) < 0.5, "b": np.zeros(300, dtype=bool)}
    model = TravelModel("car", 60.0, 1.0)
    hours = nearest_hours(lat, lon, s_lat, s_lon, offers, model=model)
    assert np.isinf(hours["b"]).all()
    sample = rng.integers(0, 50_000, 200)
    sel = offers["a"]
    for k in sample:
        _, _, d = GEOD.inv(
            np.full(sel.sum(), lon[k]), np.full(sel.sum(), lat[k]), s_lon[sel], s_lat[sel]
        )
        assert hours["a"][k] == pytest.approx(d.min() / 1000 / 60, rel=2e-4)


# --- population sources -------------------------------------------------------------------------


def write_places(tmp_path: Path, manifest: str, rows: list[tuple]) -> Path:
    lines = ["geonameid,name,latitude,longitude,population"]
    lines += [",".join(str(v) for v in r) for r in rows]
    (tmp_path / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    square = [[[4.0, 50.0], [4.2, 50.0], [4.2, 50.2], [4.0, 50.2], [4.0, 50.0]]]
    area = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    (tmp_path / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [area]}), encoding="utf-8"
    )
    (tmp_path / "total.csv").write_text("age,population\n0-4,10\nUkupno,2000\n", encoding="utf-8")
    (tmp_path / "population.yaml").write_text(manifest, encoding="utf-8")
    return tmp_path / "population.yaml"


def places_inventory(tmp_path: Path):
    inv = make_inventory([service("a", ["legal"], location={"lat": 50.1, "lon": 4.1})])
    return inv.model_copy(
        update={
            "site": inv.site.model_copy(update={"boundary": "boundary.geojson"}),
            "path": tmp_path / "site.yaml",
        }
    )


ROWS = [
    ("1", "City", 50.10, 4.10, 1000),
    ("2", "Quarter", 50.11, 4.11, 300),
    ("3", "Village", 50.05, 4.05, 200),
    ("4", "Outside", 51.0, 5.0, 5000),
]


def test_places_with_a_container_a_total_and_the_rest_spread(tmp_path):
    manifest = """
source: "test places"
units: places
path: places.csv
container: {id: "1", parts: ["2"]}
total: {path: total.csv, row: Ukupno}
remainder: spread
spacing_km: 4
"""
    write_places(tmp_path, manifest, ROWS)
    pop = load_population(places_inventory(tmp_path))
    assert pop is not None and pop.source == "test places"
    named = {u.name: u.population for u in pop.units if u.kind == "place"}
    assert named == {"City": 700, "Quarter": 300, "Village": 200}  # Outside is left out
    spread = [u for u in pop.units if u.kind == "dispersed"]
    assert len(spread) > 10 and sum(u.population for u in spread) == pytest.approx(800)
    assert pop.total == pytest.approx(2000)


def test_places_scaled_down_to_a_smaller_total(tmp_path):
    manifest = "source: s\nunits: places\npath: places.csv\ntotal: 750\n"
    write_places(tmp_path, manifest, ROWS)
    pop = load_population(places_inventory(tmp_path))
    assert pop is not None and pop.total == pytest.approx(750)
    assert "scaled" in pop.method


def test_a_bad_manifest_names_the_file_and_field(tmp_path):
    write_places(tmp_path, "source: s\nunits: villages\npath: places.csv\n", ROWS)
    with pytest.raises(InventoryError, match=r"population\.yaml: units"):
        load_population(places_inventory(tmp_path))


@pytest.mark.parametrize("path", SITES, ids=[p.stem for p in SITES])
def test_every_shipped_site_has_population_coverage(path):
    try:
        inv = load_site(path)
    except InventoryError as e:  # being edited by someone right now
        pytest.skip(f"{path.name} does not load: {str(e).splitlines()[0]}")
    result = site_coverage(inv)
    assert result.population > 10_000 and result.population_source
    cmr = result.category("health.cmr")
    assert 0 <= cmr.within[30] <= cmr.within[60] <= cmr.within[120] <= 1
    secrets = secrets_of(read_site(path))  # the true locations
    assert secrets
    assert leaks(json.dumps(result.to_dict()), secrets) == []


# --- the command --------------------------------------------------------------------------------


def test_coverage_command_json_and_text(capsys):
    assert main(["coverage", str(SITES[0].parent), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["site"] for d in data} >= {"brussels", "koro", "zagreb"}
    assert all(d["population_source"] and d["categories"] for d in data)
    assert main(["coverage", str(SITES[0]), "--category", "health.cmr", "--units"]) == 0
    out = capsys.readouterr().out
    assert "population:" in out and "Clinical management of rape" in out and "<=30 min" in out


def test_coverage_command_errors_are_one_line(capsys):
    assert main(["coverage", str(SITES[0]), "--category", "helth.cmr"]) == 1
    assert "did you mean 'health.cmr'" in capsys.readouterr().err
    assert main(["coverage", str(TINY)]) == 1
    assert "no population data" in capsys.readouterr().err


def test_coverage_command_reports_the_other_sites_when_one_has_no_population(capsys, tmp_path):
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "harmanli.yaml").write_text(
        (SITES[0].parent / "harmanli.yaml")
        .read_text(encoding="utf-8")
        .replace("../boundaries/", str(SITES[0].parent.parent / "boundaries") + "/"),
        encoding="utf-8",
    )
    assert main(["coverage", str(folder)]) == 1
    captured = capsys.readouterr()
    assert "Harmanli [harmanli]" in captured.out and "tiny: no population data" in captured.err


def test_a_population_manifest_may_not_name_files_outside_its_folder(tmp_path):
    (tmp_path / "population.yaml").write_text(
        "source: test\nunits: areas\npath: ../../../../etc/passwd\npopulation_field: pop\n",
        encoding="utf-8",
    )
    inv = load_site(TINY)
    with pytest.raises(InventoryError, match="leads outside the manifest's folder"):
        load_population(inv, tmp_path / "population.yaml")


# --- honest coverage: counted against the site's known total -------------------------------------


@pytest.mark.parametrize("path", SITES, ids=[p.stem for p in SITES])
def test_every_shipped_site_states_counted_total_and_sources(path):
    try:
        inv = load_site(path)
    except InventoryError as e:  # being edited by someone right now
        pytest.skip(f"{path.name} does not load: {str(e).splitlines()[0]}")
    d = site_coverage(inv, categories=["health.cmr"]).to_dict()
    assert d["population_counted"] > 0 and d["population_source"]
    assert d["population_total"] > 0 and d["population_total_source"]
    assert d["counted_share"] == pytest.approx(
        d["population_counted"] / d["population_total"], abs=1e-4
    )
    assert d["complete"] is (d["counted_share"] >= cov_mod.COMPLETE_SHARE)
    assert (d["missing"] is None) is d["complete"]
    assert (
        d["status"].startswith("only " if not d["complete"] else "")
        and f"{d['population_total']:,}" in d["status"]
    )


def koro_text(lang: str, capsys) -> str:
    assert (
        main(
            [
                "coverage",
                str(SITES[0].parent / "koro.yaml"),
                "--category",
                "health.cmr",
                "--lang",
                lang,
            ]
        )
        == 0
    )
    return capsys.readouterr().out


def test_koro_town_alone_is_not_printed_as_the_cercle(capsys):
    inv = load_site(SITES[0].parent / "koro.yaml")
    result = site_coverage(inv, categories=["health.cmr"])
    counted, total = result.population_counted, result.population_total
    assert total is not None and counted < cov_mod.COMPLETE_SHARE * total
    assert result.complete is False
    d = result.to_dict()
    assert d["shares_of"] == "counted" and "villages" in d["missing"]
    cmr = d["categories"][0]
    # the town is all within 30 min, but for the cercle that is only a lower bound
    assert cmr["within_minutes"]["30"] == 1.0
    bounds = cmr["within_minutes_of_total"]["30"]
    assert bounds["low"] == pytest.approx(counted / total, abs=1e-4) and bounds["high"] == 1.0
    out = koro_text("en", capsys)
    head = out.splitlines()[0]
    assert f"only {counted:,.0f} of {total:,.0f} people counted ({counted / total:.0%})" in head
    assert "the cercle's villages are not counted" in head
    row = next(line for line in out.splitlines() if "Clinical management of rape" in line)
    pct = f"{counted / total:.0%}"
    assert row.split()[-4:] == [f"{pct}–100%"] * 3 + ["?"]  # ranges, never a bare 100%
    out_fr = koro_text("fr", capsys)
    assert "seulement 24\u202f694 personnes comptées sur 361\u202f944 (7\u202f%)" in out_fr
    assert "les villages du cercle ne sont pas comptés" in out_fr


def test_a_complete_site_prints_its_shares_plainly(capsys):
    assert (
        main(["coverage", str(SITES[0].parent / "brussels.yaml"), "--category", "health.cmr"]) == 0
    )
    out = capsys.readouterr().out
    assert "1,218,255 of 1,218,255 people counted (100%)" in out.splitlines()[0]
    row = next(line for line in out.splitlines() if "Clinical management of rape" in line)
    assert "–" not in row and "?" not in row


def hand_made_incomplete(total: float | None):
    """The grid (2,100 people) against a known total: 2,100 of 10,000 is incomplete."""
    from pathways.analysis.population import KnownTotal

    grid = grid_population()
    known = (
        None
        if total is None
        else KnownTotal(total, {"en": "hand census", "fr": "recensement"}, 2020)
    )
    pop = Population(
        grid.site,
        grid.source,
        grid.units,
        grid.kind,
        grid.method,
        known,
        {"en": "the hills are not counted", "fr": "les collines ne sont pas comptées"},
    )
    return site_coverage(
        grid_inventory(), population=pop, categories=["health.cmr", "legal", "mhpss", "hotline"]
    )


def test_bounds_for_the_whole_site_worked_by_hand():
    result = hand_made_incomplete(10_000)
    assert result.complete is False and result.counted_share == pytest.approx(0.21)
    # 300 of the 2,100 counted are within 30 min of the clinic: 3 % of 10,000 at least; the
    # 7,900 not counted could all be near it: 82 % at most
    assert result.share_bounds("health.cmr", 30) == pytest.approx((0.03, 0.82))
    assert result.share_bounds("mhpss", 120) == (0.0, 0.0)  # no service: nobody, counted or not
    assert result.share_bounds("hotline", 30) == (1.0, 1.0)  # by phone: everybody
    assert result.status_in("fr").startswith(
        "seulement 2\u202f100 personnes comptées sur 10\u202f000"
    )
    assert result.total_source_in("fr") == "recensement (2020)"
    complete = hand_made_incomplete(2_500)  # 84 %: complete, shares are the site's
    assert (
        complete.complete is True
        and complete.share_bounds("health.cmr", 30)
        == (complete.category("health.cmr").within[30],) * 2
    )
    unknown = hand_made_incomplete(None)
    assert unknown.complete is None and unknown.to_dict()["population_total"] is None
    assert "no known total" in unknown.status_in("en")


def test_the_compare_page_charts_only_complete_counts_and_says_why_not():
    from views.viewmodels.compare import coverage_rows, not_charted, people_table

    incomplete, complete = hand_made_incomplete(10_000), hand_made_incomplete(2_500)
    complete = type(complete)(**{**complete.__dict__, "name": "Complete site"})
    coverages = [incomplete, complete, "no population data", None]
    charted = {r["site"] for r in coverage_rows(coverages, "health.cmr")}
    assert charted == {"Complete site"}
    notes = not_charted(coverages, "health.cmr", "en", escape=lambda s: s.replace("*", "\\*"))
    assert len(notes) == 1
    assert notes[0].startswith(
        "**Test site** is not charted: only 2,100 of 10,000 people counted (21%)"
    )
    assert "the hills are not counted" in notes[0]
    assert "Of the 2,100 people counted, 14% live within 30 min" in notes[0]
    assert "between 3% and 82%" in notes[0]
    fr = people_table(coverages, "fr")
    assert list(fr.index) == ["Test site", "Complete site"]
    assert fr.loc["Test site", "part comptée"] == "21\u202f%"
    assert fr.loc["Test site", "chiffres de couverture"] == "incomplets : pas dans le graphique"
    assert fr.loc["Complete site", "total d'après"] == "recensement (2020)"
