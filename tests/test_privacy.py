"""What a confidential location becomes: the four tiers, determinism, and no leak in any map."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from mapping.assets import standalone_html
from mapping.build import build_map
from pathways.analysis.gaps import find_gaps
from pathways.io.basemap import basemap_path
from pathways.io.load import load_site, read_site
from pathways.model import areas
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from pathways.public import privacy
from pathways.public.privacy import (
    GRID_DEGREES,
    MIN_DISTANCE_M,
    distance_m,
    public_place,
    public_view,
    snap_to_grid,
)
from tests.factories import make_inventory, service

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SITES = sorted((Path(__file__).parent.parent / "data" / "sites").glob("*.yaml"))
GEOD = Geod(ellps="WGS84")

SHELTER = (50.8200, 4.3700)


def shelter(**extra) -> dict:
    extra.setdefault("location", {"lat": SHELTER[0], "lon": SHELTER[1]})
    return service(extra.pop("id", "shelter"), ["safety.shelter"], confidential=True, **extra)


def square(lon: float, lat: float, half: float) -> list[list[list[float]]]:
    return [
        [
            [lon - half, lat - half],
            [lon + half, lat - half],
            [lon + half, lat + half],
            [lon - half, lat + half],
            [lon - half, lat - half],
        ]
    ]


def with_areas(tmp_path: Path, areas: list[tuple[str, list]], services: list[dict]) -> Inventory:
    """An inventory whose file sits in tmp_path next to an areas GeoJSON."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": rings},
        }
        for name, rings in areas
    ]
    (tmp_path / "areas.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    inv = make_inventory(services, areas={"path": "areas.geojson"})
    return inv.model_copy(update={"path": tmp_path / "site.yaml"})


def is_cell_centre(value: float) -> bool:
    k = (value / GRID_DEGREES) - 0.5
    return abs(k - round(k)) < 1e-6


# --- the tiers ---------------------------------------------------------------------------------


def test_not_confidential_is_exact():
    inv = make_inventory([service("a", ["legal"], location={"lat": 50.85, "lon": 4.36})])
    place = public_place(inv.services[0], inv)
    assert place is not None
    assert (place.lat, place.lon, place.precision) == (50.85, 4.36, "exact")
    assert not place.withheld


def test_intake_point_is_shown_and_says_the_location_is_withheld():
    inv = make_inventory([shelter(intake={"lat": 50.8466, "lon": 4.3528, "address": "Desk"})])
    place = public_place(inv.services[0], inv)
    assert place is not None
    assert (place.lat, place.lon, place.precision) == (50.8466, 4.3528, "intake")
    assert place.withheld and "withheld" in place.label


def test_an_intake_closer_than_1_km_is_refused_without_saying_where(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace(
        "confidential: true",
        "confidential: true\n    intake: {lat: 50.8205, lon: 4.3705, address: Side door}",
    )
    (tmp_path / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as e:
        read_site(tmp_path / "tiny.yaml")
    message = str(e.value)
    assert "intake" in message and "1 km" in message
    assert "50.82" not in message and "4.37" not in message and "Side door" not in message


def test_hidden_is_not_placed_but_a_public_intake_is():
    hidden = make_inventory([shelter(location_precision="hidden")])
    assert public_place(hidden.services[0], hidden) is None
    with_intake = make_inventory(
        [shelter(location_precision="hidden", intake={"lat": 50.8466, "lon": 4.3528})]
    )
    place = public_place(with_intake.services[0], with_intake)
    assert place is not None and place.precision == "intake"


def test_area_level_is_the_centre_of_the_admin_area(tmp_path):
    # a 6 km square around (4.38, 50.83): its centre is ~1.2 km from the shelter
    inv = with_areas(
        tmp_path,
        [("Elsewhere", square(4.20, 50.83, 0.04)), ("Ixelles <b>", square(4.38, 50.83, 0.04))],
        [shelter()],
    )
    place = public_place(inv.services[0], inv)
    assert place is not None
    assert (place.lat, place.lon, place.precision) == (50.83, 4.38, "area")
    assert place.area == "Ixelles <b>"
    assert place.label == "area level: Ixelles <b> (exact location withheld)"
    assert "Ixelles" in place.describe("fr") and "masquée" in place.describe("fr")


def test_areas_too_small_to_hold_a_core_are_not_used(tmp_path):
    """One area under about 2 km across: the site's areas are not used, the grid is."""
    inv = with_areas(
        tmp_path,
        [("Tiny", square(SHELTER[1], SHELTER[0], 0.004)), ("Big", square(4.20, 50.83, 0.04))],
        [shelter(), shelter(id="other", location={"lat": 50.83, "lon": 4.22})],
    )
    assert not privacy.placing_areas(inv)
    assert public_place(inv.services[1], inv).area is None
    place = public_place(inv.services[0], inv)
    assert place is not None and place.precision == "area" and place.area is None
    assert is_cell_centre(place.lat) and is_cell_centre(place.lon)
    assert distance_m(*SHELTER, place.lat, place.lon) >= MIN_DISTANCE_M


def test_outside_every_area_snaps_to_the_grid(tmp_path):
    inv = with_areas(tmp_path, [("Far", square(5.0, 51.0, 0.01))], [shelter()])
    place = public_place(inv.services[0], inv)
    assert place is not None and place.area is None
    assert is_cell_centre(place.lat) and is_cell_centre(place.lon)


def test_no_areas_snaps_to_the_grid_at_least_1_km_away():
    inv = make_inventory([shelter()])
    place = public_place(inv.services[0], inv)
    assert place is not None and place.precision == "area"
    assert "withheld" in place.label
    # (50.82, 4.37) lies ~0.7 km from its cell's centre (50.825, 4.375): moved to a neighbour
    assert (place.lat, place.lon) != (50.825, 4.375)
    assert distance_m(*SHELTER, place.lat, place.lon) >= MIN_DISTANCE_M


def test_areas_are_cached_by_path(tmp_path):
    inv = with_areas(tmp_path, [("A", square(4.38, 50.83, 0.04))], [shelter()])
    areas.load_areas.cache_clear()
    areas.site_areas(inv)
    areas.site_areas(inv)
    assert areas.load_areas.cache_info().hits == 1


def test_unreadable_areas_file_is_an_inventory_error(tmp_path):
    (tmp_path / "areas.geojson").write_text("{not json", encoding="utf-8")
    inv = make_inventory([shelter()], areas={"path": "areas.geojson"})
    inv = inv.model_copy(update={"path": tmp_path / "site.yaml"})
    with pytest.raises(InventoryError, match=r"areas\.geojson"):
        public_place(inv.services[0], inv)


# --- determinism -------------------------------------------------------------------------------


def test_same_inventory_same_places_every_time():
    inv = load_site(TINY)
    first = privacy.public_places(inv)
    again = privacy.public_places(load_site(TINY))
    assert first == again
    assert first["shelter"] is not None and first["shelter"].precision == "area"


def test_grid_choice_does_not_depend_on_the_process_or_the_site():
    """The neighbour is chosen by sha256 of the cell, never by Python's salted hash(), and
    the same place gives the same point whatever inventory lists it."""
    expected = snap_to_grid(*SHELTER)
    assert expected == snap_to_grid(*SHELTER)
    a = make_inventory([shelter()], id="one")
    b = make_inventory([shelter(id="other-id")], id="two")
    assert public_place(a.services[0], a) == public_place(b.services[0], b)


@settings(max_examples=300, deadline=None)
@given(st.floats(-75, 75), st.floats(-179.99, 179.99))
def test_grid_point_is_a_cell_centre_at_least_1_km_away(lat, lon):
    slat, slon = snap_to_grid(lat, lon)
    assert is_cell_centre(slat) and is_cell_centre(slon)
    assert distance_m(lat, lon, slat, slon) >= MIN_DISTANCE_M
    assert distance_m(lat, lon, slat, slon) < 3 * 5600  # still about where it was


def test_public_gdf_lists_hidden_services_without_a_place():
    inv = make_inventory(
        [service("a", ["legal"]), shelter(location_precision="hidden"), shelter(id="s2")]
    )
    gdf = privacy.public_gdf(inv)
    assert list(gdf["precision"]) == ["exact", "hidden", "area"]
    assert gdf.loc["shelter", "geometry"] is None
    s2 = gdf.loc["s2", "geometry"]
    assert distance_m(*SHELTER, s2.y, s2.x) >= MIN_DISTANCE_M


# --- nothing within 1 km of a confidential location in any rendered map ------------------------

_NUMBER = re.compile(r"-?\d{1,3}\.\d+")


def public_pairs(inv: Inventory) -> set[tuple[float, float]]:
    """Coordinates anyone may see: boundary-file and base-map vertices (towns, coasts: open
    data that does not depend on any shelter) and every service's public place.

    A shelter may well lie 500 m from a hospital, a village or a commune border: not leaks.
    Both orders are listed (GeoJSON is lon,lat; Leaflet is lat,lon).
    """
    found: set[tuple[float, float]] = set()

    def walk(coords):
        if coords and isinstance(coords[0], int | float):
            found.add((float(coords[0]), float(coords[1])))
        else:
            for c in coords:
                walk(c)

    paths = [inv.resolve_path(inv.site.boundary)] if inv.site.boundary else []
    paths += [inv.resolve_path(inv.site.areas.path)] if inv.site.areas else []
    paths += [p for p in [basemap_path(inv)] if p is not None]
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for f in data.get("features", []):
            if f.get("geometry"):
                walk(f["geometry"]["coordinates"])
    for place in privacy.public_places(inv).values():
        if place is not None:
            found.add((place.lat, place.lon))
    return found | {(b, a) for a, b in found}


def leaks(text: str, secrets: list[tuple[float, float]], public: set = frozenset()) -> list[str]:
    """Every adjacent number pair in `text`, read as lat,lon or lon,lat, within 1 km of a secret.

    Pairs made only of numbers that belong to `public` pairs are skipped.
    """
    nums = np.array([float(x) for x in _NUMBER.findall(text)])
    if len(nums) < 2 or not secrets:
        return []
    is_public = np.zeros(len(nums), dtype=bool)
    for k in range(len(nums) - 1):
        if (nums[k], nums[k + 1]) in public:
            is_public[k] = is_public[k + 1] = True
    a, b = nums[:-1], nums[1:]
    skip = is_public[:-1] & is_public[1:]
    found = []
    for lat, lon in secrets:
        for la, lo, order in ((a, b, "lat,lon"), (b, a, "lon,lat")):
            near = (np.abs(la - lat) < 0.02) & (np.abs(lo - lon) < 0.03) & ~skip
            idx = np.flatnonzero(near)
            if len(idx):
                _, _, d = GEOD.inv(np.full(len(idx), lon), np.full(len(idx), lat), lo[idx], la[idx])
                found += [
                    f"{la[i]},{lo[i]} ({order}, {dd:.0f} m)"
                    for i, dd in zip(idx, d, strict=True)
                    if dd < MIN_DISTANCE_M
                ]
    return found


def secrets_of(inv: Inventory) -> list[tuple[float, float]]:
    return [(s.location.lat, s.location.lon) for s in inv.services if s.confidential]


def test_the_leak_checker_finds_a_planted_location():
    inv = load_site(TINY)
    m = build_map(inv, tiles=None)
    secrets = secrets_of(read_site(TINY))
    assert leaks(m.get_root().render(), secrets) == []
    folium.CircleMarker((50.8203, 4.3702)).add_to(m)  # 40 m from the shelter
    assert leaks(m.get_root().render(), secrets)


def _check_no_leak(true: Inventory, *, tiles: tuple[str | None, ...] = (None,)) -> None:
    """Maps of the public view of `true` (an inventory with true locations) leak none of them."""
    secrets = secrets_of(true)
    inv = public_view(true)
    public = public_pairs(inv)
    gaps = find_gaps(inv)
    for tile in tiles:
        m = build_map(inv, gaps=gaps, tiles=tile)
        assert leaks(m.get_root().render(), secrets, public) == []
        assert leaks(standalone_html(m), secrets, public) == []


def test_tiny_map_shows_no_confidential_location():
    inv = read_site(TINY)
    assert secrets_of(inv)
    _check_no_leak(inv, tiles=(None, "OpenStreetMap"))


@pytest.mark.parametrize("path", SITES, ids=[p.stem for p in SITES])
def test_site_map_shows_no_confidential_location(path):
    try:
        inv = read_site(path)
    except InventoryError as e:  # being written by someone right now
        pytest.skip(f"{path.name} does not load yet: {str(e).splitlines()[0]}")
    for s in inv.services:
        place = public_place(s, inv)
        if s.confidential and place is not None:
            assert distance_m(s.location.lat, s.location.lon, place.lat, place.lon) >= 1000
    _check_no_leak(inv)


def test_confidential_address_and_area_never_rendered():
    inv = make_inventory(
        [
            shelter(
                location={
                    "lat": SHELTER[0],
                    "lon": SHELTER[1],
                    "address": "Secret Street 9",
                    "area": "Hidden Quarter",
                },
                notes="back door code 1234",
            ),
            service(
                "open", ["legal"], location={"lat": 50.85, "lon": 4.36, "address": "Open Road 1"}
            ),
        ]
    )
    html = standalone_html(build_map(inv, tiles=None))
    assert "Secret Street" not in html and "Hidden Quarter" not in html and "1234" not in html
    assert "Open Road 1" in html


# --- the gate: public views and public places as regions ----------------------------------------


def test_a_shelter_in_an_areas_core_is_shown_at_its_alternate_point(tmp_path):
    """Within 1 km of the area's centre the centre would be too close: the alternate point
    (at least 2 km from the centre, inside the area, named after it) is shown instead."""
    near = {"lat": 50.8330, "lon": 4.3830}  # ~400 m from the centre (50.83, 4.38)
    inv = with_areas(tmp_path, [("Ixelles", square(4.38, 50.83, 0.04))], [shelter(location=near)])
    (area,) = areas.site_areas(inv)
    assert area.holds_a_core and area.alternate is not None
    place = public_place(inv.services[0], inv)
    assert place is not None and place.area == "Ixelles"
    assert (place.lat, place.lon) == area.alternate
    assert distance_m(near["lat"], near["lon"], place.lat, place.lon) >= MIN_DISTANCE_M
    assert distance_m(area.lat, area.lon, *area.alternate) >= 2 * MIN_DISTANCE_M


@settings(max_examples=300, deadline=None)
@given(st.floats(-0.035, 0.035), st.floats(-0.035, 0.035))
def test_area_points_are_always_1_km_from_the_true_location(dlat, dlon):
    """Anywhere in the area (centre ring or core), the point shown is at least 1 km away."""
    (area,) = areas.load_areas(_SQUARE_AREAS)
    lat, lon = 50.83 + dlat, 4.38 + dlon
    shown = privacy.area_point(area, lat, lon)
    assert distance_m(lat, lon, *shown) >= MIN_DISTANCE_M


_SQUARE_AREAS = Path(__file__).parent / "data" / "geo" / "square_area.geojson"


def _moved(inv: Inventory, sid: str, lat: float, lon: float) -> Inventory:
    services = tuple(
        s.model_copy(update={"location": s.location.model_copy(update={"lat": lat, "lon": lon})})
        if s.id == sid
        else s
        for s in inv.services
    )
    return inv.model_copy(update={"services": services})


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-0.04, 0.04), st.floats(-0.06, 0.06), st.floats(-0.04, 0.04), st.floats(-0.06, 0.06)
)
def test_the_public_view_depends_only_on_the_public_place(a_lat, a_lon, b_lat, b_lon):
    """Non-interference of the gate itself: two true locations with the same public place give
    equal public views (every service, every field); a different place, a different view."""
    base = read_site(TINY)
    a = _moved(base, "shelter", 50.82 + a_lat, 4.37 + a_lon)
    b = _moved(base, "shelter", 50.82 + b_lat, 4.37 + b_lon)
    same = public_place(a.by_id["shelter"], a) == public_place(b.by_id["shelter"], b)
    va, vb = public_view(a), public_view(b)
    assert (va.services == vb.services) == same
    assert va.referrals == vb.referrals and va.site == vb.site


def test_the_public_view_keeps_everything_but_the_true_place():
    true = read_site(TINY)
    view = public_view(true)
    assert public_view(view) is view  # idempotent: loading twice changes nothing
    for s, p in zip(true.services, view.services, strict=True):
        if not s.confidential:
            assert p is s
            continue
        assert p.model_copy(update={"location": s.location, "intake": s.intake}) == s
        assert (p.location.lat, p.location.lon) != (s.location.lat, s.location.lon)
        assert p.location.address is None  # its own address is gone
    assert view.referrals == true.referrals and view.site == true.site


def test_a_hidden_service_stands_at_the_sites_reference_point_for_computations():
    true = read_site(TINY)
    hidden = true.model_copy(
        update={
            "services": tuple(
                s.model_copy(update={"location_precision": "hidden"}) if s.confidential else s
                for s in true.services
            )
        }
    )
    view = public_view(hidden)
    assert public_place(view.by_id["shelter"], view) is None  # never drawn
    moved = public_view(_moved(hidden, "shelter", 50.86, 4.30))
    assert moved.by_id["shelter"].location == view.by_id["shelter"].location
    assert view.by_id["shelter"].location == privacy.reference_point(true)


def test_a_subset_of_a_public_view_is_a_public_view():
    from views.viewmodels.explore import subset

    view = load_site(TINY)
    part = subset(view, ["shelter", "ngo"])
    assert isinstance(part, privacy.PublicInventory)
    assert public_place(part.by_id["shelter"], part) == public_place(view.by_id["shelter"], view)
