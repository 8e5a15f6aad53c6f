"""The whole map of one or more sites: boundaries, services, referral routes, gaps, legend.

`build_map` only draws what it is given (gaps are computed by `pathways.analysis.gaps`), always
links
Leaflet alone (no CDN, see `mapping.assets`), and with `tiles=None` needs no network at all:
the site boundaries are then the basemap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import folium

from mapping import assets, layers, style
from mapping.tree import children
from pathways.analysis.gaps import Gap
from pathways.model.inventory import Inventory, base_category

if TYPE_CHECKING:
    from pathways.analysis.coverage import SiteCoverage
    from pathways.analysis.routes import Route

DEFAULT_LOCATION = (50.85, 4.35)
"""Where an empty map is centred (there is nothing to fit it to)."""


# long: the docstring lists every layer and option (19 lines); the body is 43.
def build_map(
    inventories: Inventory | Sequence[Inventory],
    *,
    gaps: Sequence[Gap] | None = None,
    route: Route | None = None,
    coverage: SiteCoverage | Sequence[SiteCoverage] | None = None,
    coverage_category: str = "health.cmr",
    categories: Iterable[str] | None = None,
    lang: str = "en",
    tiles: str | None = "OpenStreetMap",
    cluster: bool = True,
    legend_open: bool = True,
    basemap: bool = True,
    focus: tuple[str, str] | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """The interactive map of the sites, fitted to them, with a layer control and a legend.

    Layers: boundaries, coverage of `coverage_category` (from
    `pathways.analysis.coverage.site_coverage`),
    referral routes, a survivor `route` (from `pathways.analysis.routes.route`) with numbered
    hand-offs, services per category (clustered where they crowd, unless `cluster=False`),
    and gaps. `tiles=None` draws no tile layer (offline): a light background with the
    sites' boundaries as land. `categories` keeps only services offering one of them.
    `legend_open=False` folds the legend to its title (a map inside a page, where an open legend
    would cover part of the sites; a click opens it).

    The offline base map (`pathways.io.basemap`: towns, water, borders, roads where shipped) is
    drawn when `basemap` is True: always without tiles, and with tiles as a stand-in until the
    first tile loads (taken off the map, credits included, as soon as one does; the tiles and
    their credit are taken off if none can load). `focus=(site id, service id)` centres the
    map on that service's public place, ringed, with its popup open (a row picked in a table).
    """
    invs = [inventories] if isinstance(inventories, Inventory) else list(inventories)
    selected = None if categories is None else list(categories)
    m = _new_map(tiles) if m is None else m
    for inv in invs:
        layers.boundaries_layer(inv, lang=lang, m=m)
    if basemap:
        _draw_basemap(m, invs, lang=lang)
    _draw_analyses(m, invs, coverage, coverage_category, route=route, selected=selected, lang=lang)
    for inv in invs:
        layers.services_layer(inv, categories=selected, lang=lang, m=m)
    if cluster and not any(layers.is_national(inv) for inv in invs):  # national: by area
        large = sum(len(inv.services) for inv in invs) >= layers.LARGE_MAP
        layers.cluster_services(
            m, cell_px=60 if large else 36, min_count=4 if large else 2, lang=lang
        )
    if gaps:
        for inv in invs:
            layers.gaps_layer(inv, gaps, lang=lang, m=m)
    _place_view(m, invs, focus, lang=lang, route=route is not None, legend_open=legend_open)
    folium.LayerControl(collapsed=True).add_to(m)
    layers.legend(
        lang,
        categories=_categories_on_map(invs, selected),
        gaps=bool(gaps),
        route=route is not None,
        cluster=cluster,
        open=legend_open,
    ).add_to(m)
    return assets.strip_cdn_assets(m)


def _new_map(tiles: str | None) -> folium.Map:
    """An empty map (on a light background when it has no tiles)."""
    m = folium.Map(
        location=DEFAULT_LOCATION,
        zoom_start=11,
        tiles=tiles,
        prefer_canvas=True,
        control_scale=True,
    )
    if tiles is None:
        layers.Background(style.OFFLINE_BACKGROUND).add_to(m)
    return m


def _draw_analyses(
    m: folium.Map,
    invs: Sequence[Inventory],
    coverage: SiteCoverage | Sequence[SiteCoverage] | None,
    category: str,
    *,
    route: Route | None,
    selected: list[str] | None,
    lang: str,
) -> None:
    """Under the services: the coverage of `category`, the referrals and the survivor route."""
    covs = (
        []
        if coverage is None
        else (list(coverage) if isinstance(coverage, Sequence) else [coverage])
    )
    for inv in invs:
        for cov in covs:
            layers.coverage_layer(inv, cov, category=category, lang=lang, m=m)
    for inv in invs:
        layers.referrals_layer(inv, categories=selected, lang=lang, m=m)
    if route is not None:
        for inv in invs:
            layers.route_layer(inv, route, lang=lang, m=m)


def _draw_basemap(m: folium.Map, invs: Sequence[Inventory], *, lang: str) -> None:
    """The sites' offline base map, a stand-in for the tiles until one loads (if any)."""
    for inv in invs:
        layers.basemap_layer(inv, lang=lang, m=m)
    base = layers.basemap_group(m)
    tile_layers = [c for c in children(m) if isinstance(c, folium.TileLayer)]
    if base is not None and tile_layers:
        layers.TileFallback(tile_layers[0], base).add_to(m)


def _place_view(
    m: folium.Map,
    invs: Sequence[Inventory],
    focus: tuple[str, str] | None,
    *,
    lang: str,
    route: bool,
    legend_open: bool,
) -> None:
    """Centre the map on the service in `focus` if it is drawn, or fit it to the sites, leaving
    room for the route's box and the legend."""
    box = layers.bounds(invs)
    focused = next((inv for inv in invs if focus and inv.site.id == focus[0]), None)
    if focus is not None and focused is not None and focused.by_id.get(focus[1]) is not None:
        box = None  # the focus centres the map instead
        layers.focus_layer(focused, focus[1], lang=lang, m=m)
    if box is not None:
        left = 370 if route else 50  # room for the route's box
        right = 280 if legend_open else 40  # room for the legend
        fit = layers.FitSites(box, padding_top_left=(left, 30), padding_bottom_right=(right, 30))
        fit.options["animate"] = False  # settle at once: clusters are made for the final zoom
        m.add_child(fit)


def _categories_on_map(invs: Sequence[Inventory], selected: list[str] | None) -> list[str]:
    """The base categories the map draws services under, in taxonomy order."""
    wanted = None if selected is None else set(selected)
    found: set[str] = set()
    for inv in invs:
        for service in inv.services:
            for cat in service.categories:
                if wanted is None or cat in wanted or base_category(cat) in wanted:
                    found.add(base_category(cat))
                    break
    return [c for c in style.CATEGORY_STYLES if c in found]


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as one standalone HTML file (Leaflet inlined) and return its path."""
    path = Path(path)
    path.write_text(assets.standalone_html(m), encoding="utf-8")
    return path
