"""The map builder and its layers, asserted on folium objects and rendered HTML (no browser)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import pytest
from branca.element import JavascriptLink

from mapping import assets, layers, style
from mapping.build import build_map, save_map
from mapping.tree import walk
from pathways.analysis.coverage import site_coverage
from pathways.analysis.gaps import Gap, find_gaps
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.population import Population, PopulationUnit
from pathways.analysis.routes import Profile, route
from pathways.analysis.travel import travel_hours
from pathways.io import basemap
from pathways.io.basemap import credits, load_basemap
from pathways.io.load import load_site, read_site
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_places
from tests.test_privacy import leaks, public_pairs, secrets_of

TINY = Path(__file__).parent / "data" / "tiny.yaml"

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
TEMPLATE = "${alert(1)}`;alert(2);`"
PAYLOADS = (SCRIPT, ATTR, TEMPLATE)


@pytest.fixture(scope="module")
def tiny() -> Inventory:
    return load_site(TINY)


def elements(m: folium.Map, kind: type) -> list:
    return [e for e in walk(m) if isinstance(e, kind)]


def groups(m: folium.Map) -> dict[str, folium.FeatureGroup]:
    return {g.layer_name: g for g in elements(m, folium.FeatureGroup)}


def js_decoded(text: str) -> str:
    """The page as the browser's JavaScript sees its strings (JSON escapes undone)."""
    for escaped, char in (
        ("\\u003c", "<"),
        ("\\u003e", ">"),
        ("\\u0026", "&"),
        ("\\u0027", "'"),
        ('\\"', '"'),
        ("\\/", "/"),
    ):
        text = text.replace(escaped, char)
    return text


# --- structure ---------------------------------------------------------------------------------


def test_build_map_draws_every_layer(tiny):
    m = build_map(tiny, gaps=find_gaps(tiny), tiles=None)
    names = set(groups(m))
    assert style.text("referrals") in names and style.text("gaps_layer") in names
    category_groups = [n for n in names if "Clinical management of rape" in n]
    assert len(category_groups) == 1
    # four services drawn (the shelter at area level), one per marker
    assert len(elements(m, layers.DivMarker)) == 5
    assert len(elements(m, folium.LayerControl)) == 1
    assert any(isinstance(e, folium.map.FitBounds) for e in walk(m))
    assert m.options["prefer_canvas"] is True


def test_offline_map_has_no_tiles_and_a_background(tiny):
    offline = build_map(tiny, tiles=None)
    assert not elements(offline, folium.TileLayer)
    assert elements(offline, layers.Background)
    online = build_map(tiny)
    assert len(elements(online, folium.TileLayer)) == 1
    assert not elements(online, layers.Background)


def test_bounds_use_public_places_only(tiny):
    (south, west), (north, east) = layers.bounds([tiny])
    places = [p for p in public_places(tiny).values() if p]
    assert south == min(p.lat for p in places) and east == max(p.lon for p in places)
    shelter = read_site(TINY).by_id["shelter"].location  # the true location
    assert shelter.lat not in (south, north) and shelter.lon not in (west, east)


def test_referrals_have_arrowheads_and_a_readable_tooltip(tiny):
    m = build_map(tiny, tiles=None)
    lines = elements(m, folium.PolyLine)
    assert len(lines) == 3
    assert len(elements(m, layers.ArrowHead)) == 3
    html = m.get_root().render()
    assert "Police station \\u2192 Hospital care centre: for health.cmr, escorted, 1 h" in html or (
        "Police station → Hospital care centre: for health.cmr, escorted, 1 h" in html
    )
    assert layers.referral_text(tiny, 0) == (
        "Hospital care centre → Women's NGO: for case_management, accompanied call, 24 h"
    )


def test_hidden_service_is_not_drawn_and_its_routes_are_left_out(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace(
        "confidential: true", "confidential: true\n    location_precision: hidden"
    )
    (tmp_path / "hidden.yaml").write_text(text, encoding="utf-8")
    m = build_map(load_site(tmp_path / "hidden.yaml"), tiles=None)
    assert len(elements(m, layers.DivMarker)) == 4
    assert len(elements(m, folium.PolyLine)) == 2  # ngo -> shelter is gone
    assert "Safe house" not in m.get_root().render()


def test_categories_filter_services_and_routes(tiny):
    m = build_map(tiny, categories=["legal"], tiles=None)
    markers = elements(m, layers.DivMarker)
    assert len(markers) == 2  # the NGO and the legal clinic
    assert not elements(m, folium.PolyLine)
    legend_html = elements(m, layers.MapControl)[-1].content
    assert "Legal aid" in legend_html and "Clinical management" not in legend_html


def test_entry_points_and_confidential_markers_look_different(tiny):
    places = public_places(tiny)
    hospital = layers.service_icon(tiny.by_id["hospital"], "health.cmr", places["hospital"])
    ngo = layers.service_icon(tiny.by_id["ngo"], "case_management", places["ngo"])
    shelter = layers.service_icon(tiny.by_id["shelter"], "safety.shelter", places["shelter"])
    assert hospital.count("<circle") == 2 and ngo.count("<circle") == 1
    assert "stroke-dasharray" in shelter and "stroke-dasharray" not in ngo
    tip = layers.service_tooltip(tiny.by_id["shelter"], places["shelter"])
    assert "area level, exact location withheld" in tip


def test_gap_rings_and_unplaced_gaps(tiny):
    gaps = [
        Gap("dead_end", "critical", "tiny", services=("lawyer",), message="Lawyer <dead end>"),
        Gap("orphan", "minor", "tiny", services=("lawyer",), message="Lawyer orphan"),
        Gap("missing_category", "major", "tiny", message="No child protection"),
        Gap("orphan", "minor", "elsewhere", services=("x",), message="Other site"),
    ]
    m = layers.gaps_layer(tiny, gaps)
    rings = elements(m, folium.CircleMarker)
    assert len(rings) == 1 and rings[0].options["weight"] == style.GAP_RING["critical"]["weight"]
    html = m.get_root().render()
    assert "Lawyer \\u0026lt;dead end\\u0026gt;" in html and "Lawyer orphan" in html
    assert "No child protection" in html and "Other site" not in html


def test_sites_share_one_layer_per_category(tiny):
    twin = tiny.model_copy(update={"site": tiny.site.model_copy(update={"id": "twin"})})
    m = build_map([tiny, twin], tiles=None)
    names = [g.layer_name for g in elements(m, folium.FeatureGroup)]
    assert len(names) == len(set(names))
    assert len(elements(m, layers.DivMarker)) == 10


def test_french_labels(tiny):
    html = build_map(tiny, lang="fr", tiles=None).get_root().render()
    assert "L\\u00e9gende" in html or "Légende" in html
    assert "Prise en charge clinique du viol" in html


def test_layer_functions_make_a_map_when_given_none(tiny):
    for fn in (layers.services_layer, layers.referrals_layer, layers.boundaries_layer):
        assert isinstance(fn(tiny), folium.Map)
    assert isinstance(layers.gaps_layer(tiny, []), folium.Map)


# --- escaping ----------------------------------------------------------------------------------


def hostile_inventory(tmp_path: Path) -> Inventory:
    evil = " | ".join(PAYLOADS)
    ring = [[[4.30, 50.80], [4.40, 50.80], [4.40, 50.87], [4.30, 50.87], [4.30, 50.80]]]
    area = {
        "type": "Feature",
        "properties": {"name": evil},
        "geometry": {"type": "Polygon", "coordinates": ring},
    }
    (tmp_path / "areas.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [area]}), encoding="utf-8"
    )
    (tmp_path / "boundary.geojson").write_text(json.dumps(area), encoding="utf-8")
    service = {
        "name": evil,
        "organisation": evil,
        "description": evil,
        "categories": ["legal", "health.cmr"],
        "hours_note": evil,
        "contact": {"phone": evil, "email": evil, "website": "https://x.example/" + ATTR},
    }
    data = {
        "site": {
            "id": "evil",
            "name": evil,
            "country": "BE",
            "boundary": "boundary.geojson",
            "areas": {"path": "areas.geojson"},
        },
        "services": [
            {
                **service,
                "id": "a",
                "entry_point": True,
                "location": {"lat": 50.84, "lon": 4.35, "address": evil},
            },
            {**service, "id": "b", "location": {"lat": 50.85, "lon": 4.36}},
            {
                **service,
                "id": "c",
                "confidential": True,
                "categories": ["safety.shelter"],
                "location": {"lat": 50.83, "lon": 4.34},
                "intake": {"lat": 50.86, "lon": 4.38, "address": evil},
            },
        ],
        "referrals": [{"from": "a", "to": "b", "source": evil}, {"from": "b", "to": "c"}],
        "path": str(tmp_path / "evil.yaml"),
    }
    return Inventory.model_validate(data)


def test_inventory_text_is_escaped_everywhere(tmp_path):
    inv = hostile_inventory(tmp_path)
    gaps = [
        Gap("orphan", "minor", "evil", services=("b",), message=SCRIPT),
        Gap("missing_category", "major", "evil", message=ATTR),
    ]
    m = build_map(inv, gaps=gaps, tiles=None)
    for page in (m.get_root().render(), assets.standalone_html(m)):
        seen = js_decoded(page)
        for payload in (SCRIPT, ATTR):
            assert payload not in page and payload not in seen
        assert "<img src=x" not in seen
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen  # drawn, as text


def test_no_folium_element_that_templates_raw_text(tmp_path):
    """folium's Tooltip and Popup put text in JS template literals (`${...}` runs); never used."""
    m = build_map(hostile_inventory(tmp_path), gaps=find_gaps(load_site(TINY)), tiles=None)
    assert not elements(m, folium.Tooltip)
    assert not elements(m, folium.Popup)
    assert "$(`" not in m.get_root().render()


# --- offline -----------------------------------------------------------------------------------


def test_standalone_html_is_offline_with_leaflet_inlined(tiny):
    html = assets.standalone_html(build_map(tiny, gaps=find_gaps(tiny), tiles=None))
    assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*stylesheet[^>]*href=", html, re.IGNORECASE)
    assert '<script src="http' not in html and '<link rel="stylesheet" href="http' not in html
    assert "Leaflet 1.9.4, a JS library for interactive maps" in html
    assert "data:image/png;base64," in html and "url(images/" not in html
    assert "sourceMappingURL" not in html
    for cdn in ("jsdelivr", "jquery", "bootstrap", "awesome-markers", "fontawesome", "cloudflare"):
        assert cdn not in html.lower()


def test_online_standalone_links_only_tiles(tiny):
    html = assets.standalone_html(build_map(tiny))
    assert '<script src="http' not in html
    urls = set(re.findall(r"https?://[^\s\"'`)]+", html.split("</style>", 2)[-1]))
    assert all("openstreetmap.org" in u for u in urls), urls


def test_every_element_links_only_local_leaflet(tiny):
    m = build_map(tiny, gaps=find_gaps(tiny))
    js = [src for e in walk(m) for _, src in getattr(e, "default_js", [])]
    css = [href for e in walk(m) for _, href in getattr(e, "default_css", [])]
    assert js == [f"{assets.SERVED_BASE_URL}/leaflet.js"]
    assert css == [f"{assets.SERVED_BASE_URL}/leaflet.css"]
    assert any("jquery" in url for _, url in folium.Map.default_js), "class lists untouched"


def test_use_served_assets_and_standalone_leave_the_links(tiny):
    m = assets.use_served_assets(build_map(tiny), base_url="/static/leaf/")
    assets.standalone_html(m)
    assert m.default_js == [("leaflet", "/static/leaf/leaflet.js")]
    assert m.default_css == [("leaflet_css", "/static/leaf/leaflet.css")]
    header = m.get_root().render().split("</head>")[0]
    assert '<script src="/static/leaf/leaflet.js"></script>' in header
    with pytest.raises(ValueError, match="absolute"):
        assets.use_served_assets(m, base_url="static/leaf")


def test_standalone_refuses_a_script_it_cannot_inline(tiny):
    m = build_map(tiny, tiles=None)
    m.get_root().header.add_child(JavascriptLink("https://cdn.example/extra.js"))
    with pytest.raises(ValueError, match=r"extra\.js"):
        assets.standalone_html(m)


def test_publish_static_copies_leaflet(tmp_path):
    assets.publish_static(tmp_path)
    assets.publish_static(tmp_path)  # again: overwrites quietly
    folder = tmp_path / "vendor" / "leaflet"
    assert (folder / "leaflet.js").read_text(encoding="utf-8").count("Leaflet 1.9.4") == 1
    assert (folder / "leaflet.css").is_file()
    assert (folder / "images" / "layers.png").is_file()


def test_save_map_writes_standalone_html(tiny, tmp_path):
    out = save_map(build_map(tiny, tiles=None), tmp_path / "tiny.html")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Leaflet 1.9.4" in text


def test_empty_site_draws_an_empty_map():
    inv = Inventory.model_validate({"site": {"id": "empty", "name": "Empty", "country": "BE"}})
    m = build_map(inv, gaps=[], tiles=None)
    assert not elements(m, layers.DivMarker)
    assert "Leaflet 1.9.4" in assets.standalone_html(m)


# --- survivor route, coverage, large maps, clustering ------------------------------------------


def tiny_route(inv: Inventory):
    G = build_referral_graph(inv, travel_hours=travel_hours(inv))
    return route(G, Profile(entry="police", gender="female", age=30), need=["health.cmr"])


def tiny_coverage(inv: Inventory, **kwargs):
    units = (
        PopulationUnit("North <b>", 50.86, 4.35, 5000.0),
        PopulationUnit("South", 50.80, 4.34, 3000.0),
        PopulationUnit("dispersed", 50.83, 4.40, 100.0, "dispersed"),
    )
    population = Population(inv.site.id, "test <counts>", units, "places", "3 places")
    return site_coverage(inv, population=population, **kwargs)


def test_route_layer_numbers_the_hand_offs(tiny):
    r = tiny_route(tiny)
    assert r.found and [s.service for s in r.steps] == ["police", "hospital"]
    m = build_map(tiny, route=r, tiles=None)
    steps = [e for e in elements(m, layers.DivMarker) if e.icon["className"] == "ra-step"]
    assert len(steps) == 2
    assert [json.loads(json.dumps(s.location)) for s in steps] == [
        [50.8466, 4.3528],
        [50.835, 4.348],
    ]
    assert style.text("route") in groups(m)
    boxes = [e for e in elements(m, layers.MapControl) if "ra-route" in e.css_class]
    assert len(boxes) == 1 and "<b>1.</b> Police station" in boxes[0].content
    legend_html = elements(m, layers.MapControl)[-1].content
    assert style.text("route_step") in legend_html


def test_route_through_a_shelter_rounds_times_and_stays_at_the_public_place(tiny):
    G = build_referral_graph(tiny, travel_hours=travel_hours(tiny))
    r = route(G, Profile(entry="hospital", gender="female", age=30), need=["safety.shelter"])
    assert r.found and r.steps[-1].service == "shelter"
    m = layers.route_layer(tiny, r, lang="fr")
    shelter_badge = [e for e in elements(m, layers.DivMarker) if e.icon["className"] == "ra-step"][
        -1
    ]
    place = public_places(tiny)["shelter"]
    assert shelter_badge.location == [place.lat, place.lon]
    box = next(e for e in elements(m, layers.MapControl) if "ra-route" in e.css_class)
    assert "≈" in box.content and "arrondies" in box.content


def test_coverage_layer_draws_classes_and_the_source(tiny, tmp_path):
    cov = tiny_coverage(tiny)
    m = build_map(tiny, coverage=cov, coverage_category="legal", tiles=None)
    name = f"{style.text('coverage')}: Legal aid"
    assert name in groups(m)
    points = elements(groups(m)[name], layers.CanvasPoints)
    assert len(points) == 1 and points[0].data.count('"Feature"') == 3
    box = next(e for e in elements(m, layers.MapControl) if "ra-coverage" in e.css_class)
    assert "test &lt;counts&gt;" in box.content and "≤ 30 min" in box.content
    assert "North &lt;b&gt;" in js_decoded(points[0].data)
    with pytest.raises(ValueError, match="no category"):
        layers.coverage_layer(tiny, tiny_coverage(tiny, categories=["mhpss"]), category="legal")


def test_coverage_choropleth_on_real_areas():
    bxl = load_site(Path(__file__).parent.parent / "data" / "sites" / "brussels.yaml")
    cov = site_coverage(bxl, categories=["health.cmr"])
    m = layers.coverage_layer(bxl, cov)
    fills = [e for e in elements(m, folium.GeoJson)]
    assert len(fills) == 1 and len(fills[0].data["features"]) == 19
    colours = {f["properties"]["c"] for f in fills[0].data["features"]}
    assert colours <= {c for _, c in style.COVERAGE_CLASSES} | {style.COVERAGE_NONE}
    assert not elements(m, layers.CanvasPoints)  # the communes are the population units


def test_large_inventories_are_one_canvas_layer_per_category(tiny):
    m = layers.services_layer(tiny, large=True)
    assert not elements(m, layers.DivMarker)
    dots = elements(m, layers.CanvasPoints)
    assert sum(d.data.count('"Feature"') for d in dots) == 5
    assert '"dashArray":"3 2"' in "".join(d.styles for d in dots)  # the shelter, hollow


def test_large_map_escapes_inventory_text(tmp_path):
    inv = hostile_inventory(tmp_path)
    m = layers.services_layer(inv, large=True)
    page = m.get_root().render()
    seen = js_decoded(page)
    for payload in (SCRIPT, ATTR):
        assert payload not in page and payload not in seen


def test_clustering_is_on_by_default_and_can_be_switched_off(tiny):
    on = build_map(tiny, tiles=None)
    (clusterer,) = elements(on, layers.Clusterer)
    assert len(clusterer.groups) == len(layers.service_groups(on)) == 5
    assert not elements(build_map(tiny, tiles=None, cluster=False), layers.Clusterer)


@pytest.mark.parametrize("tier", ["area", "hidden", "intake"])
def test_no_map_mode_reveals_a_confidential_place(tmp_path, tier):
    """Every tier, with gaps, a route through the shelter and coverage: nothing within 1 km."""
    text = TINY.read_text(encoding="utf-8")
    if tier == "hidden":
        text = text.replace(
            "confidential: true", "confidential: true\n    location_precision: hidden"
        )
    if tier == "intake":
        text = text.replace(
            "confidential: true",
            "confidential: true\n    intake: {lat: 50.8466, lon: 4.3528, address: Desk}",
        )
    (tmp_path / "tiny.yaml").write_text(text, encoding="utf-8")
    inv = load_site(tmp_path / "tiny.yaml")
    G = build_referral_graph(inv, travel_hours=travel_hours(inv))
    r = route(G, Profile(entry="hospital", gender="female"), need=["safety.shelter"])
    secrets, public = secrets_of(read_site(tmp_path / "tiny.yaml")), public_pairs(inv)
    cov = tiny_coverage(inv)
    for tiles in (None, "OpenStreetMap"):
        for large in (False, True):
            m = build_map(inv, gaps=find_gaps(inv), route=r, coverage=cov, tiles=tiles)
            if large:
                m = layers.services_layer(inv, large=True, m=m)
            assert leaks(assets.standalone_html(m), secrets, public) == []


# --- a readable offline map --------------------------------------------------------------------

SITES = Path(__file__).parent.parent / "data" / "sites"


@pytest.mark.parametrize("site", ["koro", "brussels", "rome"])
def test_offline_map_draws_the_sites_base_map_and_credits_exactly_its_sources(site):
    inv = load_site(SITES / f"{site}.yaml")
    bm = load_basemap(inv)
    assert bm is not None
    m = build_map(inv, tiles=None)
    base = layers.basemap_group(m)
    assert base is not None
    (labels,) = elements(m, layers.PlaceLabels)
    names = [p[2] for p in json.loads(js_decoded(labels.places))]
    assert [html.unescape(n) for n in names] == [p.name for p in bm.places()]  # biggest first
    (credit,) = elements(m, layers.Attribution)
    for text, url in credits(bm.sources):
        assert text in credit.html and url in credit.html
    page = m.get_root().render()
    if "osm" not in bm.sources:  # no OpenStreetMap tile nor data drawn: no OSM credit
        assert "OpenStreetMap" not in js_decoded(page)
    assert not elements(m, folium.TileLayer)
    assert not elements(m, layers.TileFallback)


def test_rome_base_map_draws_the_sea_and_the_coast():
    m = build_map(load_site(SITES / "rome.yaml"), tiles=None)
    drawn = [
        f for g in elements(layers.basemap_group(m), folium.GeoJson) for f in g.data["features"]
    ]
    kinds = {f["geometry"]["type"] for f in drawn}
    assert {"Polygon", "MultiPolygon"} & kinds and {"LineString", "MultiLineString"} & kinds


def test_online_map_keeps_the_base_map_until_a_tile_loads():
    m = build_map(load_site(SITES / "koro.yaml"), tiles="OpenStreetMap")
    (fallback,) = elements(m, layers.TileFallback)
    (tiles,) = elements(m, folium.TileLayer)
    assert fallback.tiles is tiles and fallback.base is layers.basemap_group(m)
    html = m.get_root().render()
    assert f"tiles = {tiles.get_name()};" in html and 'tiles.on("tileerror"' in html
    assert "map.removeLayer(tiles)" in html and "map.removeLayer(base)" in html


def test_base_map_can_be_left_out_and_a_site_without_one_draws_none(tiny):
    assert layers.basemap_group(build_map(load_site(SITES / "koro.yaml"), basemap=False)) is None
    m = build_map(tiny, tiles=None)  # the tiny test site has no base map
    assert layers.basemap_group(m) is None and not elements(m, layers.Attribution)


def test_sites_share_one_base_map_layer_crediting_all_their_sources():
    invs = [load_site(SITES / f"{s}.yaml") for s in ("koro", "brussels")]
    m = build_map(invs, tiles=None)
    assert len(elements(m, layers.BasemapGroup)) == 1
    (credit,) = elements(m, layers.Attribution)
    assert "Natural Earth" in credit.html and "OpenStreetMap" in credit.html  # Koro's villages


def test_place_names_are_escaped(tmp_path):
    folder = tmp_path / "basemap" / "brussels"
    folder.mkdir(parents=True)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [4.35, 50.85]},
        "properties": {"kind": "place", "source": "geonames", "name": SCRIPT, "rank": 0},
    }
    (folder / basemap.FILENAME).write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]})
    )
    (tmp_path / "sites").mkdir()
    copy = tmp_path / "sites" / "brussels.yaml"
    copy.write_text(
        (SITES / "brussels.yaml")
        .read_text()
        .replace("../boundaries/", str(SITES.parent / "boundaries") + "/")
    )
    html = build_map(load_site(copy), tiles=None).get_root().render()
    assert SCRIPT not in js_decoded(html)
    assert "&lt;script&gt;" in js_decoded(html)


def test_clusters_open_at_the_town_zoom(tiny):
    (clusterer,) = elements(build_map(tiny, tiles=None), layers.Clusterer)
    assert clusterer.open_zoom == layers.OPEN_ZOOM >= 14
    assert clusterer.fan_px > 0
    html = build_map(tiny, tiles=None).get_root().render()
    assert f"var open = {layers.OPEN_ZOOM}" in html and "fan(list, z)" in html


def test_focus_centres_on_the_public_place_and_opens_the_popup(tiny):
    truth = read_site(TINY).by_id["shelter"].location
    place = public_places(tiny)["shelter"]
    assert place is not None and (place.lat, place.lon) != (truth.lat, truth.lon)
    m = build_map(tiny, tiles=None, focus=("tiny", "shelter"))
    (focus,) = elements(m, layers.Focus)
    assert focus.location == [place.lat, place.lon]
    assert focus.zoom == layers.OPEN_ZOOM
    assert tiny.by_id["shelter"].name in focus.popup
    assert not elements(m, folium.map.FitBounds)  # the focus places the map
    assert json.dumps([truth.lat, truth.lon]) not in m.get_root().render()


def test_focus_on_an_unknown_or_other_site_service_fits_the_sites(tiny):
    for focus in (("tiny", "nope"), ("koro", "hospital")):
        m = build_map(tiny, tiles=None, focus=focus)
        assert not elements(m, layers.Focus)
        assert elements(m, folium.map.FitBounds)


def test_gap_panel_counts_every_gap_of_the_site():
    inv = load_site(SITES / "koro.yaml")
    gaps = find_gaps(inv)
    m = build_map(inv, gaps=gaps, tiles=None)
    (panel,) = [c for c in elements(m, layers.MapControl) if "ra-gaps" in c.css_class]
    assert f"Koro ({len(gaps)})" in panel.content
    assert f'data-count="{len(gaps)}"' in panel.content
    by_severity = {s: sum(g.severity == s for g in gaps) for s in ("critical", "major", "minor")}
    for severity, n in by_severity.items():
        if n:
            assert f"{n} {severity}" in panel.content


def test_gap_panel_in_french_and_map_boxes_fit_half_the_map():
    inv = load_site(SITES / "koro.yaml")
    m = build_map(inv, gaps=find_gaps(inv), tiles=None, lang="fr")
    (panel,) = [c for c in elements(m, layers.MapControl) if "ra-gaps" in c.css_class]
    assert "Manques : Koro" in panel.content or "Manques: Koro" in panel.content
    assert "Cerclés sur la carte" in panel.content and "Ringed" not in panel.content
    for box in elements(m, layers.MapControl):  # gap panel and legend share the bottom edge
        assert "max-width:min(340px,calc(50vw - 16px))" in box.box_style
        assert "box-sizing:border-box" in box.box_style


def test_coverage_legend_does_not_print_a_partial_count_as_the_sites_share():
    """Koro's population counts its town only: the legend says so, and prints no bare share."""
    koro = load_site(Path(__file__).parent.parent / "data" / "sites" / "koro.yaml")
    cov = site_coverage(koro, categories=["health.cmr"])
    assert cov.complete is False
    m = build_map(koro, coverage=cov, coverage_category="health.cmr", tiles=None)
    box = next(e for e in elements(m, layers.MapControl) if "ra-coverage" in e.css_class)
    assert html.escape(cov.status_in("en")) in box.content
    assert "100%" not in box.content and "≤ 30/60/120" not in box.content
